// Command infra synthesizes Steward's CloudFormation template into cdk.out.
// The CDK CLI runs it (cdk.json at the repository root: npx cdk synth,
// deploy or destroy); configuration comes from CDK context, validated
// before any construct exists so that a bad value fails with one line.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stewardml/steward/infra/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	// The CLI runs this program from infra/ but names its output
	// directory and the files it reads back (errors, performance counters)
	// relative to the repository root, where cdk.json is; the jsii runtime
	// has already copied the environment, so move to the root instead of
	// rewriting the paths. Without the CLI, write to cdk.out there too.
	if err := os.Chdir(root); err != nil {
		return fmt.Errorf("infra: %w", err)
	}
	props := &awscdk.AppProps{}
	if os.Getenv("CDK_OUTDIR") == "" {
		// Run without the CLI (go run .): read cdk.json's context the way
		// the CLI would, so both ways synthesize the same template.
		props.Outdir = jsii.String(filepath.Join(root, "cdk.out"))
		if os.Getenv("CDK_CONTEXT_JSON") == "" {
			context, err := cdkJSONContext(filepath.Join(root, "cdk.json"))
			if err != nil {
				return err
			}
			props.Context = &context
		}
	}
	app := awscdk.NewApp(props)
	cfg, err := stack.LoadConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }, root)
	if err != nil {
		return err
	}
	stackProps := &awscdk.StackProps{}
	// The CLI sets these from the credentials it finds; without any the
	// template stays environment-agnostic, which is all synth needs.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		stackProps.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	if _, err := stack.New(app, "Steward-"+cfg.Stage, cfg, stackProps); err != nil {
		return err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return synth(app)
}

// synth turns the CDK's failure to synthesize (a jsii panic, for example
// when cdk-nag reported an unsuppressed finding, printed above it) into
// an error.
func synth(app awscdk.App) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("infra: synth failed: %v", r)
		}
	}()
	app.Synth(nil)
	return nil
}

// cdkJSONContext returns the "context" object of cdk.json.
func cdkJSONContext(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("infra: %w", err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("infra: %s: %w", path, err)
	}
	return file.Context, nil
}

// repoRoot is the nearest directory at or above the working directory
// that holds cdk.json: the CLI runs this program from infra/.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("infra: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("infra: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("infra: no cdk.json in the working directory or above it: run from the repository")
		}
		dir = parent
	}
}
