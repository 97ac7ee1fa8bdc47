package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI lists the calls CreateTable makes.
type TableAPI interface {
	CreateTable(ctx context.Context, in *awsddb.CreateTableInput, opts ...func(*awsddb.Options)) (*awsddb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *awsddb.DescribeTableInput, opts ...func(*awsddb.Options)) (*awsddb.DescribeTableOutput, error)
}

// CreateTable creates the table in the layout this package documents
// (on-demand billing) and waits until it is active. On AWS the deployment
// creates the table and turns on TTL for AttrTTL; this is for emulators and
// first-run tooling.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	_, err := client.CreateTable(ctx, &awsddb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamodb: create table %s: %w", table, err)
	}
	for {
		out, err := client.DescribeTable(ctx, &awsddb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("dynamodb: create table %s: describe: %w", table, err)
		}
		if out.Table != nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamodb: create table %s: waiting to be active: %w", table, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
