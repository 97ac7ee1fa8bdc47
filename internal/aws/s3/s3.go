package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stewardml/steward/internal/store"
)

var _ store.ArtifactStore = (*Store)(nil)

// DefaultContentType is recorded for artifacts put without a content type.
const DefaultContentType = "application/octet-stream"

// metaSHA256 is the user-metadata key holding the hex SHA-256.
const metaSHA256 = "sha256"

// API lists the S3 calls the adapter makes; *s3.Client implements it.
type API interface {
	PutObject(ctx context.Context, in *awss3.PutObjectInput, opts ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, opts ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *awss3.HeadObjectInput, opts ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, opts ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
}

// Store is an ArtifactStore in one S3 bucket, optionally under a key
// prefix. It is safe for concurrent use.
type Store struct {
	client API
	bucket string
	prefix string
	// Now stamps LastModified when S3 does not return it; defaults to time.Now.
	Now func() time.Time
}

// New returns a Store for bucket through client.
func New(client API, bucket string) *Store {
	return &Store{client: client, bucket: bucket, Now: time.Now}
}

// WithPrefix returns a Store that keeps every artifact under prefix (for
// example "steward/"), so one bucket can hold several deployments.
func (s *Store) WithPrefix(prefix string) *Store {
	c := *s
	c.prefix = prefix
	return &c
}

func (s *Store) objectKey(key string) string { return s.prefix + key }

// Put uploads body with its SHA-256 as the S3 checksum and as metadata.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) (store.ObjectInfo, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("s3: put: %w", err)
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(s.objectKey(key)),
		Body:              bytes.NewReader(body),
		ContentLength:     aws.Int64(int64(len(body))),
		ContentType:       aws.String(contentType),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		Metadata:          map[string]string{metaSHA256: hexSum},
	})
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("s3: put %s: %w", key, mapErr(err))
	}
	return store.ObjectInfo{Key: key, Size: int64(len(body)), SHA256: hexSum, ContentType: contentType, LastModified: s.Now().UTC()}, nil
}

// Get downloads the object and checks it against its recorded SHA-256.
func (s *Store) Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("s3: get: %w", err)
	}
	// The bytes are checked here against the recorded digest, so that a
	// mismatch is a typed store.ErrChecksum; the SDK's own response
	// validation would surface as an untyped read error.
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.objectKey(key)),
	}, func(o *awss3.Options) { o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired })
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("s3: get %s: %w", key, mapErr(err))
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("s3: get %s: read body: %w", key, err)
	}
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	if want, ok := out.Metadata[metaSHA256]; ok && want != got {
		return nil, store.ObjectInfo{}, fmt.Errorf("s3: get %s: bytes have SHA-256 %s, recorded %s: %w", key, got, want, store.ErrChecksum)
	}
	if want := aws.ToString(out.ChecksumSHA256); want != "" && want != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, store.ObjectInfo{}, fmt.Errorf("s3: get %s: bytes do not match the S3 checksum %s: %w", key, want, store.ErrChecksum)
	}
	info := store.ObjectInfo{Key: key, Size: int64(len(body)), SHA256: got, ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified).UTC()}
	if info.ContentType == "" {
		info.ContentType = DefaultContentType
	}
	if info.LastModified.IsZero() {
		info.LastModified = s.Now().UTC()
	}
	return body, info, nil
}

// List returns the objects under prefix, sorted by key, following every
// page of ListObjectsV2. SHA256 and ContentType are left empty.
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	if err := store.ValidateArtifactPrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3: list: %w", err)
	}
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.objectKey(prefix))}
	var out []store.ObjectInfo
	p := awss3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: list %q: %w", prefix, mapErr(err))
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)[len(s.prefix):]
			out = append(out, store.ObjectInfo{Key: key, Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified).UTC()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Exists reports whether key is stored, with a HeadObject.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return false, fmt.Errorf("s3: exists: %w", err)
	}
	_, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	if err == nil {
		return true, nil
	}
	if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return false, fmt.Errorf("s3: exists %s: %w", key, err)
}

// mapErr turns "no such key" answers into store.ErrNotFound, keeping the
// SDK error in the chain for its details.
func mapErr(err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return errors.Join(store.ErrNotFound, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchKey" {
		return errors.Join(store.ErrNotFound, err)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		var nb *types.NoSuchBucket
		if !errors.As(err, &nb) {
			return errors.Join(store.ErrNotFound, err)
		}
	}
	return err
}
