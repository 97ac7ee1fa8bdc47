package uuidv7

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// MACBytes is how many of an id's last bytes a Signer fills with its MAC.
// Four bytes leave 46 random bits beside the 12-bit sequence, so ids of
// instances that share a millisecond still practically never collide,
// and a key holder guessing a MAC needs about 2^31 feedback requests per
// id; with six, the random part would be down to 30 bits.
const MACBytes = 4

// Signer seals prediction ids with a MAC of their other bytes, so that
// the service can tell an id it issued from one made up, in any process
// that holds the key and without looking anything up. A sealed id is
// still a UUIDv7: the MAC takes the place of random bits.
//
// A Signer is safe for concurrent use.
type Signer struct {
	pool sync.Pool // of hash.Hash
}

// NewSigner returns a Signer whose MAC key is derived from secret under a
// label of its own, so that the secret (the approval signing key) can
// serve other purposes without a MAC of one being valid for another.
func NewSigner(secret []byte) *Signer {
	d := hmac.New(sha256.New, secret)
	d.Write([]byte("steward-prediction-id-v1"))
	key := d.Sum(nil)
	s := &Signer{}
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s
}

func (s *Signer) mac(u *UUID) (sum [sha256.Size]byte) {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(u[:16-MACBytes])
	h.Sum(sum[:0])
	s.pool.Put(h)
	return sum
}

// Seal writes the MAC of u's other bytes into its last MACBytes bytes.
func (s *Signer) Seal(u *UUID) {
	sum := s.mac(u)
	copy(u[16-MACBytes:], sum[:MACBytes])
}

// Valid reports, in constant time, whether u carries the MAC Seal gives it.
func (s *Signer) Valid(u UUID) bool {
	sum := s.mac(&u)
	return hmac.Equal(u[16-MACBytes:], sum[:MACBytes])
}
