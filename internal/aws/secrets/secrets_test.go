package secrets

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestKeySpeaksSecretsManager(t *testing.T) {
	value := `"0123456789abcdef0123456789abcdef-long-enough"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"steward/approval","SecretString":`+value+`}`)
	}))
	defer srv.Close()
	c := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
	key, err := Key(context.Background(), c, "steward/approval")
	if err != nil || string(key) != "0123456789abcdef0123456789abcdef-long-enough" {
		t.Fatalf("Key = %q, %v", key, err)
	}
	value = `"short"`
	if _, err := Key(context.Background(), c, "steward/approval"); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestStringsReadsAJSONObjectAndAnEmptySecret(t *testing.T) {
	value := `"{\"alerts\":\"https://hooks.slack.com/services/T/B/X\"}"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"steward/slack","SecretString":`+value+`}`)
	}))
	defer srv.Close()
	c := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
	got, err := Strings(context.Background(), c, "steward/slack")
	if err != nil || got["alerts"] != "https://hooks.slack.com/services/T/B/X" || len(got) != 1 {
		t.Fatalf("Strings = %v, %v", got, err)
	}
	value = `"{}"`
	if got, err := Strings(context.Background(), c, "steward/slack"); err != nil || len(got) != 0 {
		t.Errorf("empty secret: Strings = %v, %v; want an empty map", got, err)
	}
	value = `"https://hooks.slack.com/services/T/B/X"`
	if _, err := Strings(context.Background(), c, "steward/slack"); err == nil {
		t.Error("a bare URL was accepted")
	}
}
