// Package train takes a labelled dataset to a chosen, evaluated model: it
// plans the candidates of a hyperparameter search from configuration (a grid
// or a seeded random sample per model family), scores every candidate by
// repeated stratified k-fold cross-validation with preprocessing learned on
// the training folds only, selects the winner by a configurable metric (ties
// go to the simpler model), refits it on the training part and evaluates it
// on a stratified hold-out.
//
// Run is pure computation over a dataset.Frame; Service adds the side
// effects of a training run: it stores the model bundle in the artifact
// store, records a tracking run, registers a registry version (the first
// becomes champion, later ones challenger) and writes audit events, through
// the small ports declared here.
//
// Everything random is drawn from sources derived from one seed, and the
// work is split into jobs whose results do not depend on which goroutine
// ran them, so the same data, configuration and seed give the same model
// and the same bundle digest on any number of cores.
package train
