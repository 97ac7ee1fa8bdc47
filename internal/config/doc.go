// Package config reads Steward's two kinds of settings, each in one place.
//
// The project configuration (steward.yaml) describes a model: its name, the
// data source and its schema, the target rule, the validation suite, and the
// training, serving, drift, agent, approval and notification sections. Load
// reads it strictly (an unknown field is an error) and validates it; every
// error names the file, line and YAML path of the bad field, for example
// `config: steward.yaml:41: data.columns[4].kind: expected one of numeric,
// categorical, binary, got "number"`.
//
// The runtime settings (where the data directory, bucket, table, state
// machine and event bus are, which emulator endpoints to use) come from the
// environment, read only by FromEnv, so that the CLI, the local server and
// every Lambda main see the same names.
package config
