package dynamodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/store/storetest"
)

func newTable(t *testing.T, d *awstest.Dynalite) *dynamodb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	table := d.TableName()
	if err := dynamodb.CreateTable(ctx, d.Client, table); err != nil {
		t.Fatal(err)
	}
	return dynamodb.New(d.Client, table)
}

func TestContract(t *testing.T) {
	d := awstest.DynamoDB(t)
	storetest.RunRecordStore(t, func(t *testing.T) store.RecordStore { return newTable(t, d) })
}

func TestExpiryFollowsInjectedClock(t *testing.T) {
	d := awstest.DynamoDB(t)
	s := newTable(t, d)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	r := store.Record{PK: "P", SK: "S", Body: json.RawMessage(`1`), Version: 1, ExpiresAt: now.Add(90 * time.Second)}
	if err := s.Write(ctx, store.Write{Record: r}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(89 * time.Second)
	if _, err := s.Get(ctx, "P", "S"); err != nil {
		t.Fatalf("Get 1s before expiry: %v", err)
	}
	if err := s.Write(ctx, store.Write{Record: r, Cond: store.Cond{Kind: store.CondAbsent}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CondAbsent 1s before expiry: err = %v, want ErrConflict", err)
	}
	now = now.Add(time.Second)
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get at expiry: err = %v, want ErrNotFound", err)
	}
	if got, err := s.Query(ctx, "P", store.Query{}); err != nil || len(got) != 0 {
		t.Fatalf("Query at expiry = %v, %v; want nothing", got, err)
	}
	if err := s.Write(ctx, store.Write{Record: r, Cond: store.Cond{Kind: store.CondAbsent}}); err != nil {
		t.Fatalf("CondAbsent at expiry: %v", err)
	}
}

func TestBatchesUseOneTransaction(t *testing.T) {
	var calls []string
	var got *awsddb.TransactWriteItemsInput
	fake := &fakeAPI{
		put: func(*awsddb.PutItemInput) error { calls = append(calls, "PutItem"); return nil },
		tx: func(in *awsddb.TransactWriteItemsInput) error {
			calls = append(calls, "TransactWriteItems")
			got = in
			return nil
		},
	}
	s := dynamodb.New(fake, "t")
	ctx := context.Background()
	w := func(sk string, c store.Cond) store.Write {
		return store.Write{Record: store.Record{PK: "P", SK: sk, Body: json.RawMessage(`{}`), Version: 2}, Cond: c}
	}
	if err := s.Write(ctx, w("a", store.Cond{})); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, w("a", store.Cond{Kind: store.CondVersion, Version: 1}), w("b", store.Cond{Kind: store.CondAbsent}),
		store.Write{Record: store.Record{PK: "P", SK: "c"}, Delete: true}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"PutItem", "TransactWriteItems"}; len(calls) != 2 || calls[0] != want[0] || calls[1] != want[1] {
		t.Fatalf("calls = %v, want %v", calls, want)
	}
	if n := len(got.TransactItems); n != 3 {
		t.Fatalf("transaction has %d items, want 3", n)
	}
	put := got.TransactItems[0].Put
	if put == nil || aws.ToString(put.ConditionExpression) == "" || put.ExpressionAttributeValues[":version"].(*types.AttributeValueMemberN).Value != "1" {
		t.Fatalf("first item = %+v, want a Put conditioned on version 1", got.TransactItems[0])
	}
	if d := got.TransactItems[2].Delete; d == nil || d.ConditionExpression != nil || len(d.ExpressionAttributeNames) != 0 {
		t.Fatalf("third item = %+v, want an unconditional Delete without attribute names", got.TransactItems[2])
	}
}

func TestServiceErrorsBecomeStoreErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"ConditionalCheckFailed", &types.ConditionalCheckFailedException{Message: aws.String("no")}, store.ErrConflict},
		{"CancelledByCondition", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String("ConditionalCheckFailed")}}}, store.ErrConflict},
		{"CancelledByConflict", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: aws.String("TransactionConflict")}}}, store.ErrConflict},
		{"CancelledByValidation", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: aws.String("ValidationError")}}}, store.ErrInvalid},
		{"Validation", &smithy.GenericAPIError{Code: "ValidationException", Message: "bad"}, store.ErrInvalid},
		{"Throttled", &types.ProvisionedThroughputExceededException{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeAPI{tx: func(*awsddb.TransactWriteItemsInput) error { return c.err }}
			err := dynamodb.New(fake, "t").Write(context.Background(),
				store.Write{Record: store.Record{PK: "P", SK: "a", Body: json.RawMessage(`1`)}},
				store.Write{Record: store.Record{PK: "P", SK: "b", Body: json.RawMessage(`1`)}})
			if !errors.Is(err, c.err) {
				t.Errorf("err = %v, want the SDK error kept in the chain", err)
			}
			for _, sentinel := range []error{store.ErrConflict, store.ErrInvalid, store.ErrNotFound} {
				if got, want := errors.Is(err, sentinel), sentinel == c.want; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v (err %v)", sentinel, got, want, err)
				}
			}
		})
	}
}

type fakeAPI struct {
	dynamodb.API
	put func(*awsddb.PutItemInput) error
	tx  func(*awsddb.TransactWriteItemsInput) error
}

func (f *fakeAPI) PutItem(_ context.Context, in *awsddb.PutItemInput, _ ...func(*awsddb.Options)) (*awsddb.PutItemOutput, error) {
	return &awsddb.PutItemOutput{}, f.put(in)
}

func (f *fakeAPI) TransactWriteItems(_ context.Context, in *awsddb.TransactWriteItemsInput, _ ...func(*awsddb.Options)) (*awsddb.TransactWriteItemsOutput, error) {
	return &awsddb.TransactWriteItemsOutput{}, f.tx(in)
}
