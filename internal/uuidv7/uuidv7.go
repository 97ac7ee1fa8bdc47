package uuidv7

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"time"
)

// UUID is an RFC 9562 UUID; prediction ids are version 7 (time-ordered).
type UUID [16]byte

// String returns the canonical 36-character form.
func (u UUID) String() string { return string(u.Append(nil)) }

// Append appends the canonical form to b.
func (u UUID) Append(b []byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return append(b, buf[:]...)
}

// Version returns the version nibble.
func (u UUID) Version() int { return int(u[6] >> 4) }

// Time returns the Unix millisecond timestamp of a version 7 UUID.
func (u UUID) Time() time.Time {
	var b [8]byte
	copy(b[2:], u[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:])))
}

// errBadUUID is returned by Parse.
var errBadUUID = errors.New("uuidv7: not a UUID")

// Parse parses the canonical 36-character form (hex digits in either
// case).
func Parse(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, errBadUUID
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return UUID{}, errBadUUID
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Gen issues UUIDv7 prediction ids: 48 bits of Unix milliseconds, a
// 12-bit counter that keeps ids issued within one millisecond increasing
// (RFC 9562 §6.2, method 1), and 62 random bits.
//
// It is safe for concurrent use.
type Gen struct {
	now  func() time.Time
	rand io.Reader // nil means crypto/rand

	mu     sync.Mutex
	lastMs int64
	seq    uint16 // 12 bits
}

// NewGen returns a generator reading the clock from now and random bits
// from r; nil means time.Now and crypto/rand.
func NewGen(now func() time.Time, r io.Reader) *Gen {
	if now == nil {
		now = time.Now
	}
	return &Gen{now: now, rand: r}
}

// Fill writes len(ids) fresh, strictly increasing ids. It returns an error
// only if the random source fails.
//
// The random bits are read before the lock is taken (into a stack buffer
// for the usual few ids), so that requests wait on one another only for
// the counter.
func (g *Gen) Fill(ids []UUID) error {
	if len(ids) == 0 {
		return nil
	}
	need := 8*len(ids) + 2
	var small [8*smallFill + 2]byte
	var buf []byte
	switch {
	case g.rand == nil && len(ids) <= smallFill:
		buf = small[:need]
		_, _ = rand.Read(buf) // crypto/rand.Read never fails
	case g.rand == nil:
		buf = make([]byte, need)
		_, _ = rand.Read(buf)
	default:
		b := make([]byte, need)
		if _, err := io.ReadFull(g.rand, b); err != nil {
			return errors.Join(errors.New("uuidv7: read random bits"), err)
		}
		buf = b
	}
	ms := g.now().UnixMilli()
	g.mu.Lock()
	defer g.mu.Unlock()
	if ms > g.lastMs {
		g.lastMs = ms
		// Start each millisecond at a random counter in the lower half so
		// that the counter rarely overflows.
		g.seq = binary.BigEndian.Uint16(buf[8*len(ids):]) & 0x7ff
	} else {
		g.seq++
	}
	for i := range ids {
		if i > 0 {
			g.seq++
		}
		if g.seq > 0xfff {
			// Counter overflow: borrow the next millisecond.
			g.lastMs++
			g.seq = 0
		}
		u := &ids[i]
		t := uint64(g.lastMs)
		u[0], u[1], u[2], u[3], u[4], u[5] = byte(t>>40), byte(t>>32), byte(t>>24), byte(t>>16), byte(t>>8), byte(t)
		u[6] = 0x70 | byte(g.seq>>8)
		u[7] = byte(g.seq)
		copy(u[8:], buf[8*i:8*i+8])
		u[8] = u[8]&0x3f | 0x80 // variant 10
	}
	return nil
}

// smallFill is the most ids Fill makes with random bits on the stack.
const smallFill = 16
