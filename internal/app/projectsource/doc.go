// Package projectsource finds a process's project configuration where its
// deployment keeps it.
//
// Locally the configuration is a file (steward.yaml beside the process, or
// --config). On AWS a Lambda's package holds only its bootstrap, so the
// deployment uploads steward.yaml and the files it names by relative path
// to the artifact store and points STEWARD_CONFIG at the object:
//
//	STEWARD_CONFIG=artifact:config/steward.yaml
//
// Load fetches that object and the validation suite at the same relative
// path beside it (config/testdata/suites/heart.json for
// "suite: testdata/suites/heart.json"), and copies both into a local
// directory with the same layout. The project's relative paths then
// resolve on disk exactly as they do beside a checked-out steward.yaml, so
// every handler reads its suite the same way in both modes. The data file
// (data.source) is not copied: on AWS every handler is given its dataset
// in the artifact store.
//
// Both internal/app and the slimmer wiring of the prediction function use
// it, which is why it is a package of its own.
package projectsource
