// Package split divides labelled rows into stratified cross-validation folds
// and a stratified hold-out: every part keeps the class balance of the
// whole, as scikit-learn's StratifiedKFold and train_test_split(stratify=y)
// do. Splits are drawn from an explicit random source, so a seed fixes them.
package split
