package monitortest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// Predictor loads the predictor of a version of "heart".
func Predictor(ctx context.Context, arts store.ArtifactStore, rs store.RecordStore, version int) (*bundle.Predictor, error) {
	v, err := registry.New(rs).Version(ctx, "heart", version)
	if err != nil {
		return nil, fmt.Errorf("monitortest: %w", err)
	}
	raw, _, err := arts.Get(ctx, v.BundleKey)
	if err != nil {
		return nil, fmt.Errorf("monitortest: %w", err)
	}
	return bundle.Open(raw)
}

// Captures writes one capture file of rows under the hour of at, as the
// serving path writes them: version scored them with pred (rows it refuses
// are left out, as serving answers them 422). It returns the prediction ids
// of the rows written and the indexes of those rows.
func Captures(ctx context.Context, arts store.ArtifactStore, pred *bundle.Predictor, version int, at time.Time, rows []map[string]float64) ([]string, []int, error) {
	gen := uuidv7.NewGen(func() time.Time { return at }, nil)
	var body []byte
	var ids []string
	var kept []int
	for i, r := range rows {
		row, err := pred.Row(r)
		if err != nil {
			return nil, nil, fmt.Errorf("monitortest: row %d: %w", i, err)
		}
		p, err := pred.Predict(row)
		if err != nil {
			continue
		}
		var id [1]uuidv7.UUID
		if err := gen.Fill(id[:]); err != nil {
			return nil, nil, err
		}
		in := map[string]*float64{}
		for k, v := range r {
			if !math.IsNaN(v) {
				v := v
				in[k] = &v
			} else {
				in[k] = nil
			}
		}
		line, err := json.Marshal(capture.Line{Kind: "capture", ID: id[0].String(), Time: at.UTC(), RequestID: "test",
			Model: "heart", Version: version, Alias: "champion", Inputs: in, Probability: p.Probability, Label: p.Label})
		if err != nil {
			return nil, nil, err
		}
		body = append(append(body, line...), '\n')
		ids = append(ids, id[0].String())
		kept = append(kept, i)
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	key := capture.Key("heart", at, "test-"+ids[0])
	if _, err := arts.Put(ctx, key, body, "application/x-ndjson"); err != nil {
		return nil, nil, err
	}
	return ids, kept, nil
}

// Feedback stores the label of each prediction id, as POST /v1/feedback
// does.
func Feedback(ctx context.Context, rs store.RecordStore, ids []string, labels []int, at time.Time) error {
	for i, id := range ids {
		u, err := uuidv7.Parse(id)
		if err != nil {
			return err
		}
		body, err := json.Marshal(capture.Feedback{ID: id, Label: labels[i], ReceivedAt: at.UTC()})
		if err != nil {
			return err
		}
		pk, sk := capture.FeedbackKey(u)
		if err := rs.Write(ctx, store.Write{Record: store.Record{PK: pk, SK: sk, Body: body}}); err != nil {
			return err
		}
	}
	return nil
}
