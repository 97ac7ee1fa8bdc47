package serving

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func heartSet(tb testing.TB) *FeatureSet {
	tb.Helper()
	fs, err := NewFeatureSet(heartFeatures())
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func TestDecodePredictAcceptsAValidRequest(t *testing.T) {
	fs := heartSet(t)
	body := `{"explain": true, "instances": [` + heartRow + `, {"age":40.5,"sex":"female","cp":0,"trestbps":120,"chol":200,"fbs":0,"restecg":1,"thalach":170,"exang":1,"oldpeak":0,"slope":2,"ca":null,"thal":3}]}`
	in, e := DecodePredict([]byte(body), fs, Limits{})
	if e != nil {
		t.Fatalf("DecodePredict: %v", e)
	}
	if in.N != 2 || !in.Explain || len(in.Rows) != 2*fs.Len() {
		t.Fatalf("got N=%d explain=%v rows=%d, want 2 true %d", in.N, in.Explain, len(in.Rows), 2*fs.Len())
	}
	want0 := []float64{63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1}
	for j, w := range want0 {
		if in.Rows[j] != w {
			t.Errorf("row 0 %s = %v, want %v", fs.Features[j].Name, in.Rows[j], w)
		}
	}
	row1 := in.Rows[fs.Len():]
	if row1[0] != 40.5 || row1[1] != 0 || !math.IsNaN(row1[11]) || row1[12] != 3 {
		t.Errorf("row 1 = %v, want age 40.5, sex 0 (label female), ca NaN, thal 3", row1)
	}
}

// wantProblem is a problem a bad request must list.
type wantProblem struct {
	instance int
	field    string
	expected string // substring
}

func TestDecodePredictListsEveryProblem(t *testing.T) {
	fs := heartSet(t)
	row := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(heartRow), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		lim    Limits
		status int
		want   []wantProblem
	}{
		{"empty body", ``, Limits{}, 400, []wantProblem{{-1, "body", "a JSON object"}}},
		{"truncated", `{"instances": [` + heartRow, Limits{}, 400, []wantProblem{{-1, "body", "',' or ']'"}}},
		{"trailing garbage", `{"instances": [` + heartRow + `]} x`, Limits{}, 400, []wantProblem{{-1, "body", "end of input"}}},
		{"trailing comma", `{"instances": [` + heartRow + `,]}`, Limits{}, 400, []wantProblem{{-1, "body", "a JSON value"}}},
		{"single quotes", `{'instances': []}`, Limits{}, 400, []wantProblem{{-1, "body", "a field name in double quotes"}}},
		{"trailing comma in an instance", `{"instances": [{"age": 59,}]}`, Limits{}, 400, []wantProblem{{-1, "body", "a field name in double quotes"}}},
		{"bad escape", `{"instances\q": []}`, Limits{}, 400, []wantProblem{{-1, "body", "a valid escape"}}},
		{"control char in string", "{\"inst\x01ances\": []}", Limits{}, 400, []wantProblem{{-1, "body", "closing"}}},
		{"invalid utf-8", "{\"a\xff\": 1}", Limits{}, 400, []wantProblem{{-1, "body", "UTF-8"}}},
		{"leading zero", `{"instances": [{"age": 01}]}`, Limits{}, 400, []wantProblem{{-1, "body", "',' or '}'"}}},
		{"bare NaN", `{"instances": [{"age": NaN}]}`, Limits{}, 400, []wantProblem{{-1, "body", "a JSON value"}}},
		{"too deep", `{"x": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, Limits{}, 400, []wantProblem{{-1, "body", "levels of nesting"}}},
		{"array body", `[1, 2]`, Limits{}, 422, []wantProblem{{-1, "body", "a JSON object"}}},
		{"no instances", `{}`, Limits{}, 422, []wantProblem{{-1, "instances", "an array of 1 to 1000"}}},
		{"empty instances", `{"instances": []}`, Limits{}, 422, []wantProblem{{-1, "instances", "an array"}}},
		{"instances not array", `{"instances": {"age": 1}}`, Limits{}, 422, []wantProblem{{-1, "instances", "an array"}}},
		{"instance not object", `{"instances": [` + heartRow + `, 7]}`, Limits{}, 422, []wantProblem{{1, "instances", "an object of feature values"}}},
		{"unknown top field", `{"instances": [` + heartRow + `], "explian": true}`, Limits{}, 422, []wantProblem{{-1, "explian", `"instances" and "explain"`}}},
		{"explain not bool", `{"instances": [` + heartRow + `], "explain": "yes"}`, Limits{}, 422, []wantProblem{{-1, "explain", "true or false"}}},
		{"duplicate instances", `{"instances": [` + heartRow + `], "instances": []}`, Limits{}, 422, []wantProblem{{-1, "instances", "once"}}},
		{"too many instances", `{"instances": [` + heartRow + `,` + heartRow + `,` + heartRow + `]}`, Limits{MaxInstances: 2}, 422, []wantProblem{{-1, "instances", "at most 2 instances"}}},
		{"missing feature", `{"instances": [` + row(func(m map[string]any) { delete(m, "chol") }) + `]}`, Limits{}, 422, []wantProblem{{0, "chol", "number in [50, 1000]"}}},
		{"unknown feature", `{"instances": [` + row(func(m map[string]any) { m["cholesterol"] = 200 }) + `]}`, Limits{}, 422, []wantProblem{{0, "cholesterol", "one of the model's features"}}},
		{"duplicate feature", `{"instances": [{"age": 1, ` + heartRow[1:] + `]}`, Limits{}, 422, []wantProblem{{0, "age", "once"}}},
		{"feature four times", `{"instances": [{"age": 1, "age": 2, "age": 3, ` + heartRow[1:] + `]}`, Limits{}, 422, []wantProblem{{0, "age", "once"}}},
		{"long unknown feature", `{"instances": [` + row(func(m map[string]any) { m[strings.Repeat("k", 5000)] = 1 }) + `]}`, Limits{}, 422, []wantProblem{{0, strings.Repeat("k", 64) + "…", "one of the model's features"}}},
		{"string for number", `{"instances": [` + row(func(m map[string]any) { m["age"] = "old" }) + `]}`, Limits{}, 422, []wantProblem{{0, "age", "number in [0, 120]"}}},
		{"number in a string", `{"instances": [` + row(func(m map[string]any) { m["age"] = "63" }) + `]}`, Limits{}, 422, []wantProblem{{0, "age", "number"}}},
		{"bool for number", `{"instances": [` + row(func(m map[string]any) { m["chol"] = true }) + `]}`, Limits{}, 422, []wantProblem{{0, "chol", "number"}}},
		{"object for number", `{"instances": [` + row(func(m map[string]any) { m["chol"] = map[string]int{"v": 1} }) + `]}`, Limits{}, 422, []wantProblem{{0, "chol", "number"}}},
		{"null for required", `{"instances": [` + row(func(m map[string]any) { m["age"] = nil }) + `]}`, Limits{}, 422, []wantProblem{{0, "age", "number"}}},
		{"above max", `{"instances": [` + row(func(m map[string]any) { m["age"] = 121 }) + `]}`, Limits{}, 422, []wantProblem{{0, "age", "[0, 120]"}}},
		{"below min", `{"instances": [` + row(func(m map[string]any) { m["oldpeak"] = -0.5 }) + `]}`, Limits{}, 422, []wantProblem{{0, "oldpeak", "[0, 10]"}}},
		{"overflowing number", `{"instances": [` + row(func(m map[string]any) { m["age"] = json.Number("1e400") }) + `]}`, Limits{}, 422, []wantProblem{{0, "age", "number"}}},
		{"unknown level", `{"instances": [` + row(func(m map[string]any) { m["cp"] = 7 }) + `]}`, Limits{}, 422, []wantProblem{{0, "cp", "one of 0, 1, 2, 3"}}},
		{"fractional level", `{"instances": [` + row(func(m map[string]any) { m["cp"] = 1.5 }) + `]}`, Limits{}, 422, []wantProblem{{0, "cp", "one of"}}},
		{"unknown label", `{"instances": [` + row(func(m map[string]any) { m["sex"] = "other" }) + `]}`, Limits{}, 422, []wantProblem{{0, "sex", `1 ("male")`}}},
		{"binary out of set", `{"instances": [` + row(func(m map[string]any) { m["fbs"] = 2 }) + `]}`, Limits{}, 422, []wantProblem{{0, "fbs", "0 or 1"}}},
		{"problems in two instances", `{"instances": [` + row(func(m map[string]any) { m["age"] = -1 }) + `,` + row(func(m map[string]any) { delete(m, "thal"); m["cp"] = "x" }) + `]}`, Limits{}, 422,
			[]wantProblem{{0, "age", "[0, 120]"}, {1, "cp", "one of"}, {1, "thal", "or null"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := DecodePredict([]byte(tt.body), fs, tt.lim)
			if e == nil {
				t.Fatalf("DecodePredict(%s) accepted it", tt.body)
			}
			if e.Status != tt.status {
				t.Errorf("status = %d, want %d (%v)", e.Status, tt.status, e)
			}
			if len(e.Problems) != len(tt.want) {
				t.Errorf("got %d problems %v, want %d", len(e.Problems), e.Problems, len(tt.want))
			}
			for _, w := range tt.want {
				found := false
				for _, p := range e.Problems {
					if p.Instance == w.instance && p.Field == w.field && strings.Contains(p.Expected, w.expected) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem {instance %d, field %q, expected ~%q} in %v", w.instance, w.field, w.expected, e.Problems)
				}
			}
		})
	}
}

func TestDecodePredictCapsTheListButCountsAll(t *testing.T) {
	fs := heartSet(t)
	var b strings.Builder
	b.WriteString(`{"instances": [`)
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{}`)
	}
	b.WriteString(`]}`)
	_, e := DecodePredict([]byte(b.String()), fs, Limits{MaxProblems: 10})
	if e == nil {
		t.Fatal("accepted 50 empty instances")
	}
	if len(e.Problems) != 10 || e.Total != 50*fs.Len() {
		t.Errorf("listed %d, total %d; want 10 listed, %d total", len(e.Problems), e.Total, 50*fs.Len())
	}
	var body struct {
		Error struct {
			Count     int
			Truncated bool
			Problems  []map[string]any
		}
	}
	if err := json.Unmarshal(e.Body(DetailFull, "r1"), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Count != 650 || !body.Error.Truncated || len(body.Error.Problems) != 10 {
		t.Errorf("body = %+v, want count 650, truncated, 10 problems", body.Error)
	}
}

func TestErrorBodyDetailLevels(t *testing.T) {
	e := &RequestError{Status: 422, Code: CodeInvalidInput, Message: "1 problem",
		Problems: []Problem{{Instance: 3, Field: "age", Expected: "number", Got: `string "secret"`}}, Total: 1}
	tests := []struct {
		d                 Detail
		wantGot, wantList bool
	}{{DetailFull, true, true}, {DetailNoValues, false, true}, {DetailSummary, false, false}}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			b := e.Body(tt.d, "req-1")
			if !json.Valid(b) {
				t.Fatalf("invalid JSON %s", b)
			}
			if got := bytes.Contains(b, []byte("secret")); got != tt.wantGot {
				t.Errorf("echoes the value = %v, want %v: %s", got, tt.wantGot, b)
			}
			if got := bytes.Contains(b, []byte(`"instance":3`)); got != tt.wantList {
				t.Errorf("lists the problem = %v, want %v: %s", got, tt.wantList, b)
			}
			if !bytes.Contains(b, []byte(`"count":1`)) || !bytes.Contains(b, []byte(`"requestId":"req-1"`)) {
				t.Errorf("body lacks count or request id: %s", b)
			}
		})
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-7", "123456789012345", "1234567890123456789", "2.5", "1e3", "-1.5E-3", "0.1"} {
		got, err := parseFloat([]byte(s))
		var want float64
		if err == nil {
			want, err = parseFloatStd(s)
		}
		if err != nil || got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("parseFloat(%s) = %v, %v; want %v", s, got, err, want)
		}
	}
}

func parseFloatStd(s string) (float64, error) {
	var v float64
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}

// FuzzDecodePredict checks that the decoder never panics, that it agrees
// with encoding/json on what is valid JSON, and that what it accepts is
// exactly what the schema allows.
func FuzzDecodePredict(f *testing.F) {
	f.Add([]byte(`{"instances": [` + heartRow + `]}`))
	f.Add([]byte(`{"instances": [` + heartRow + `], "explain": true}`))
	f.Add([]byte(`{"instances": [{"age": "old"}]}`))
	f.Add([]byte(`{"instances": [{"age": 1e400, "sex": "male", "ca": null}]}`))
	f.Add([]byte(`{"a\u00e9\ud83d\ude00": [1, {"b": [null, true, false, "x\n"]}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	fs := heartSet(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := DecodePredict(body, fs, Limits{MaxInstances: 5, MaxProblems: 20})
		valid := json.Valid(body)
		if e != nil {
			if e.Status < 400 || e.Status > 499 || len(e.Problems) == 0 || e.Total < len(e.Problems) {
				t.Fatalf("error %d with %d/%d problems: %v", e.Status, len(e.Problems), e.Total, e)
			}
			if !json.Valid(e.Body(DetailFull, "r")) {
				t.Fatalf("error body is not JSON: %s", e.Body(DetailFull, "r"))
			}
			malformed := e.Code == CodeMalformedJSON
			if !valid && !malformed {
				t.Fatalf("invalid JSON answered %s, not MalformedJSON", e.Code)
			}
			if valid && malformed {
				// Stricter than encoding/json only on nesting depth and UTF-8.
				exp := e.Problems[0].Expected
				if !strings.Contains(exp, "nesting") && !strings.Contains(exp, "UTF-8") {
					t.Fatalf("valid JSON refused as malformed: %v", e)
				}
			}
			return
		}
		if !valid {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if in.N < 1 || in.N > 5 || len(in.Rows) != in.N*fs.Len() {
			t.Fatalf("N=%d rows=%d", in.N, len(in.Rows))
		}
		// Cross-check every value with encoding/json.
		var doc struct {
			Instances []map[string]any `json:"instances"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("accepted, but encoding/json says %v", err)
		}
		for i, inst := range doc.Instances {
			for j, f := range fs.Features {
				got := in.Rows[i*fs.Len()+j]
				switch v := inst[f.Name].(type) {
				case nil:
					if !f.Nullable || !math.IsNaN(got) {
						t.Fatalf("instance %d %s: null decoded as %v", i, f.Name, got)
					}
				case float64:
					if got != v || !f.check(got) {
						t.Fatalf("instance %d %s = %v, encoding/json says %v", i, f.Name, got, v)
					}
				case string:
					if code, ok := f.label([]byte(v)); !ok || code != got {
						t.Fatalf("instance %d %s: label %q decoded as %v", i, f.Name, v, got)
					}
				default:
					t.Fatalf("instance %d %s: accepted %T", i, f.Name, v)
				}
			}
		}
	})
}

// FuzzDecodeFeedback checks that the feedback decoder never panics, refuses
// invalid JSON as malformed, and accepts only a version 7 id and a 0/1 label.
func FuzzDecodeFeedback(f *testing.F) {
	f.Add([]byte(`{"id":"019ab9d4-6f3e-7a21-8b5c-4d2e1f0a9c37","label":1}`))
	f.Add([]byte(`{"label":0,"id":"019AB9D4-6F3E-7A21-8B5C-4D2E1F0A9C37"}`))
	f.Add([]byte(`{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","label":2,"x":null}`))
	f.Add([]byte(`{"id":7,"label":"1"}`))
	f.Add([]byte(`[`))
	notAfter := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		id, label, e := DecodeFeedback(body, notAfter, 10)
		if e != nil {
			if e.Status < 400 || e.Status > 499 || len(e.Problems) == 0 {
				t.Fatalf("error %d with %d problems", e.Status, len(e.Problems))
			}
			if !json.Valid(body) && e.Code != CodeMalformedJSON {
				t.Fatalf("invalid JSON answered %s", e.Code)
			}
			return
		}
		var doc struct {
			ID    string
			Label float64
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		if id.Version() != 7 || !strings.EqualFold(id.String(), doc.ID) || (label != 0 && label != 1) || float64(label) != doc.Label || id.Time().After(notAfter) {
			t.Fatalf("accepted id %s label %d from %s", id, label, body)
		}
	})
}
