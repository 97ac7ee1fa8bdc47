// Command steward is the Steward command line: validate data, train, serve,
// promote, roll back, check drift and read the audit trail.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stewardml/steward/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
