package xgboost

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(tb testing.TB, file string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, file))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func TestBadFilesAreRefusedWithOneLine(t *testing.T) {
	js := readFixture(t, "heart_logistic.json")
	ubj := readFixture(t, "heart_logistic.ubj")
	lgb, err := os.ReadFile("../../../testdata/interop/lightgbm/model_simple.txt")
	if err != nil {
		t.Fatal(err)
	}
	// a UBJSON whose first key claims more bytes than the file holds
	badLen := bytes.Clone(ubj)
	binary.BigEndian.PutUint64(badLen[2:10], 1<<40)
	// ... or a negative length
	negLen := bytes.Clone(ubj)
	binary.BigEndian.PutUint64(negLen[2:10], 1<<63)
	objective := bytes.Replace(js, []byte(`"name":"binary:logistic"`), []byte(`"name":"rank:pairwise"`), 1)
	dart := bytes.Replace(js, []byte(`"name":"gbtree"`), []byte(`"name":"dart"`), 1)
	for _, c := range []struct {
		name     string
		data     []byte
		sentinel error
		says     string
	}{
		{"a truncated JSON model", js[:len(js)/2], ErrMalformed, "truncated"},
		{"a truncated UBJSON model", ubj[:len(ubj)/2], ErrMalformed, "truncated"},
		{"a UBJSON length prefix past the end", badLen, ErrMalformed, "wrong length prefix"},
		{"a negative UBJSON length prefix", negLen, ErrMalformed, "wrong length prefix"},
		{"the legacy binary format", readFixture(t, "heart_logistic.deprecated"), ErrFormat, `save_model("model.json")`},
		{"a LightGBM model", lgb, ErrFormat, "LightGBM"},
		{"a Python pickle", []byte("\x80\x04\x95\x10\x00"), ErrFormat, "pickle"},
		{"a CSV file", []byte("age,sex\n63,1\n"), ErrFormat, "starts with bytes"},
		{"an empty file", nil, ErrFormat, "empty"},
		{"a JSON document that is not a model", []byte(`{"learner_train_param": {}}`), ErrFormat, "no learner"},
		{"an unsupported objective", objective, ErrUnsupported, `objective "rank:pairwise"`},
		{"the dart booster", dart, ErrUnsupported, `booster "dart"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(c.data)
			if err == nil {
				t.Fatalf("read a model with %d trees", m.NumTrees())
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error %q does not wrap %v", err, c.sentinel)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "xgboost: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, c.says) {
				t.Errorf("error %q: want one line starting with xgboost: and saying %q", msg, c.says)
			}
		})
	}
}

func TestDetectTellsTheFormatsApart(t *testing.T) {
	for file, want := range map[string]Format{"wine_softprob.json": FormatJSON, "wine_softprob.ubj": FormatUBJSON} {
		if got, err := Detect(readFixture(t, file)); got != want || err != nil {
			t.Errorf("%s: %q, %v; want %q", file, got, err, want)
		}
	}
}

func TestReadFormatRefusesTheOtherFormat(t *testing.T) {
	if _, err := ReadFormat(readFixture(t, "wine_softprob.ubj"), FormatJSON); !errors.Is(err, ErrMalformed) {
		t.Errorf("UBJSON read as JSON: %v", err)
	}
	if _, err := ReadFormat(readFixture(t, "wine_softprob.json"), FormatUBJSON); err == nil {
		t.Error("JSON read as UBJSON")
	}
}

func TestModelDescribesItself(t *testing.T) {
	m := loadModel(t, "heart_categorical.ubj")
	if m.Version != [3]int{1, 7, 4} || m.Objective != "binary:logistic" || m.NumFeature != 13 || m.NumOutputs() != 1 {
		t.Errorf("version %v objective %s features %d outputs %d", m.Version, m.Objective, m.NumFeature, m.NumOutputs())
	}
	if got := m.FeatureNames[2]; got != "cp" {
		t.Errorf("feature 2 is %q, want cp", got)
	}
	if got, want := m.CategoricalFeatures(), []int{2, 10, 12}; !slicesEqual(got, want) {
		t.Errorf("categorical features %v, want %v", got, want)
	}
	w := loadModel(t, "wine_softprob.json")
	if w.NumOutputs() != 3 || w.NumPredictions() != 3 || w.HasCategoricalSplits() {
		t.Errorf("wine: %d outputs, %d predictions, categorical %v", w.NumOutputs(), w.NumPredictions(), w.HasCategoricalSplits())
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
