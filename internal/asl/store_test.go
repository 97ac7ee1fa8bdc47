package asl_test

import (
	"testing"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
)

func TestMemStoreContract(t *testing.T) {
	asltest.TestStore(t, func(t *testing.T) asl.Store { return asl.NewMemStore() })
}
