package cli

import (
	"github.com/spf13/cobra"

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

func newAgentCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "agent", Short: "diagnose a model, decide on a saved event, or read the agent's decisions", GroupID: "serve", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	c.AddCommand(newAgentDiagnoseCmd(e), newAgentDecideCmd(e), newAgentLogCmd(e))
	return c
}

// agentFor opens the app and its agent, with a policy file if given.
func agentFor(ctx context.Context, e *Env, model, policyFile string) (closeFn func() error, ag *agent.Agent, err error) {
	var pol *agent.Policy
	if policyFile != "" {
		b, err := os.ReadFile(policyFile)
		if err != nil {
			return nil, nil, WithCode(ExitUsage, err)
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
		return nil, nil, Failed(fmt.Errorf("no model named %q: the project (%s) manages %q", model, e.ConfigPath, ag.Model))
	}
	if pol != nil {
		ag.Policy = pol
	}
	return a.Close, ag, nil
}

func newAgentDiagnoseCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "diagnose", Short: "gather the evidence about a model and say what the policy decides (--act carries it out)", Args: noArgs,
		Example: "  steward agent diagnose --model heart\n  steward agent diagnose --model heart --act"}
	fs := c.Flags()
	model := fs.String("model", "", "model to diagnose (default: the project's model)")
	act := fs.Bool("act", false, "act on the decision and record it, as any other trigger")
	policy := fs.String("policy", "", "decide with this policy (JSON) instead of the project's")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
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
	return c
}

func newAgentDecideCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "decide --event FILE", Short: "run the decision on a saved event (EventBridge JSON) and say what it does and why", Args: noArgs,
		Example: "  steward agent decide --event testdata/events/agent/drift-checked.json --dry-run"}
	fs := c.Flags()
	event := fs.String("event", "", "the event file (an EventBridge event: DriftChecked, an alarm state change, ValidationFailed)")
	dry := fs.Bool("dry-run", false, "decide and explain, but do not act or record")
	policy := fs.String("policy", "", "decide with this policy (JSON) instead of the project's")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *event == "" {
			return Usagef("--event FILE is required")
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
	return c
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

func newAgentLogCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "log", Short: "the agent's recorded decisions: trigger, rule, action, outcome", Args: noArgs,
		Example: "  steward agent log --model heart --since 24h"}
	fs := c.Flags()
	model := fs.String("model", "", "only this model's decisions")
	since := fs.Duration("since", 0, "only decisions of the last DURATION (e.g. 24h)")
	from := fs.String("from", "", "only decisions at or after this RFC 3339 time")
	to := fs.String("to", "", "only decisions at or before this RFC 3339 time")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *since < 0 {
			return Usagef("--since must not be negative")
		}
		f := audit.Filter{Model: *model}
		if err := parseRange(*from, *to, &f); err != nil {
			return err
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if err := scopeFilter(ctx, a, &f, *since); err != nil {
			return err
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
	return c
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
