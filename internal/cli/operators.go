package cli

import (
	"github.com/spf13/cobra"

	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/stewardml/steward/internal/web"
)

func newOperatorsCmd(e *Env) *cobra.Command {
	var email string
	c := &cobra.Command{Use: "operators", Short: "create, list or delete the dashboard's operators", GroupID: "admin", Args: noArgs,
		Example: "  echo 'a long passphrase' | steward operators create alice --email cardiology-ml@example.com\n  steward operators list\n  steward operators delete alice",
		RunE:    func(cmd *cobra.Command, _ []string) error { return runOperators(cmd.Context(), e, "list", nil, "") }}
	create := &cobra.Command{Use: "create NAME [--email ADDR]", Short: "create an operator; the password is read from stdin (or prompted for twice on a terminal)",
		Long: `Create a dashboard operator. The password is the first line of standard input,
or prompted for twice without echo on a terminal. An operator approves
retraining requests as --email, which must be one of the project's approvers
(approval.approvers in steward.yaml) for the Approve button to be offered.`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, pos []string) error {
			return runOperators(cmd.Context(), e, "create", pos, email)
		}}
	create.Flags().StringVar(&email, "email", "", "address the operator approves as (default: NAME)")
	c.AddCommand(create,
		&cobra.Command{Use: "list", Short: "list the operators", Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runOperators(cmd.Context(), e, "list", nil, "") }},
		&cobra.Command{Use: "delete NAME", Short: "delete an operator and end their sessions", Args: exactArgs(1, "NAME"),
			RunE: func(cmd *cobra.Command, pos []string) error { return runOperators(cmd.Context(), e, "delete", pos, "") }},
	)
	return c
}

// runOperators manages the dashboard's operators: create NAME [--email
// ADDR], list, delete NAME. The password of create is read from stdin
// (one line) or, on a terminal, prompted for twice without echo; nothing
// secret is printed.
func runOperators(ctx context.Context, e *Env, sub string, rest []string, email string) error {
	if sub != "list" {
		if err := web.ValidateName(rest[0]); err != nil {
			return usagef("%v", err)
		}
	}
	var err error
	var password string
	if sub == "create" {
		if password, err = readPassword(e); err != nil {
			return WithCode(ExitUsage, err)
		}
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ops := &web.Operators{Records: a.Records, Now: a.Now}
	switch sub {
	case "create":
		op, err := ops.Create(ctx, rest[0], email, password)
		switch {
		case errors.Is(err, web.ErrInvalidOperator):
			return WithCode(ExitUsage, err)
		case errors.Is(err, web.ErrExists):
			return Failed(fmt.Errorf("%w (delete it first to replace it)", err))
		case err != nil:
			return err
		}
		if e.JSON {
			return e.PrintJSON(map[string]any{"name": op.Name, "approver": op.Approver(), "createdAt": op.CreatedAt})
		}
		fmt.Fprintf(e.Stdout, "created operator %s (approves as %s)\n", op.Name, op.Approver())
		return nil
	case "delete":
		if err := ops.Delete(ctx, rest[0]); errors.Is(err, web.ErrNoOperator) {
			return Failed(err)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "deleted operator %s; their sessions have ended\n", rest[0])
		return nil
	}
	list, err := ops.List(ctx)
	if err != nil {
		return err
	}
	if e.JSON {
		type row struct {
			Name      string `json:"name"`
			Approver  string `json:"approver"`
			CreatedAt string `json:"createdAt"`
		}
		rows := make([]row, 0, len(list))
		for _, op := range list {
			rows = append(rows, row{op.Name, op.Approver(), op.CreatedAt.Format("2006-01-02T15:04:05Z")})
		}
		return e.PrintJSON(rows)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.Stdout, "no operators; create one with: steward operators create NAME")
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tAPPROVES AS\tCREATED")
	for _, op := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", op.Name, op.Approver(), op.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

// readPassword reads the new operator's password: prompted twice without
// echo on a terminal, else the first line of stdin.
func readPassword(e *Env) (string, error) {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.Stderr, "password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.Stderr, "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	if e.Stdin == nil {
		return "", errors.New("no password: give it on stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(e.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin (one line expected)")
	}
	return line, nil
}
