package modelexport

import (
	"errors"
	"fmt"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/xgboost"
)

// Formats Export writes.
const (
	FormatXGBoostJSON = string(xgboost.FormatJSON)
)

// ErrUnsupported marks a model or format Export cannot write.
var ErrUnsupported = errors.New("modelexport: cannot export")

// Export writes the model of a loaded bundle in format. A gbdt becomes an
// XGBoost binary:logistic JSON model over the bundle's input features: a
// missing input goes the way the bundle's imputed value goes. An imported
// XGBoost model is returned as the file it came from when that file is
// JSON.
func Export(p *bundle.Predictor, format string) ([]byte, error) {
	if format != FormatXGBoostJSON {
		return nil, fmt.Errorf("%w: format %q (want %s)", ErrUnsupported, format, FormatXGBoostJSON)
	}
	switch m := p.Model().(type) {
	case *gbdt.Model:
		pipe := p.Manifest().Preprocess
		impute := make([]float64, len(pipe.Features))
		for j, f := range pipe.Features {
			if len(f.Levels) > 0 || f.Center != 0 || f.Scale != 1 {
				return nil, fmt.Errorf("%w: feature %q is scaled or one-hot encoded before the trees", ErrUnsupported, f.Name)
			}
			impute[j] = f.Impute
		}
		if pipe.Options.KeepMissing {
			impute = nil
		}
		return xgboost.WriteJSON(xgboost.Export{Trees: m.Trees, FeatureNames: p.Manifest().Schema.Names(), Impute: impute})
	case *xgboost.Classifier:
		file, _ := m.MarshalBinary()
		if f, err := xgboost.Detect(file); err != nil || f != xgboost.FormatJSON {
			return nil, fmt.Errorf("%w: the model was imported as %s; export returns the imported file as it is", ErrUnsupported, f)
		}
		return file, nil
	}
	return nil, fmt.Errorf("%w: a %s model (XGBoost's format holds boosted trees: gbdt, or an imported XGBoost model)", ErrUnsupported, p.Family())
}
