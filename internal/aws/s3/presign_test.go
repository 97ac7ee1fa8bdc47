package s3_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/s3"
)

// TestPresignedLinkOpensTheArtifact presigns a link to a stored report and
// fetches it over HTTP from the S3 emulator, without credentials.
func TestPresignedLinkOpensTheArtifact(t *testing.T) {
	client, bucket := awstest.S3(t)
	ctx := context.Background()
	st := s3.New(client, bucket).WithPrefix("stage/")
	body := "<!doctype html><title>report</title>"
	if _, err := st.Put(ctx, "reports/rendered/training/run-1.html", []byte(body), "text/html; charset=utf-8"); err != nil {
		t.Fatal(err)
	}
	p, err := s3.NewPresigner(awss3.NewPresignClient(client), bucket, "stage/", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link, err := p.Link(ctx, "reports/rendered/training/run-1.html")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("X-Amz-Expires") != "7200" || q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Credential") == "" {
		t.Errorf("link %s lacks the SigV4 query (expires 7200, signature, credential)", link)
	}
	if !strings.Contains(u.Path, "stage/reports/rendered/training/run-1.html") {
		t.Errorf("link path %q does not name the prefixed key", u.Path)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != body {
		t.Errorf("GET link: %d %q, want 200 %q", resp.StatusCode, got, body)
	}
}

func TestPresignerRefusesBadInput(t *testing.T) {
	client, bucket := awstest.S3(t)
	pc := awss3.NewPresignClient(client)
	if _, err := s3.NewPresigner(pc, bucket, "", 8*24*time.Hour); err == nil {
		t.Error("an expiry over 7 days was accepted")
	}
	if _, err := s3.NewPresigner(pc, "", "", time.Hour); err == nil {
		t.Error("an empty bucket was accepted")
	}
	p, err := s3.NewPresigner(pc, bucket, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Link(context.Background(), "../etc/passwd"); err == nil {
		t.Error("a key with .. was presigned")
	}
}
