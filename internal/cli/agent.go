package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/audit"
)

const agentUsage = `usage: steward agent COMMAND [FLAGS]

commands:
  diagnose  gather the evidence about a model and say what the policy decides
            (--act makes it a trigger: the decision is carried out and recorded)
  decide    run the decision on a saved event (EventBridge JSON) and say what
            it does and why (--dry-run: decide only)
  log       the agent's recorded decisions, trigger → rule → action → outcome`

func runAgent(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.Stdout, agentUsage)
		if len(args) == 0 {
			return Usagef("agent: a command is required (diagnose, decide or log)")
		}
		return nil
	}
	switch args[0] {
	case "diagnose":
		return runAgentDiagnose(ctx, e, args[1:])
	case "decide":
		return runAgentDecide(ctx, e, args[1:])
	case "log":
		return runAgentLog(ctx, e, args[1:])
	}
	return Usagef("agent: unknown command %q (diagnose, decide or log)", args[0])
}

// agentFor opens the app and its agent, with a policy file if given.
func agentFor(ctx context.Context, e *Env, model, policyFile string) (closeFn func() error, ag *agent.Agent, err error) {
	var pol *agent.Policy
	if policyFile != "" {
		b, err := os.ReadFile(policyFile)
		if err != nil {
			return nil, nil, WithCode(ExitUsage, fmt.Errorf("agent: %w", err))
		}
		p, err := agent.ParsePolicy(b)
		if err != nil {
			return nil, nil, WithCode(ExitUsage, fmt.Errorf("%s: %w", policyFile, err))
		}
		pol = &p
	}
	a, err := e.App(ctx)
	if err != nil {
		return nil, nil, err
	}
	ag, err = a.Agent()
	if err != nil {
		a.Close()
		return nil, nil, WithCode(ExitUsage, err)
	}
	if model != "" && model != ag.Model {
		a.Close()
		return nil, nil, Usagef("agent: --model %q: the project (%s) manages %q", model, e.ConfigPath, ag.Model)
	}
	if pol != nil {
		ag.Policy = pol
	}
	return a.Close, ag, nil
}

func runAgentDiagnose(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("agent diagnose")
	model := fs.String("model", "", "model to diagnose (default: the project's model)")
	act := fs.Bool("act", false, "act on the decision and record it, as any other trigger")
	policy := fs.String("policy", "", "decide with this policy (JSON) instead of the project's")
	if pos, err := Parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return Usagef("agent diagnose: unexpected argument %q", pos[0])
	}
	closeApp, ag, err := agentFor(ctx, e, *model, *policy)
	if err != nil {
		return err
	}
	defer closeApp()
	who := e.Getenv("USER")
	if who == "" {
		who = "cli"
	}
	tr := agent.Trigger{Kind: agent.TriggerManual, ID: "manual:" + uuid.NewString(), Model: ag.Model, Time: time.Now().UTC(), RequestedBy: who}
	entry, err := ag.Handle(ctx, tr, agent.Options{DryRun: !*act})
	if err != nil {
		return agentErr(err)
	}
	return printEntry(e, entry)
}

func runAgentDecide(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("agent decide")
	event := fs.String("event", "", "the event file (an EventBridge event: DriftChecked, an alarm state change, ValidationFailed)")
	dry := fs.Bool("dry-run", false, "decide and explain, but do not act or record")
	policy := fs.String("policy", "", "decide with this policy (JSON) instead of the project's")
	if pos, err := Parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return Usagef("agent decide: unexpected argument %q", pos[0])
	}
	if *event == "" {
		return Usagef("agent decide: --event FILE is required")
	}
	raw, err := os.ReadFile(*event)
	if err != nil {
		return WithCode(ExitUsage, fmt.Errorf("agent decide: %w", err))
	}
	closeApp, ag, err := agentFor(ctx, e, "", *policy)
	if err != nil {
		return err
	}
	defer closeApp()
	tr, err := agent.ParseEvent(raw, ag.Model)
	if err != nil {
		return WithCode(ExitUsage, fmt.Errorf("%s: %w", *event, err))
	}
	entry, err := ag.Handle(ctx, tr, agent.Options{DryRun: *dry})
	if err != nil {
		return agentErr(err)
	}
	return printEntry(e, entry)
}

func agentErr(err error) error {
	if errors.Is(err, agent.ErrEvent) || errors.Is(err, agent.ErrPolicy) {
		return WithCode(ExitUsage, err)
	}
	return err
}

// printEntry shows a decision: the line, why, the findings; a failed
// action exits 1.
func printEntry(e *Env, entry *agent.Entry) error {
	if e.JSON {
		if err := e.PrintJSON(entry); err != nil {
			return err
		}
	} else {
		writeEntry(e.Stdout, entry)
	}
	if entry.Outcome.Status == agent.OutcomeFailed {
		return Failed(fmt.Errorf("the action failed (it is retried at the next trigger): %s", entry.Outcome.Error))
	}
	return nil
}

func writeEntry(w io.Writer, entry *agent.Entry) {
	fmt.Fprintln(w, entry.Summary)
	fmt.Fprintf(w, "\nwhy: %s\n", entry.Decision.Why)
	if d := entry.Decision; d.ActionID != "" {
		fmt.Fprintf(w, "action: %s %s", d.Action, d.ActionID)
		if d.Suppressed != "" {
			fmt.Fprintf(w, " (suppressed: %s)", d.Suppressed)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nfindings:")
	for _, f := range entry.Diagnosis.Findings {
		fmt.Fprintf(w, "  - %s\n", f)
	}
	if entry.Diagnosis.Key != "" {
		fmt.Fprintf(w, "\ndiagnosis: %s\n", entry.Diagnosis.Key)
	}
	if entry.AuditID != "" {
		fmt.Fprintf(w, "recorded: audit event %s (correlation %s)\n", entry.AuditID, entry.Trigger.ID)
	}
}

func runAgentLog(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("agent log")
	model := fs.String("model", "", "only this model's decisions")
	since := fs.Duration("since", 0, "only decisions of the last DURATION (e.g. 24h)")
	from := fs.String("from", "", "only decisions at or after this RFC 3339 time")
	to := fs.String("to", "", "only decisions at or before this RFC 3339 time")
	if pos, err := Parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return Usagef("agent log: unexpected argument %q (use --model)", pos[0])
	}
	if *since < 0 {
		return Usagef("agent log: --since must not be negative")
	}
	f := audit.Filter{Model: *model}
	if err := parseRange("agent log: ", *from, *to, &f); err != nil {
		return err
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if *since > 0 {
		f.From = a.Now().Add(-*since)
	}
	entries, err := agent.ReadLog(ctx, a.Audit(), f)
	if err != nil {
		return WithCode(ExitUsage, err)
	}
	if e.JSON {
		if entries == nil {
			entries = []agent.LogEntry{}
		}
		return e.PrintJSON(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.Stdout, "no agent decisions match")
		return nil
	}
	for _, le := range entries {
		fmt.Fprintf(e.Stdout, "%s  %s  %s\n", le.Time.UTC().Format(time.RFC3339), le.Model, le.Line)
		if ids := linkIDs(le); ids != "" {
			fmt.Fprintf(e.Stdout, "    %s\n", ids)
		}
	}
	return nil
}

// linkIDs lists the ids that tie a decision's chain together.
func linkIDs(le agent.LogEntry) string {
	parts := []string{"decision " + le.AuditID, "trigger " + le.Entry.Trigger.ID}
	if a := le.Entry.Decision.ActionID; a != "" {
		parts = append(parts, "action "+a)
	}
	if x := le.Entry.Outcome.Execution; x != "" {
		parts = append(parts, "execution "+x)
	}
	if r := le.ResultEvent; r != nil {
		parts = append(parts, r.Action+" "+r.ID)
	}
	return strings.Join(parts, " · ")
}
