package cloudtwin

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is the S3 endpoint: gofakes3 (in memory) behind the roles' policy.
func S3(iam *IAM) http.Handler {
	fake := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action, resource := s3Action(r)
		if _, err := iam.Authorize(r, "s3", action, resource); err != nil {
			s3Error(w, http.StatusForbidden, "AccessDenied", err.Error(), resource)
			return
		}
		fake.ServeHTTP(w, r)
	})
}

// s3Action names the IAM action and resource of a path-style request.
func s3Action(r *http.Request) (action, resource string) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	if key == "" {
		switch {
		case r.Method == http.MethodPost && q.Has("delete"):
			return "s3:DeleteObject", "arn:aws:s3:::" + bucket + "/*"
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			return "s3:ListBucket", "arn:aws:s3:::" + bucket
		case r.Method == http.MethodPut:
			return "s3:CreateBucket", "arn:aws:s3:::" + bucket
		}
		return "s3:" + r.Method + "Bucket", "arn:aws:s3:::" + bucket
	}
	res := "arn:aws:s3:::" + bucket + "/" + key
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return "s3:GetObject", res
	case http.MethodPut, http.MethodPost:
		return "s3:PutObject", res
	case http.MethodDelete:
		return "s3:DeleteObject", res
	}
	return "s3:" + r.Method, res
}

func s3Error(w http.ResponseWriter, status int, code, msg, resource string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName  xml.Name `xml:"Error"`
		Code     string
		Message  string
		Resource string
	}{Code: code, Message: msg, Resource: resource})
}
