package awstest

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

//go:embed dynalite.js
var dynaliteLauncher []byte

// Region is the region the emulated clients are configured for.
const Region = "us-east-1"

func config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}
}

// S3 starts an in-memory gofakes3 server for the life of the test and
// returns a client for it and the name of a bucket it has created.
func S3(t testing.TB) (*s3.Client, string) {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	client := s3.NewFromConfig(config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	bucket := "steward-test"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("awstest: create bucket: %v", err)
	}
	return client, bucket
}

// Dynalite is a running dynalite process.
type Dynalite struct {
	// Endpoint is the emulator's base URL, http://127.0.0.1:<port>.
	Endpoint string
	// Client is a DynamoDB client configured for the emulator.
	Client *dynamodb.Client
	tables atomic.Int64
}

// TableName returns a fresh table name, unique within this emulator.
func (d *Dynalite) TableName() string {
	return fmt.Sprintf("steward-test-%d", d.tables.Add(1))
}

// DynamoDB starts dynalite for the life of the test (in memory, on a free
// loopback port) and returns it once it accepts requests. Without node or
// the dynalite package it skips the test, or fails it when CI=true.
func DynamoDB(t testing.TB) *Dynalite {
	t.Helper()
	modules, err := findNodeModules()
	if err == nil {
		_, err = exec.LookPath("node")
	}
	if err != nil {
		msg := fmt.Sprintf("awstest: dynalite is not available (%v); install it with `npm ci` at the repository root", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	script := filepath.Join(t.TempDir(), "dynalite.js")
	if err := os.WriteFile(script, dynaliteLauncher, 0o644); err != nil {
		t.Fatalf("awstest: %v", err)
	}
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	stdin, err := cmd.StdinPipe() // closing it (or our exit) stops node
	if err != nil {
		t.Fatalf("awstest: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("awstest: %v", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("awstest: start dynalite: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(30 * time.Second):
		t.Fatalf("awstest: dynalite did not start within 30s; stderr:\n%s", stderr.String())
	}
	if _, err := strconv.Atoi(p); err != nil {
		t.Fatalf("awstest: dynalite printed a bad port %q", p)
	}
	d := &Dynalite{Endpoint: "http://127.0.0.1:" + p}
	d.Client = dynamodb.NewFromConfig(config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(d.Endpoint)
	})
	return d
}

// findNodeModules walks up from the working directory (a package directory
// under `go test`) to the node_modules folder that holds dynalite.
func findNodeModules() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		nm := filepath.Join(dir, "node_modules")
		if _, err := os.Stat(filepath.Join(nm, "dynalite", "package.json")); err == nil {
			return nm, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no node_modules/dynalite above the working directory")
		}
		dir = parent
	}
}
