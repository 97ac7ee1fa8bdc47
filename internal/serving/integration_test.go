package serving_test

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/httpedge"

	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// TestServesARegisteredBundle trains real models, registers them in the
// registry on SQLite with bundles in a directory store, and serves them.
func TestServesARegisteredBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	ctx := context.Background()
	dir := t.TempDir()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data := "../../testdata/heart/processed.cleveland.data"
	v1, err := servingtest.Heart(ctx, arts, db, servingtest.Spec{DataPath: data, Family: "logreg"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := servingtest.Heart(ctx, arts, db, servingtest.Spec{DataPath: data, Family: "gbdt", Params: map[string]any{"n_trees": 20}, Alias: "challenger"})
	if err != nil {
		t.Fatal(err)
	}
	src := &serving.RegistrySource{Registry: registry.New(db), Artifacts: arts}
	cache := serving.NewCache(src, serving.CacheConfig{RefreshInterval: time.Millisecond, Inline: true})
	h := serving.NewHandler(serving.DefaultConfig(), serving.Deps{Models: cache, Catalog: src, Feedback: db})
	post := func(path, body string) (*httpedge.Response, map[string]any) {
		p, q, _ := strings.Cut(path, "?")
		query := map[string][]string{}
		if q != "" {
			k, v, _ := strings.Cut(q, "=")
			query[k] = []string{v}
		}
		r, _ := h.Serve(ctx, &httpedge.Request{Method: "POST", Path: p, Query: query, Header: httpedge.Header{"Content-Type": {"application/json"}}, Body: []byte(body), RequestID: "r"})
		var m map[string]any
		json.Unmarshal(r.Body, &m)
		return r, m
	}
	for _, tt := range []struct {
		query   string
		version int
	}{{"", v1}, {"?alias=challenger", v2}, {"?version=" + strconv.Itoa(v2), v2}} {
		body := `{"explain":true,"instances":[` + servingtest.Row + `,{"age":41,"sex":"female","cp":"asymptomatic","trestbps":130,"chol":204,"fbs":0,"restecg":0,"thalach":172,"exang":0,"oldpeak":1.4,"slope":1,"ca":null,"thal":null}]}`
		r, got := post("/v1/models/heart/predict"+tt.query, body)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", tt.query, r.Status, r.Body)
		}
		if v := int(got["model"].(map[string]any)["version"].(float64)); v != tt.version {
			t.Errorf("%s served version %d, want %d", tt.query, v, tt.version)
		}
		m, err := cache.Version(ctx, "heart", tt.version)
		if err != nil {
			t.Fatal(err)
		}
		bm := m.Model.(*serving.BundleModel)
		rows := [][]float64{{63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6}, {41, 0, 4, 130, 204, 0, 0, 172, 0, 1.4, 1, math.NaN(), math.NaN()}}
		for i, p := range got["predictions"].([]any) {
			pm := p.(map[string]any)
			want := bm.Prob(rows[i])
			if prob := pm["probability"].(float64); math.Abs(prob-want) > 1e-12 {
				t.Errorf("%s instance %d: probability %v, predictor says %v", tt.query, i, prob, want)
			}
			sum := pm["baseValue"].(float64)
			for _, c := range pm["contributions"].(map[string]any) {
				sum += c.(float64)
			}
			if margin := pm["margin"].(float64); math.Abs(sum-margin) > 1e-6 || math.Abs(1/(1+math.Exp(-margin))-want) > 1e-6 {
				t.Errorf("%s instance %d: base+contributions %v, margin %v, probability %v", tt.query, i, sum, margin, want)
			}
		}
	}
	// Out-of-schema values of the real schema are refused with the schema's words.
	r, _ := post("/v1/models/heart/predict", `{"instances":[{"age":63,"sex":1,"cp":0,"trestbps":145,"chol":233,"fbs":1,"restecg":2,"thalach":150,"exang":0,"oldpeak":2.3,"slope":3,"ca":0,"thal":6}]}`)
	if r.Status != 422 || !strings.Contains(string(r.Body), `"expected":"one of 1 (\"typical angina\")`) {
		t.Errorf("cp 0: %d %s", r.Status, r.Body)
	}
	// The champion moves in the registry: the next requests get it.
	reg := registry.New(db)
	if _, err := reg.MoveAlias(ctx, "heart", "champion", v1, v2, "test", "promote"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	_, got := post("/v1/models/heart/predict", `{"instances":[`+servingtest.Row+`]}`)
	if v := int(got["model"].(map[string]any)["version"].(float64)); v != v2 {
		t.Errorf("after the move served version %d, want %d", v, v2)
	}
	gr, _ := h.Serve(ctx, &httpedge.Request{Method: "GET", Path: "/v1/models/heart"})
	var d serving.ModelDetail
	if err := json.Unmarshal(gr.Body, &d); err != nil || gr.Status != 200 {
		t.Fatalf("GET /v1/models/heart = %d %s", gr.Status, gr.Body)
	}
	if len(d.Versions) != 2 || d.Versions[0].Version != v2 || d.Aliases["champion"] != v2 || d.Versions[0].Metrics["cv_roc_auc"] == 0 || len(d.Features) != 13 {
		t.Errorf("detail = %s", gr.Body)
	}
	// Not-found answers say what is missing.
	for _, tt := range []struct{ path, says string }{
		{"/v1/models/lungs/predict", `no model named \"lungs\"`},
		{"/v1/models/heart/predict?alias=shadow", `model \"heart\" has no alias \"shadow\" set (set: challenger, champion; or pass ?version=N)`},
		{"/v1/models/Heart/predict", `no model named \"Heart\" (model names are 1-64 of a-z 0-9 . _ -`},
	} {
		r, _ := post(tt.path, `{"instances":[`+servingtest.Row+`]}`)
		if r.Status != 404 || !strings.Contains(string(r.Body), tt.says) {
			t.Errorf("%s: %d %s, want 404 saying %s", tt.path, r.Status, r.Body, tt.says)
		}
	}
	gr, _ = h.Serve(ctx, &httpedge.Request{Method: "GET", Path: "/v1/models"})
	if gr.Status != 200 || !strings.Contains(string(gr.Body), `"name":"heart"`) {
		t.Errorf("GET /v1/models = %d %s", gr.Status, gr.Body)
	}
}
