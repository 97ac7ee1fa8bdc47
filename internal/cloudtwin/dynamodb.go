package cloudtwin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
)

// DynamoDB is the DynamoDB endpoint: a proxy to an emulator (dynalite)
// behind the roles' policy. A transaction or batch is authorized item by
// item, as IAM does.
func DynamoDB(iam *IAM, emulator *url.URL) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(emulator)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			jsonError(w, "1.0", http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		for _, a := range dynamoActions(op, body) {
			res := "arn:aws:dynamodb:" + iam.d.Region + ":" + iam.d.Account + ":table/" + a.table
			if _, err := iam.Authorize(r, "dynamodb", "dynamodb:"+a.op, res); err != nil {
				jsonError(w, "1.0", http.StatusBadRequest, "AccessDeniedException", err.Error())
				return
			}
		}
		proxy.ServeHTTP(w, r)
	})
}

type dynamoAction struct{ op, table string }

// dynamoActions lists the IAM actions a request needs, with their tables.
func dynamoActions(op string, body []byte) []dynamoAction {
	var in struct {
		TableName     string
		TransactItems []map[string]struct{ TableName string }
		RequestItems  map[string]json.RawMessage
	}
	_ = json.Unmarshal(body, &in)
	var out []dynamoAction
	switch op {
	case "TransactWriteItems", "TransactGetItems":
		perItem := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
		for _, item := range in.TransactItems {
			for kind, v := range item {
				out = append(out, dynamoAction{perItem[kind], v.TableName})
			}
		}
	case "BatchWriteItem", "BatchGetItem":
		tables := make([]string, 0, len(in.RequestItems))
		for t := range in.RequestItems {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			out = append(out, dynamoAction{op, t})
		}
	default:
		out = append(out, dynamoAction{op, in.TableName})
	}
	if len(out) == 0 {
		out = append(out, dynamoAction{op, ""})
	}
	return out
}

// jsonError answers in the AWS JSON protocol of version ("1.0" or "1.1").
func jsonError(w http.ResponseWriter, version string, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// jsonReply answers v in the AWS JSON protocol of version.
func jsonReply(w http.ResponseWriter, version string, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	_ = json.NewEncoder(w).Encode(v)
}
