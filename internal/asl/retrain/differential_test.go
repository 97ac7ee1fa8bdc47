package retrain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/statemachines"
)

// answer is what one call of a mocked function gives back: a payload, or
// an error by name.
type answer struct {
	Payload any    `json:"payload,omitempty"`
	Error   string `json:"error,omitempty"`
	Cause   string `json:"cause,omitempty"`
	Hang    bool   `json:"hang,omitempty"`
}

// scenario is one run of the retraining machine with mocked functions:
// each call of a function takes the next answer (the last one repeats).
// Decision is what the approver sends; nil lets the approval time out.
type scenario struct {
	Input    map[string]any      `json:"input"`
	Answers  map[string][]answer `json:"answers"`
	Decision map[string]any      `json:"-"`
}

// outcome is what both implementations report of one run.
type outcome struct {
	Status string                      `json:"status"`
	Error  string                      `json:"error"`
	Output any                         `json:"output"`
	States []string                    `json:"states"`
	Calls  map[string][]map[string]any `json:"calls"`
}

var planned = answer{Payload: map[string]any{"candidates": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}, map[string]any{"id": "c"}}}}

func trained() answer {
	return answer{Payload: map[string]any{"id": "run", "score": 0.9}}
}

func baseScenario(requireApproval any, eval map[string]any, decision map[string]any) scenario {
	return scenario{
		Input: map[string]any{"model": "heart", "dataset": map[string]any{"digest": "d"}, "trigger": "agent", "reason": "drift",
			"requestedBy": "agent", "requireApproval": requireApproval, "approvalTimeoutSeconds": 1},
		Answers: map[string][]answer{
			"validate":        {{Payload: map[string]any{"success": true}}},
			"train":           {planned, trained()},
			"evaluate":        {{Payload: eval}},
			"requestapproval": {{Payload: map[string]any{"approvalId": "x"}}},
			"promote":         {{Payload: map[string]any{"from": 1, "to": 2}}},
			"record":          {{Payload: map[string]any{"recorded": true}}},
		},
		Decision: decision,
	}
}

var (
	approved = map[string]any{"approved": true, "approver": "ana@example.com", "approvalId": "x"}
	rejected = map[string]any{"approved": false, "approver": "ana@example.com", "approvalId": "x"}
)

func differentialScenarios() map[string]struct {
	sc    scenario
	check func(t *testing.T, o outcome)
} {
	head := []string{"Defaults", "ApplyDefaults", "RecordStart", "ValidateData", "PlanCandidates", "TrainCandidates", "EvaluateBest", "IsBetter"}
	path := func(tail ...string) []string { return append(append([]string(nil), head...), tail...) }
	better := evaluation(true, "challenger")
	wantPath := func(status string, want []string) func(t *testing.T, o outcome) {
		return func(t *testing.T, o outcome) {
			t.Helper()
			if o.Status != status || !slices.Equal(o.States, want) {
				t.Errorf("%s through %v, want %s through %v", o.Status, o.States, status, want)
			}
		}
	}

	failingTrain := baseScenario(true, better, approved)
	failingTrain.Answers["train"] = []answer{planned, {Error: "Lambda.ServiceException", Cause: "service unavailable"}}

	nullApproval := baseScenario(nil, better, approved)

	failedRecord := baseScenario(false, better, nil)
	failedRecord.Answers["record"] = []answer{{Payload: map[string]any{"recorded": true}}, {Error: lambdaerr.InvalidInput, Cause: "audit refused the event"}, {Payload: map[string]any{"recorded": true}}}

	failedValidation := baseScenario(true, better, nil)
	failedValidation.Answers["validate"] = []answer{{Error: lambdaerr.DataValidationFailed, Cause: "chol out of range"}}

	return map[string]struct {
		sc    scenario
		check func(t *testing.T, o outcome)
	}{
		"a candidate that keeps failing is called its retry count plus one": {failingTrain, func(t *testing.T, o outcome) {
			wantPath("FAILED", []string{"Defaults", "ApplyDefaults", "RecordStart", "ValidateData", "PlanCandidates", "TrainCandidates", "RecordFailure", "Failed"})(t, o)
			perCandidate := map[any]int{}
			for _, c := range o.Calls["train"] {
				if c["action"] == "candidate" {
					perCandidate[c["index"]]++
				}
			}
			most := 0
			for i, n := range perCandidate {
				most = max(most, n)
				if n > 4 {
					t.Errorf("candidate %v called %d times, want at most 4 (3 retries + 1)", i, n)
				}
			}
			// The Map fails with the first candidate out of retries and
			// stops the others wherever they are.
			if most != 4 {
				t.Errorf("the most-called candidate was called %d times, want 4: its own 3 retries + 1", most)
			}
		}},
		"requireApproval null waits for approval":   {nullApproval, wantPath("SUCCEEDED", path("RequestApproval", "IsApproved", "Promote", "RecordPromoted", "Promoted"))},
		"approved is promoted":                      {baseScenario(true, better, approved), wantPath("SUCCEEDED", path("RequestApproval", "IsApproved", "Promote", "RecordPromoted", "Promoted"))},
		"rejected is recorded":                      {baseScenario(true, better, rejected), wantPath("SUCCEEDED", path("RequestApproval", "IsApproved", "RecordRejected", "NotPromoted"))},
		"an approval not given in time escalates":   {baseScenario(true, better, nil), wantPath("SUCCEEDED", path("RequestApproval", "Escalate", "NotPromoted"))},
		"requireApproval false promotes at once":    {baseScenario(false, better, nil), wantPath("SUCCEEDED", path("Promote", "RecordPromoted", "Promoted"))},
		"a missing better is not better":            {baseScenario(false, map[string]any{"registeredAs": "challenger", "candidateVersion": 2}, nil), wantPath("SUCCEEDED", path("RecordNotBetter", "NotPromoted"))},
		"a failed validation is recorded as failed": {failedValidation, wantPath("FAILED", []string{"Defaults", "ApplyDefaults", "RecordStart", "ValidateData", "RecordFailure", "Failed"})},
		"a promotion that cannot be recorded ends named": {failedRecord, func(t *testing.T, o outcome) {
			wantPath("FAILED", path("Promote", "RecordPromoted", "RecordPromotionFailure", "PromotedButNotRecorded"))(t, o)
			if o.Error != "PromotedButNotRecorded" {
				t.Errorf("error %q, want PromotedButNotRecorded", o.Error)
			}
			recs := o.Calls["record"]
			last := recs[len(recs)-1]
			in, _ := last["input"].(map[string]any)
			if last["event"] != "failed" || in["promotion"] == nil || in["error"] == nil {
				t.Errorf("last record %v, want a failure carrying the promotion and the error", last)
			}
		}},
	}
}

// The retraining machine takes the same path, calls each function as
// often and ends with the same document under Steward's runner and under
// aws-local-stepfunctions, an independent States Language implementation
// from npm; and each path is the one the machine promises.
func TestRetrainMachineAgreesWithAnIndependentImplementation(t *testing.T) {
	node := localSFN(t)
	for name, tc := range differentialScenarios() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ours := runOurs(t, tc.sc)
			tc.check(t, ours)
			if node == nil {
				return
			}
			theirs := node(t, tc.sc)
			tc.check(t, theirs)
			if ours.Status != theirs.Status || ours.Error != theirs.Error || !slices.Equal(ours.States, theirs.States) {
				t.Errorf("paths differ:\n steward %s %s %v\n    npm %s %s %v", ours.Status, ours.Error, ours.States, theirs.Status, theirs.Error, theirs.States)
			}
			if a, b := normalize(ours.Output), normalize(theirs.Output); !reflect.DeepEqual(a, b) {
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				t.Errorf("result documents differ:\n steward %s\n    npm %s", ja, jb)
			}
			for fn := range tc.sc.Answers {
				if fn == "train" && ours.Status == "FAILED" {
					// A failed Map stops its other iterations at a point
					// each implementation chooses; the bound is checked above.
					continue
				}
				if a, b := len(ours.Calls[fn]), len(theirs.Calls[fn]); a != b {
					t.Errorf("%s called %d times by steward, %d by npm", fn, a, b)
				}
			}
		})
	}
}

// normalize drops error causes (each implementation words the cause of a
// Lambda error its own way; the error names are compared) and round-trips
// through JSON so numbers compare alike.
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "Cause")
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(out)
	return out
}

// runOurs runs the scenario on Steward's runner, driving its clock through
// retries and the approval deadline.
func runOurs(t *testing.T, sc scenario) outcome {
	t.Helper()
	var mu sync.Mutex
	calls := map[string][]map[string]any{}
	token := ""
	fns := map[string]lambda.Handler{}
	for _, name := range []string{"validate", "train", "evaluate", "requestapproval", "promote", "record"} {
		fns[name] = fn(func(in map[string]any) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[name] = append(calls[name], in)
			if name == "requestapproval" {
				token, _ = in["taskToken"].(string)
			}
			list := sc.Answers[name]
			a := list[min(len(calls[name])-1, len(list)-1)]
			if a.Error != "" {
				return nil, lambdaerr.New(a.Error, a.Cause)
			}
			return a.Payload, nil
		})
	}
	clock := asltest.NewClock(t0)
	r := newRunnerWith(t, fns, clock)
	in, err := json.Marshal(sc.Input)
	must(t, err)
	ctx := context.Background()
	ex, err := r.Execute(ctx, "heart-1", in)
	must(t, err)
	sent := false
	for i := 0; ex.Status == asl.StatusRunning; i++ {
		if i > 500 {
			t.Fatalf("execution still running: %+v", ex.Waiting)
		}
		mu.Lock()
		tok := token
		mu.Unlock()
		if len(ex.Waiting) > 0 && ex.Waiting[0].Kind == "callback" && sc.Decision != nil && !sent {
			out, _ := json.Marshal(sc.Decision)
			must(t, r.SendTaskSuccess(ctx, tok, out))
			sent = true
		} else {
			clock.Advance(30 * time.Second)
			must(t, r.Tick(ctx))
		}
		ex, err = r.DescribeExecution(ctx, ex.ID)
		must(t, err)
	}
	o := outcome{Status: string(ex.Status), Error: ex.Error, States: states(t, r, ex.ID), Calls: calls}
	if len(ex.Output) > 0 {
		must(t, json.Unmarshal(ex.Output, &o.Output))
	}
	return o
}

// localSFN returns a runner of the scenario under aws-local-stepfunctions,
// or nil when node is not installed.
func localSFN(t *testing.T) func(t *testing.T, sc scenario) outcome {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Log("node is not installed: only Steward's runner runs the scenarios (install Node.js and run `npm ci` at the repository root)")
		return nil
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	must(t, err)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "aws-local-stepfunctions", "package.json")); err != nil {
		t.Fatalf("aws-local-stepfunctions is not installed under node_modules: run `npm ci` at the repository root (%v)", err)
	}
	def, err := statemachines.Definition(statemachines.Retrain)
	must(t, err)
	defFile := filepath.Join(t.TempDir(), "retrain.asl.json")
	must(t, os.WriteFile(defFile, []byte(def), 0o600))
	script, err := filepath.Abs(filepath.Join("testdata", "localsfn.cjs"))
	must(t, err)
	return func(t *testing.T, sc scenario) outcome {
		t.Helper()
		answers := map[string][]answer{}
		for k, v := range sc.Answers {
			answers[k] = v
		}
		// A callback task's result is the decision sent with its token; a
		// decision never sent is a task that never answers.
		answers["requestapproval"] = []answer{{Hang: true}}
		if sc.Decision != nil {
			answers["requestapproval"] = []answer{{Payload: sc.Decision}}
		}
		b, err := json.Marshal(scenario{Input: sc.Input, Answers: answers})
		must(t, err)
		file := filepath.Join(t.TempDir(), "scenario.json")
		must(t, os.WriteFile(file, b, 0o600))
		cmd := exec.Command("node", script, defFile, file)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", script, err, stderrOf(err))
		}
		var o outcome
		if err := json.Unmarshal(out, &o); err != nil {
			t.Fatalf("node printed %q: %v", out, err)
		}
		return o
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return fmt.Sprint(err)
}
