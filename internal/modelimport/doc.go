// Package modelimport takes in a model trained elsewhere and makes it an
// ordinary version of a project's model: the bring-your-own-model path.
//
// Import reads the model file (an XGBoost binary classifier, in JSON or
// UBJSON, the format told by the content), checks its features against
// the project's schema (every mismatch named in one error), validates the
// reference data (what the model was trained on, or a sample) with the
// project's suite, scores it to build the drift profile and the reference
// prediction distribution, writes a bundle whose payload is the file
// itself, and registers it as the champion when the model has none, else
// as the challenger. The version's parameters record where it came from:
// library, library version read from the file, objective, the file's
// SHA-256, who imported it and why.
//
// It sits beside internal/train and uses train's ports (artifacts,
// registry, audit), so the CLI and the application wire it with the very
// adapters a training run uses, locally and on AWS.
package modelimport
