package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Report is the outcome of a drift check, the JSON document a check stores
// and the agent reads.
type Report struct {
	// Verdict is drift when the dataset drifts, insufficient_data when no
	// feature could be tested, else no_drift.
	Verdict Verdict `json:"verdict"`
	// DriftScore is the share of drifted features among those tested (0..1).
	DriftScore   float64 `json:"drift_score"`
	DatasetDrift bool    `json:"dataset_drift"`
	DriftShare   float64 `json:"drift_share"`
	// Reason explains an insufficient_data verdict.
	Reason          string     `json:"reason,omitempty"`
	Correction      Correction `json:"correction"`
	CurrentRows     int        `json:"current_rows"`
	ReferenceRows   int        `json:"reference_rows"`
	Features        int        `json:"number_of_features"`
	Tested          int        `json:"number_tested"`
	Drifted         int        `json:"number_drifted"`
	Insufficient    int        `json:"number_insufficient"`
	DriftedFeatures []string   `json:"drifted_features"`
	// FeatureResults are in the profile's feature order.
	FeatureResults []FeatureResult `json:"features"`
	// Prediction is the drift of the predicted probabilities (not part of
	// the drift score and not corrected with the features).
	Prediction  *FeatureResult     `json:"prediction,omitempty"`
	Performance *PerformanceResult `json:"performance,omitempty"`
}

// FeatureResult is one feature's test.
type FeatureResult struct {
	Name        string   `json:"name"`
	Kind        Kind     `json:"kind"`
	Test        TestName `json:"test"`
	TestDisplay string   `json:"test_display"`
	Overridden  bool     `json:"overridden,omitempty"`
	// Statistic is the test statistic: KS D, chi-square, Z, or the distance.
	Statistic *Float `json:"statistic,omitempty"`
	// PValue is the raw p-value (p-value tests only); AdjustedPValue is
	// after the correction and is what the threshold is compared with.
	PValue         *Float `json:"p_value,omitempty"`
	AdjustedPValue *Float `json:"adjusted_p_value,omitempty"`
	// DriftScore is Evidently's drift_score: the raw p-value or the distance.
	DriftScore *Float  `json:"drift_score,omitempty"`
	Threshold  float64 `json:"threshold"`
	Operator   string  `json:"operator"`
	Effect     *Effect `json:"effect_size,omitempty"`
	Verdict    Verdict `json:"verdict"`
	Reason     string  `json:"reason,omitempty"`
	// ReferenceRows is N_ref; ReferenceSampled says the statistics read the
	// profile's reservoir sample rather than exact counts.
	ReferenceRows    int  `json:"reference_rows"`
	ReferenceSampled bool `json:"reference_sampled,omitempty"`
	// CurrentRows counts the finite current values tested; CurrentMissing
	// (NaN) and CurrentNonFinite (±Inf) were dropped, as Evidently drops them.
	CurrentRows      int `json:"current_rows"`
	CurrentMissing   int `json:"current_missing"`
	CurrentNonFinite int `json:"current_non_finite"`
	// Unique is the number of distinct values in reference ∪ current.
	Unique    int               `json:"unique"`
	Histogram *FeatureHistogram `json:"histogram,omitempty"`
}

// Effect is an effect size: how far the distributions are apart.
type Effect struct {
	Measure TestName `json:"measure"`
	Value   Float    `json:"value"`
}

// FeatureHistogram holds the counts to plot reference against current:
// numeric features on the profile's edges (current values outside them in
// CurrentBelow/CurrentAbove), categorical features per value of
// reference ∪ current.
type FeatureHistogram struct {
	Edges        []float64 `json:"edges,omitempty"`
	Values       []float64 `json:"values,omitempty"`
	Reference    []int     `json:"reference"`
	Current      []int     `json:"current"`
	CurrentBelow int       `json:"current_below,omitempty"`
	CurrentAbove int       `json:"current_above,omitempty"`
}

// Float is a float64 that survives JSON: NaN and ±Inf (a chi-square
// statistic is infinite when the current window has a value the reference
// never had) are written as the strings "NaN", "+Inf" and "-Inf", which
// encoding/json cannot otherwise encode.
type Float float64

// MarshalJSON writes finite values as JSON numbers.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a JSON number or one of the three strings.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = Float(math.NaN())
		return nil
	case `"+Inf"`:
		*f = Float(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// JSON encodes the report as indented JSON without HTML escaping (the
// operators "<=" stay readable), the form a check stores.
func (r *Report) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("drift: encode report: %w", err)
	}
	return buf.Bytes(), nil
}
