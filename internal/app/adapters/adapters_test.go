package adapters_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/app/adapters/platform"
	"github.com/stewardml/steward/internal/app/adapters/records"
	"github.com/stewardml/steward/internal/app/adapters/signingkey"
	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/store"
)

func TestLocalMakesAWorkingDataDirectory(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "not", "yet")
	l, err := adapters.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := l.Artifacts()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arts.Put(ctx, "a/b.txt", []byte("hello"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := arts.Get(ctx, "a/b.txt"); err != nil || string(got) != "hello" {
		t.Errorf("artifact read back %q, %v; want %q", got, err, "hello")
	}
	if fi, err := os.Stat(filepath.Join(dir, adapters.ArtifactsDir)); err != nil || !fi.IsDir() {
		t.Errorf("no artifacts folder %s: %v", adapters.ArtifactsDir, err)
	}

	db, err := records.Local(l)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Get(ctx, "pk", "sk"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get from a new record store: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(dir, adapters.RecordsFile)); err != nil {
		t.Errorf("record store not at %s: %v", adapters.RecordsFile, err)
	}

	if _, err := platform.LocalMailer(l, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, adapters.OutboxDir)); err != nil || !fi.IsDir() {
		t.Errorf("no outbox folder %s: %v", adapters.OutboxDir, err)
	}

	key, err := signingkey.Local(l)
	if err != nil {
		t.Fatal(err)
	}
	again, err := signingkey.Local(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 || string(again) != string(key) {
		t.Errorf("signing key of %d bytes, read again equal: %v; want 32 bytes, the same", len(key), string(again) == string(key))
	}
	if fi, err := os.Stat(filepath.Join(dir, adapters.SigningKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key file: %v, %v; want mode 0600", fi.Mode(), err)
	}
}

// recorder is an AWS JSON-protocol endpoint that records the operation of
// each request (its X-Amz-Target) and answers with the body replies
// gives for it.
type recorder struct {
	mu      sync.Mutex
	targets []string
	replies map[string]string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	target := req.Header.Get("X-Amz-Target")
	r.mu.Lock()
	r.targets = append(r.targets, target)
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write([]byte(r.replies[target]))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.targets...)
}

func TestAWSClientsUseTheEndpointOverrides(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s3srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer s3srv.Close()
	rec := &recorder{replies: map[string]string{
		"AWSEvents.PutEvents":           `{"FailedEntryCount":0,"Entries":[{"EventId":"e1"}]}`,
		"secretsmanager.GetSecretValue": `{"SecretString":"0123456789abcdef0123456789abcdef"}`,
	}}
	other := httptest.NewServer(rec)
	defer other.Close()
	rt := config.Runtime{
		Region: awstest.Region, Bucket: "steward-test", EventBus: "steward-bus", ApprovalSecret: "steward-key",
		Endpoints: config.Endpoints{S3: s3srv.URL, EventBridge: other.URL, SecretsManager: other.URL},
	}
	c, err := adapters.NewAWS(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := c.S3Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(rt.Bucket)}); err != nil {
		t.Fatalf("create bucket on the S3 override: %v", err)
	}
	arts := c.Artifacts()
	if _, err := arts.Put(ctx, "a/b.txt", []byte("hello"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := arts.Get(ctx, "a/b.txt"); err != nil || string(got) != "hello" {
		t.Errorf("artifact read back %q, %v; want %q", got, err, "hello")
	}
	p, err := c.Presigner(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if link, err := p.Link(ctx, "a/b.txt"); err != nil || !strings.HasPrefix(link, s3srv.URL+"/"+rt.Bucket+"/a/b.txt?") {
		t.Errorf("presigned link %q, %v; want a path-style link on %s", link, err, s3srv.URL)
	}

	if err := platform.Events(c).Publish(ctx, bus.Event{Source: "steward", DetailType: "Test", Time: time.Now(), Detail: json.RawMessage(`{}`)}); err != nil {
		t.Errorf("publish on the EventBridge override: %v", err)
	}
	key, err := signingkey.AWS(ctx, c)
	if err != nil || string(key) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("signing key %q, %v; want the override's secret", key, err)
	}
	if got, want := strings.Join(rec.got(), ","), "AWSEvents.PutEvents,secretsmanager.GetSecretValue"; got != want {
		t.Errorf("override saw %s, want %s", got, want)
	}
	if platform.StepFunctions(c) != nil || platform.Lambda(c) != nil {
		t.Error("Step Functions or Lambda client made though no ARN names one")
	}

	d := awstest.DynamoDB(t)
	rt.Table, rt.Endpoints.DynamoDB = d.TableName(), d.Endpoint
	c, err = adapters.NewAWS(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.CreateTable(ctx, d.Client, rt.Table); err != nil {
		t.Fatal(err)
	}
	if _, err := records.AWS(c).Get(ctx, "pk", "sk"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get from the DynamoDB override: %v, want ErrNotFound", err)
	}
}
