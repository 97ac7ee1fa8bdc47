// Package records makes the record store: the SQLite database of the data
// directory locally, the DynamoDB table on AWS. It is apart from package
// adapters so that a function that needs only artifacts (capture) links
// neither.
package records

import (
	"path/filepath"

	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/local/sqlite"
)

// Local opens the SQLite record store of l's data directory; the caller
// closes it.
func Local(l *adapters.Local) (*sqlite.Store, error) {
	return sqlite.Open(filepath.Join(l.Dir, adapters.RecordsFile))
}

// AWS returns the record store, the table STEWARD_TABLE names.
func AWS(a *adapters.AWS) *dynamodb.Store {
	rt := a.Runtime()
	return dynamodb.New(awsddb.NewFromConfig(a.Config(), func(o *awsddb.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.DynamoDB)
	}), rt.Table)
}
