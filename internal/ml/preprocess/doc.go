// Package preprocess turns the raw feature rows of a dataset (schema order,
// NaN for a missing cell) into the columns a model family is fitted on, and
// keeps what it learned so that serving applies exactly the same steps.
//
// A Pipeline is learned from training rows only (in cross-validation, from
// the training folds; the validation fold never contributes a median or a
// mean) and holds, per input feature: the value that replaces a missing cell
// (the median of a numeric feature, the most frequent code of a categorical
// or binary one), optionally the standardisation (mean and population
// standard deviation, as scikit-learn's StandardScaler) and, for a
// categorical feature, optionally the one-hot levels seen in training (an
// unseen code becomes all zeros, as OneHotEncoder(handle_unknown="ignore")).
// Logistic regression is fitted on imputed, scaled and one-hot columns; the
// tree families on imputed raw values.
//
// A Pipeline marshals to JSON and is stored in the model bundle. It also
// maps model columns back to input features (Fold), so that per-column
// contributions of a one-hot model are reported per original feature.
package preprocess
