package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stewardml/steward/internal/store"
)

var _ store.RecordStore = (*Store)(nil)

// Attribute names of the table.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrBody    = "body"
	AttrVersion = "version"
	AttrTTL     = "ttl"
)

// API lists the DynamoDB calls the adapter makes; *dynamodb.Client
// implements it.
type API interface {
	GetItem(ctx context.Context, in *awsddb.GetItemInput, opts ...func(*awsddb.Options)) (*awsddb.GetItemOutput, error)
	PutItem(ctx context.Context, in *awsddb.PutItemInput, opts ...func(*awsddb.Options)) (*awsddb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *awsddb.DeleteItemInput, opts ...func(*awsddb.Options)) (*awsddb.DeleteItemOutput, error)
	Query(ctx context.Context, in *awsddb.QueryInput, opts ...func(*awsddb.Options)) (*awsddb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *awsddb.TransactWriteItemsInput, opts ...func(*awsddb.Options)) (*awsddb.TransactWriteItemsOutput, error)
}

// Store is a RecordStore in one DynamoDB table. It is safe for concurrent use.
type Store struct {
	client API
	table  string
	// Now decides which records have expired; defaults to time.Now.
	Now func() time.Time
}

// New returns a Store for table through client.
func New(client API, table string) *Store {
	return &Store{client: client, table: table, Now: time.Now}
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

// Get returns the live record at pk/sk with a strongly consistent read.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Record, error) {
	if err := store.ValidateRecordKey(pk, sk); err != nil {
		return store.Record{}, fmt.Errorf("dynamodb: get: %w", err)
	}
	out, err := s.client.GetItem(ctx, &awsddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.Record{}, fmt.Errorf("dynamodb: get %s/%s: %w", pk, sk, mapErr(err))
	}
	if out.Item == nil {
		return store.Record{}, fmt.Errorf("dynamodb: get %s/%s: %w", pk, sk, store.ErrNotFound)
	}
	r, ttl, err := decode(out.Item)
	if err != nil {
		return store.Record{}, fmt.Errorf("dynamodb: get %s/%s: %w", pk, sk, err)
	}
	if !store.LiveAt(ttl, s.now()) {
		return store.Record{}, fmt.Errorf("dynamodb: get %s/%s: expired: %w", pk, sk, store.ErrNotFound)
	}
	return r, nil
}

// Query returns the live records of partition pk matching q, following
// pages until q.Limit live records are found or the partition ends.
func (s *Store) Query(ctx context.Context, pk string, q store.Query) ([]store.Record, error) {
	if err := store.ValidateQuery(pk, q); err != nil {
		return nil, fmt.Errorf("dynamodb: query: %w", err)
	}
	names := map[string]string{"#pk": AttrPK}
	values := map[string]types.AttributeValue{":pk": str(pk)}
	cond := "#pk = :pk"
	filterPrefix := "" // checked here when the key condition cannot express it
	lo, hi := q.From, q.To
	switch {
	case q.Prefix != "" && lo == "" && hi == "":
		cond += " AND begins_with(#sk, :prefix)"
		names["#sk"], values[":prefix"] = AttrSK, str(q.Prefix)
	case q.Prefix != "":
		filterPrefix = q.Prefix
		if lo < q.Prefix {
			lo = q.Prefix
		}
	}
	switch {
	case (lo != "" || hi != "") && hi != "" && lo > hi:
		return nil, nil // the prefix and the range do not meet
	case lo != "" && hi != "":
		cond += " AND #sk BETWEEN :lo AND :hi"
		names["#sk"], values[":lo"], values[":hi"] = AttrSK, str(lo), str(hi)
	case lo != "":
		cond += " AND #sk >= :lo"
		names["#sk"], values[":lo"] = AttrSK, str(lo)
	case hi != "":
		cond += " AND #sk <= :hi"
		names["#sk"], values[":hi"] = AttrSK, str(hi)
	}
	in := &awsddb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(!q.Descending),
		ConsistentRead:            aws.Bool(true),
	}
	now := s.now()
	var out []store.Record
	for {
		if q.Limit > 0 {
			in.Limit = aws.Int32(int32(min(q.Limit-len(out), 1000)))
		}
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: query %s: %w", pk, mapErr(err))
		}
		for _, item := range page.Items {
			r, ttl, err := decode(item)
			if err != nil {
				return nil, fmt.Errorf("dynamodb: query %s: %w", pk, err)
			}
			if !store.LiveAt(ttl, now) || !strings.HasPrefix(r.SK, filterPrefix) {
				continue
			}
			out = append(out, r)
			if q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func decode(item map[string]types.AttributeValue) (store.Record, int64, error) {
	var r store.Record
	var ttl int64
	getS := func(name string) (string, error) {
		v, ok := item[name].(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("item attribute %q is missing or not a string", name)
		}
		return v.Value, nil
	}
	getN := func(name string, optional bool) (int64, error) {
		av, present := item[name]
		if !present && optional {
			return 0, nil
		}
		v, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return 0, fmt.Errorf("item attribute %q is missing or not a number", name)
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("item attribute %q: %w", name, err)
		}
		return n, nil
	}
	var err error
	if r.PK, err = getS(AttrPK); err != nil {
		return r, 0, err
	}
	if r.SK, err = getS(AttrSK); err != nil {
		return r, 0, err
	}
	body, err := getS(AttrBody)
	if err != nil {
		return r, 0, err
	}
	r.Body = json.RawMessage(body)
	if r.Version, err = getN(AttrVersion, false); err != nil {
		return r, 0, err
	}
	if ttl, err = getN(AttrTTL, true); err != nil {
		return r, 0, err
	}
	r.ExpiresAt = store.ExpiresAtFromTTL(ttl)
	return r, ttl, nil
}

// condition renders a store.Cond as a ConditionExpression with only the
// names and values it uses (DynamoDB rejects unused ones).
func condition(c store.Cond, now time.Time) (*string, map[string]string, map[string]types.AttributeValue) {
	const live = "(attribute_not_exists(#ttl) OR #ttl > :now)"
	names := map[string]string{"#pk": AttrPK, "#ttl": AttrTTL}
	values := map[string]types.AttributeValue{":now": num(now.Unix())}
	var expr string
	switch c.Kind {
	case store.CondAbsent:
		expr = "attribute_not_exists(#pk) OR #ttl <= :now"
	case store.CondExists:
		expr = "attribute_exists(#pk) AND " + live
	case store.CondVersion:
		expr = "attribute_exists(#pk) AND #version = :version AND " + live
		names["#version"] = AttrVersion
		values[":version"] = num(c.Version)
	default:
		return nil, nil, nil
	}
	return aws.String(expr), names, values
}

func item(r store.Record) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		AttrPK:      str(r.PK),
		AttrSK:      str(r.SK),
		AttrBody:    str(string(r.Body)),
		AttrVersion: num(r.Version),
	}
	if ttl := store.TTLSeconds(r.ExpiresAt); ttl != 0 {
		it[AttrTTL] = num(ttl)
	}
	return it
}

// Write applies one write with PutItem/DeleteItem, or a batch with one
// TransactWriteItems call.
func (s *Store) Write(ctx context.Context, writes ...store.Write) error {
	if err := store.ValidateWrites(writes); err != nil {
		return fmt.Errorf("dynamodb: write: %w", err)
	}
	now := s.now()
	switch len(writes) {
	case 0:
		return nil
	case 1:
		w := writes[0]
		expr, names, values := condition(w.Cond, now)
		var err error
		if w.Delete {
			_, err = s.client.DeleteItem(ctx, &awsddb.DeleteItemInput{
				TableName: aws.String(s.table), Key: key(w.Record.PK, w.Record.SK),
				ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			})
		} else {
			_, err = s.client.PutItem(ctx, &awsddb.PutItemInput{
				TableName: aws.String(s.table), Item: item(w.Record),
				ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			})
		}
		if err != nil {
			return fmt.Errorf("dynamodb: write %s/%s: %w", w.Record.PK, w.Record.SK, mapErr(err))
		}
		return nil
	}
	items := make([]types.TransactWriteItem, 0, len(writes))
	for _, w := range writes {
		expr, names, values := condition(w.Cond, now)
		if w.Delete {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table), Key: key(w.Record.PK, w.Record.SK),
				ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			}})
			continue
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: item(w.Record),
			ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}})
	}
	if _, err := s.client.TransactWriteItems(ctx, &awsddb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("dynamodb: write batch of %d (first %s/%s): %w", len(writes), writes[0].Record.PK, writes[0].Record.SK, mapErr(err))
	}
	return nil
}

// mapErr turns DynamoDB's answers into store errors, keeping the SDK error
// in the chain for its details.
func mapErr(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errors.Join(store.ErrConflict, err)
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		var codes []string
		conflict := false
		for _, r := range tce.CancellationReasons {
			code := aws.ToString(r.Code)
			codes = append(codes, code)
			switch code {
			case "ConditionalCheckFailed", "TransactionConflict":
				conflict = true
			case "ValidationError":
				return fmt.Errorf("cancelled with reasons %v: %w", codes, errors.Join(store.ErrInvalid, err))
			}
		}
		if conflict {
			return fmt.Errorf("cancelled with reasons %v: %w", codes, errors.Join(store.ErrConflict, err))
		}
		return err
	}
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return errors.Join(store.ErrConflict, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return errors.Join(store.ErrInvalid, err)
	}
	return err
}
