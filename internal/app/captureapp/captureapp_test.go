package captureapp_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/app/captureapp"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
)

// TestLocalDataDirectory: without a bucket the handler writes to the data
// directory's artifact store, where `steward drift` reads captures.
func TestLocalDataDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h, err := captureapp.New(ctx, config.Runtime{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile("../../../testdata/events/capture/batch.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(h).Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"captured":4`) {
		t.Errorf("output %s, want 4 captures", out)
	}
	st, err := files.New(filepath.Join(dir, adapters.ArtifactsDir))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, "captures/heart/")
	if err != nil || len(objs) != 2 {
		t.Errorf("captures of heart in the data directory: %v, %v; want 2 files", objs, err)
	}
}

func TestAWSSettingsNameTheBucket(t *testing.T) {
	h, err := captureapp.New(context.Background(), config.Runtime{Bucket: "b", Table: "t", Region: "eu-west-1",
		Endpoints: config.Endpoints{S3: "http://127.0.0.1:1"}}, nil)
	if err != nil || h.Artifacts == nil {
		t.Fatalf("New: %v, %v", h, err)
	}
}
