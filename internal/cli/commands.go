package cli

// commands lists every subcommand. Each run function lives in the file named
// after its command.
func commands() []command {
	return []command{
		{"version", "print the version of this build", runVersion},
		{"models", "list models, or show one model's versions and aliases", runModels},
		{"history", "show an alias's moves, or which version held it at a time", runHistory},
		{"promote", "move champion (or --alias) to a version, by compare-and-set", runPromote},
		{"rollback", "move champion back to its previous holder", runRollback},
		{"audit", "read the audit log in time order", runAudit},
		{"validate", "check a data file against a Great Expectations suite", runValidate},
		{"train", "search, cross-validate, select and register a model", runTrain},
		{"import", "register a model trained elsewhere (XGBoost JSON or UBJSON) as a new version", runImport},
		{"export", "write a registered model in another library's format (XGBoost JSON)", runExport},
		{"predict", "score a CSV file with a registered model", runPredict},
		{"serve", "run the prediction API locally behind an API-key gateway", runServe},
		{"keys", "create, list or revoke API keys of the local gateway", runKeys},
		{"retrain", "start the retraining workflow: validate, train, compare, ask, promote", runRetrain},
		{"executions", "list retraining executions of the local runner", runExecutions},
		{"execution", "show one execution and its history, state by state", runExecution},
		{"approvals", "list approval requests, or retry a decision's callback", runApprovals},
		{"approve", "approve a pending request as one of its approvers", runApprove},
		{"reject", "reject a pending request as one of its approvers", runReject},
		{"drift", "check the captured traffic (or a file) for drift against the model's training data", runDrift},
		{"agent", "diagnose a model, decide on a saved event, or read the agent's decisions", runAgent},
		{"report", "render a training, drift or deployment report as HTML or PDF", runReport},
		{"operators", "create, list or delete the dashboard's operators", runOperators},
	}
}
