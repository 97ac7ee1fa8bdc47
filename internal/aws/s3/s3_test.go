package s3_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.RunArtifactStore(t, func(t *testing.T) store.ArtifactStore {
		client, bucket := awstest.S3(t)
		return s3.New(client, bucket)
	})
}

func TestContractUnderPrefix(t *testing.T) {
	storetest.RunArtifactStore(t, func(t *testing.T) store.ArtifactStore {
		client, bucket := awstest.S3(t)
		return s3.New(client, bucket).WithPrefix("deploy-a/")
	})
}

func TestTamperedObjectIsChecksumError(t *testing.T) {
	client, bucket := awstest.S3(t)
	s := s3.New(client, bucket)
	ctx := context.Background()
	if _, err := s.Put(ctx, "data/heart.csv", []byte("1,2,3\n"), "text/csv"); err != nil {
		t.Fatal(err)
	}
	// Overwrite the bytes behind the adapter's back, keeping the old digest.
	head, err := client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("data/heart.csv")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("data/heart.csv"),
		Body: bytes.NewReader([]byte("1,2,4\n")), Metadata: head.Metadata,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "data/heart.csv"); !errors.Is(err, store.ErrChecksum) {
		t.Fatalf("Get of tampered object: err = %v, want ErrChecksum", err)
	}
}

func TestPutSendsSHA256Checksum(t *testing.T) {
	var got *awss3.PutObjectInput
	fake := &fakeAPI{put: func(in *awss3.PutObjectInput) (*awss3.PutObjectOutput, error) {
		got = in
		return &awss3.PutObjectOutput{}, nil
	}}
	s := s3.New(fake, "b")
	if _, err := s.Put(context.Background(), "k", []byte("hello"), ""); err != nil {
		t.Fatal(err)
	}
	// base64 of SHA-256("hello")
	if want := "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="; aws.ToString(got.ChecksumSHA256) != want {
		t.Errorf("ChecksumSHA256 = %q, want %q", aws.ToString(got.ChecksumSHA256), want)
	}
	if want := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; got.Metadata["sha256"] != want {
		t.Errorf("metadata sha256 = %q, want %q", got.Metadata["sha256"], want)
	}
}

func TestServiceErrorsAreWrapped(t *testing.T) {
	boom := errors.New("throttled")
	fake := &fakeAPI{get: func(*awss3.GetObjectInput) (*awss3.GetObjectOutput, error) { return nil, boom }}
	_, _, err := s3.New(fake, "b").Get(context.Background(), "k")
	if !errors.Is(err, boom) || errors.Is(err, store.ErrNotFound) || !strings.HasPrefix(err.Error(), "s3: get k:") {
		t.Fatalf("err = %v, want the SDK error wrapped with the s3 prefix", err)
	}
}

type fakeAPI struct {
	s3.API
	put func(*awss3.PutObjectInput) (*awss3.PutObjectOutput, error)
	get func(*awss3.GetObjectInput) (*awss3.GetObjectOutput, error)
}

func (f *fakeAPI) PutObject(_ context.Context, in *awss3.PutObjectInput, _ ...func(*awss3.Options)) (*awss3.PutObjectOutput, error) {
	return f.put(in)
}

func (f *fakeAPI) GetObject(_ context.Context, in *awss3.GetObjectInput, _ ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	return f.get(in)
}
