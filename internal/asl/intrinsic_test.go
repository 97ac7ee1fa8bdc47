package asl_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

const intrinsicInput = `{
	"name":"Arnav","someString":"{\"number\": 20}","someJson":{"name":"Foo","zip":"90210"},
	"inputArray":[1,2,3,4,5,6,7,8,9],"dups":[1,2,3,3,3,3,3,3,4],"index":5,
	"Data":"input data","Algorithm":"SHA-1",
	"json1":{"a":{"a1":1,"a2":2},"b":2},"json2":{"a":{"a3":1,"a4":2},"c":3},
	"inputString":"This.is+a,test=string","splitter":".+,=","start":1,"end":999,
	"objs":[{"a":1},{"a":1},{"a":2}],"text":"Hello, {}!"}`

// The cases are the examples of the Step Functions intrinsic functions
// documentation, plus escapes and edge cases.
func TestIntrinsicExamples(t *testing.T) {
	in := decode(t, intrinsicInput)
	ctx := decode(t, `{"Execution":{"Name":"exec-1"}}`)
	for _, tc := range []struct{ call, want string }{
		{"States.Format('Hello, my name is {}.', $.name)", `"Hello, my name is Arnav."`},
		{"States.Format('{} is {} years, {} and {}', $.name, 20, true, null)", `"Arnav is 20 years, true and null"`},
		{`States.Format('literal \{\} and quote \' and backslash \\ then {}', 'x')`, `"literal {} and quote ' and backslash \\ then x"`},
		{"States.Format($.text, $$.Execution.Name)", `"Hello, exec-1!"`},
		{"States.Format('nothing')", `"nothing"`},
		{"States.StringToJson($.someString)", `{"number":20}`},
		{"States.JsonToString($.someJson)", `"{\"name\":\"Foo\",\"zip\":\"90210\"}"`},
		{"States.Array('Foo', 2020, $.someJson, null)", `["Foo",2020,{"name":"Foo","zip":"90210"},null]`},
		{"States.Array()", `[]`},
		{"States.ArrayPartition($.inputArray, 4)", `[[1,2,3,4],[5,6,7,8],[9]]`},
		{"States.ArrayPartition(States.Array(), 4)", `[]`},
		{"States.ArrayContains($.inputArray, 5)", `true`},
		{"States.ArrayContains($.inputArray, 5.0)", `true`},
		{"States.ArrayContains($.objs, $.json2)", `false`},
		{"States.ArrayRange(1, 9, 2)", `[1,3,5,7,9]`},
		{"States.ArrayRange(10, 1, -4)", `[10,6,2]`},
		{"States.ArrayRange(5, 1, 1)", `[]`},
		{"States.ArrayGetItem($.inputArray, $.index)", `6`},
		{"States.ArrayLength($.inputArray)", `9`},
		{"States.ArrayUnique($.dups)", `[1,2,3,4]`},
		{"States.ArrayUnique($.objs)", `[{"a":1},{"a":2}]`},
		{"States.Base64Encode('Data to encode')", `"RGF0YSB0byBlbmNvZGU="`},
		{"States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", `"Data to encode"`},
		{"States.Hash($.Data, $.Algorithm)", `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"States.Hash('input data', 'MD5')", `"812f45842bc6d66ee14572ce20db8e86"`},
		{"States.Hash('input data', 'SHA-256')", `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"States.JsonMerge($.json1, $.json2, false)", `{"a":{"a3":1,"a4":2},"b":2,"c":3}`},
		{"States.MathAdd(111, -1)", `110`},
		{"States.MathAdd($.start, 2.6)", `4`},
		{"States.StringSplit('1,2,3,4,5', ',')", `["1","2","3","4","5"]`},
		{"States.StringSplit($.inputString, $.splitter)", `["This","is","a","test","string"]`},
		{"States.MathRandom($.start, $.end, 7)", `` /* checked below: deterministic */},
		{"States.ArrayLength(States.ArrayUnique(States.Array(1, 1, States.MathAdd(1, 1))))", `2`},
		{"  States.ArrayLength ( $.inputArray[0:3] )  ", `3`},
		{"States.Array($.inputArray[0,8])", `[[1,9]]`},
	} {
		t.Run(tc.call, func(t *testing.T) {
			f, err := asl.ParseIntrinsic(tc.call)
			if err != nil {
				t.Fatalf("ParseIntrinsic: %v", err)
			}
			got, err := f.Eval(in, ctx)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if tc.want == "" {
				again, _ := f.Eval(in, ctx)
				if string(encode(t, got)) != string(encode(t, again)) {
					t.Errorf("a seeded MathRandom gave %v then %v", got, again)
				}
				return
			}
			jsonEq(t, encode(t, got), tc.want)
		})
	}
}

func TestIntrinsicHashSHA384And512(t *testing.T) {
	for alg, n := range map[string]int{"SHA-384": 96, "SHA-512": 128} {
		f, err := asl.ParseIntrinsic("States.Hash('x', '" + alg + "')")
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Eval(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := v.(string); len(s) != n {
			t.Errorf("%s: got %q, want %d hex digits", alg, s, n)
		}
	}
}

func TestIntrinsicRandomAndUUID(t *testing.T) {
	f, err := asl.ParseIntrinsic("States.MathRandom(10, 13)")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 300 {
		v, err := f.Eval(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(encode(t, v))] = true
	}
	if len(seen) != 3 || !seen["10"] || !seen["11"] || !seen["12"] {
		t.Errorf("MathRandom(10, 13) gave %v, want each of 10, 11, 12 (end exclusive)", seen)
	}
	u, err := asl.ParseIntrinsic("States.UUID()")
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := u.Eval(nil, nil)
	v2, _ := u.Eval(nil, nil)
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(v1.(string)) || v1 == v2 {
		t.Errorf("UUIDs %v, %v: want two different version 4 UUIDs", v1, v2)
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	deep := strings.Repeat("States.Array(", 11) + strings.Repeat(")", 11)
	for _, tc := range []struct{ call, want string }{
		{"States.Nope(1)", "unknown function"},
		{"Format('x')", "unknown function"},
		{"States.Format", "expected '('"},
		{"States.Format('x', $.a", "missing ')'"},
		{"States.Format('unterminated)", "unterminated string"},
		{"States.ArrayRange(1, 2)", "takes 3 arguments, got 2"},
		{"States.UUID(1)", "takes 0 arguments, got 1"},
		{"States.MathRandom(1)", "takes 2 to 3 arguments"},
		{"States.Format()", "takes at least 1 arguments"},
		{"States.Array(1,)", "argument 2: unexpected \")\""},
		{"States.Array(1) extra", "unexpected"},
		{"States.Array(nope)", "unexpected"},
		{"States.Array($.a[)", "invalid path"},
		{"States.Array(1.2.3)", "bad number"},
		{deep, "nest deeper than 10"},
	} {
		_, err := asl.ParseIntrinsic(tc.call)
		if !errors.Is(err, asl.ErrInvalidIntrinsic) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseIntrinsic(%q): got %v, want ErrInvalidIntrinsic mentioning %q", tc.call, err, tc.want)
		}
	}
	if _, err := asl.ParseIntrinsic(strings.Repeat("States.Array(", 10) + strings.Repeat(")", 10)); err != nil {
		t.Errorf("10 nested calls must parse: %v", err)
	}
}

func TestIntrinsicEvalErrorsAreIntrinsicFailure(t *testing.T) {
	in := decode(t, intrinsicInput)
	for _, tc := range []struct{ call, want string }{
		{"States.Format('{} {}', 1)", "more {} than"},
		{"States.Format('{}', 1, 2)", "1 {} but 2 values"},
		{"States.Format('{}', $.someJson)", "only strings, numbers, booleans and null"},
		{"States.StringToJson('{nope')", "not valid JSON"},
		{"States.ArrayPartition($.inputArray, 0)", "must be positive"},
		{"States.ArrayPartition($.name, 2)", "must be an array, got string"},
		{"States.ArrayRange(1, 5, 0)", "step must not be 0"},
		{"States.ArrayRange(0, 2000, 1)", "more than 1000 items"},
		{"States.ArrayRange(1.5, 5, 1)", "must be an integer"},
		{"States.ArrayGetItem($.inputArray, 9)", "out of range"},
		{"States.Base64Decode('***')", "not valid base64"},
		{"States.Hash('x', 'SHA-3')", "not one of"},
		{"States.JsonMerge($.json1, $.json2, true)", "deep merge"},
		{"States.JsonMerge($.json1, $.inputArray, false)", "must be objects"},
		{"States.MathRandom(5, 5)", "must be less than"},
		{"States.MathAdd(3000000000, 1)", "32-bit"},
		{"States.MathAdd('1', 1)", "must be a number"},
		{"States.StringSplit(1, ',')", "must be a string"},
		{"States.Array($.missing)", "no field \"missing\""},
	} {
		f, err := asl.ParseIntrinsic(tc.call)
		if err != nil {
			t.Fatalf("ParseIntrinsic(%q): %v", tc.call, err)
		}
		_, err = f.Eval(in, nil)
		if err == nil || !strings.Contains(err.Error(), asl.ErrorIntrinsicFailure) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want States.IntrinsicFailure mentioning %q", tc.call, err, tc.want)
		}
	}
}
