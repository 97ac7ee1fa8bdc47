package cli

// commands lists every subcommand. Each run function lives in the file named
// after its command.
func commands() []command {
	return []command{
		{"version", "print the version of this build", runVersion},
		{"serve", "run the prediction API locally behind an API-key gateway", runServe},
		{"keys", "create, list or revoke API keys of the local gateway", runKeys},
		{"models", "list models, or show one model's versions and aliases", runModels},
		{"history", "show an alias's moves, or which version held it at a time", runHistory},
		{"promote", "move champion (or --alias) to a version, by compare-and-set", runPromote},
		{"rollback", "move champion back to its previous holder", runRollback},
		{"audit", "read the audit log in time order", runAudit},
		{"train", "search, cross-validate, select and register a model", runTrain},
		{"predict", "score a CSV file with a registered model", runPredict},
		{"serve", "run the prediction API locally behind an API-key gateway", runServe},
		{"keys", "create, list or revoke API keys of the local gateway", runKeys},
	}
}
