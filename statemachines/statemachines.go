// Package statemachines embeds Steward's Amazon States Language files. The
// CDK stack and the local runner read these very files and fill their
// ${Name} placeholders from the same names: the CDK stack with function
// ARNs, the local runner with in-process handler names.
package statemachines

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.asl.json
var files embed.FS

// Retrain is the file name of the retraining workflow.
const Retrain = "retrain.asl.json"

// Placeholder names used by the ASL files, one per Lambda function a state
// machine invokes.
const (
	ValidateFunctionArn        = "ValidateFunctionArn"
	TrainFunctionArn           = "TrainFunctionArn"
	EvaluateFunctionArn        = "EvaluateFunctionArn"
	RequestApprovalFunctionArn = "RequestApprovalFunctionArn"
	PromoteFunctionArn         = "PromoteFunctionArn"
	RecordFunctionArn          = "RecordFunctionArn"
)

// Functions maps each placeholder to the functions/<name> that fills it.
var Functions = map[string]string{
	ValidateFunctionArn:        "validate",
	TrainFunctionArn:           "train",
	EvaluateFunctionArn:        "evaluate",
	RequestApprovalFunctionArn: "requestapproval",
	PromoteFunctionArn:         "promote",
	RecordFunctionArn:          "record",
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Definition returns the raw ASL text of name.
func Definition(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("statemachines: %w", err)
	}
	return string(b), nil
}

// Placeholders returns the sorted distinct ${Name} placeholders of def.
func Placeholders(def string) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(def, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Substitute fills every placeholder of def from values, and fails naming
// every placeholder that has no value.
func Substitute(def string, values map[string]string) (string, error) {
	var missing []string
	for _, p := range Placeholders(def) {
		if _, ok := values[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("statemachines: no value for placeholder(s) %s", strings.Join(missing, ", "))
	}
	return placeholder.ReplaceAllStringFunc(def, func(m string) string {
		return values[placeholder.FindStringSubmatch(m)[1]]
	}), nil
}
