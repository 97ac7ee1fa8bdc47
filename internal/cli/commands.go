package cli

// commands lists every subcommand. Each run function lives in the file named
// after its command.
func commands() []command {
	return []command{
		{"version", "print the version of this build", runVersion},
		{"train", "search, cross-validate, select and register a model", runTrain},
		{"predict", "score a CSV file with a registered model", runPredict},
	}
}
