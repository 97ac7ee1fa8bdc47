package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/stewardml/steward/internal/store"
)

// Errors of the operator store, checked with errors.Is.
var (
	// ErrExists reports an operator name already taken.
	ErrExists = errors.New("web: operator exists")
	// ErrNoOperator reports an unknown operator.
	ErrNoOperator = errors.New("web: no such operator")
	// ErrBadCredentials reports a sign-in with a wrong name or password;
	// it does not say which.
	ErrBadCredentials = errors.New("web: wrong name or password")
	// ErrInvalidOperator reports a bad name, email or password.
	ErrInvalidOperator = errors.New("web: invalid operator")
)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// Operator is a person who may sign in to the dashboard. Only the
// password's argon2id hash is stored.
type Operator struct {
	Name string `json:"name"`
	// Email is the address the operator decides approvals as: it must be
	// among a request's approvers. Empty means Name.
	Email     string    `json:"email,omitempty"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"createdAt"`
	// Gen changes when the password changes or the operator is recreated,
	// which ends every session signed for an earlier generation.
	Gen int64 `json:"gen"`
}

// Approver is the address the operator decides approvals as.
func (o Operator) Approver() string {
	if o.Email != "" {
		return o.Email
	}
	return o.Name
}

// Argon2 holds argon2id cost parameters.
type Argon2 struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultArgon2 is OWASP's recommended minimum for argon2id (19 MiB, two
// passes, one lane): about 30 ms per sign-in on one core, small enough for
// a Lambda of 512 MB, and memory-hard, so guessing on GPUs stays costly.
var DefaultArgon2 = Argon2{Time: 2, Memory: 19 * 1024, Threads: 1}

// Operators stores operators in the record store, one partition for all.
// It is safe for concurrent use.
type Operators struct {
	Records store.RecordStore
	Params  Argon2 // zero means DefaultArgon2
	Now     func() time.Time
}

const operatorsPK = "OPERATORS"

func operatorSK(name string) string { return "OP#" + name }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{0,63}$`)

// ValidateName checks an operator name: 1 to 64 lowercase letters, digits
// and . _ @ + -, starting with a letter or digit.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: name %q: expected 1 to 64 lowercase letters, digits or . _ @ + - (starting with a letter or digit)", ErrInvalidOperator, name)
	}
	return nil
}

func (s *Operators) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Operators) params() Argon2 {
	if s.Params.Time == 0 {
		return DefaultArgon2
	}
	return s.Params
}

// Create stores a new operator with the hash of password.
func (s *Operators) Create(ctx context.Context, name, email, password string) (Operator, error) {
	if err := ValidateName(name); err != nil {
		return Operator{}, err
	}
	if email != "" && (!strings.Contains(email, "@") || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>,")) {
		return Operator{}, fmt.Errorf("%w: email %q: expected one address", ErrInvalidOperator, email)
	}
	if n := utf8.RuneCountInString(password); n < MinPassword || len(password) > 1024 {
		return Operator{}, fmt.Errorf("%w: password: expected %d to 1024 characters, got %d", ErrInvalidOperator, MinPassword, n)
	}
	hash, err := hashPassword(password, s.params())
	if err != nil {
		return Operator{}, err
	}
	now := s.now()
	op := Operator{Name: name, Email: email, Hash: hash, CreatedAt: now, Gen: now.UnixNano()}
	body, err := json.Marshal(op)
	if err != nil {
		return Operator{}, fmt.Errorf("web: encode operator: %w", err)
	}
	err = s.Records.Write(ctx, store.Write{Record: store.Record{PK: operatorsPK, SK: operatorSK(name), Body: body, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}})
	if errors.Is(err, store.ErrConflict) {
		return Operator{}, fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err != nil {
		return Operator{}, fmt.Errorf("web: create operator %s: %w", name, err)
	}
	return op, nil
}

// Get returns an operator or ErrNoOperator.
func (s *Operators) Get(ctx context.Context, name string) (Operator, error) {
	if ValidateName(name) != nil {
		return Operator{}, fmt.Errorf("%w: %s", ErrNoOperator, name)
	}
	rec, err := s.Records.Get(ctx, operatorsPK, operatorSK(name))
	if errors.Is(err, store.ErrNotFound) {
		return Operator{}, fmt.Errorf("%w: %s", ErrNoOperator, name)
	}
	if err != nil {
		return Operator{}, fmt.Errorf("web: get operator %s: %w", name, err)
	}
	var op Operator
	if err := json.Unmarshal(rec.Body, &op); err != nil {
		return Operator{}, fmt.Errorf("web: decode operator %s: %w", name, err)
	}
	return op, nil
}

// List returns every operator, by name.
func (s *Operators) List(ctx context.Context) ([]Operator, error) {
	recs, err := s.Records.Query(ctx, operatorsPK, store.Query{Prefix: "OP#"})
	if err != nil {
		return nil, fmt.Errorf("web: list operators: %w", err)
	}
	out := make([]Operator, 0, len(recs))
	for _, r := range recs {
		var op Operator
		if err := json.Unmarshal(r.Body, &op); err != nil {
			return nil, fmt.Errorf("web: decode operator %s: %w", r.SK, err)
		}
		out = append(out, op)
	}
	return out, nil
}

// Delete removes an operator; their sessions stop working at once.
func (s *Operators) Delete(ctx context.Context, name string) error {
	if ValidateName(name) != nil {
		return fmt.Errorf("%w: %s", ErrNoOperator, name)
	}
	err := s.Records.Write(ctx, store.Write{Record: store.Record{PK: operatorsPK, SK: operatorSK(name)}, Delete: true, Cond: store.Cond{Kind: store.CondExists}})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %s", ErrNoOperator, name)
	}
	if err != nil {
		return fmt.Errorf("web: delete operator %s: %w", name, err)
	}
	return nil
}

// dummyHash is verified against when the name is unknown, so that a
// wrong name costs as much time as a wrong password.
var dummyHash, _ = hashPassword("steward-dummy-password", DefaultArgon2)

// Authenticate checks a name and password. Any mismatch is
// ErrBadCredentials; other errors mean the store failed.
func (s *Operators) Authenticate(ctx context.Context, name, password string) (Operator, error) {
	op, err := s.Get(ctx, name)
	if errors.Is(err, ErrNoOperator) {
		_, _ = verifyPassword(dummyHash, password)
		return Operator{}, ErrBadCredentials
	}
	if err != nil {
		return Operator{}, err
	}
	ok, err := verifyPassword(op.Hash, password)
	if err != nil {
		return Operator{}, fmt.Errorf("web: operator %s: %w", name, err)
	}
	if !ok {
		return Operator{}, ErrBadCredentials
	}
	return op, nil
}

// hashPassword returns the PHC string of argon2id over password with a
// random 16-byte salt: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func hashPassword(password string, p Argon2) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("web: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyPassword checks password against a PHC string, with the cost
// parameters the string records (bounded, so that a corrupted record
// cannot make a sign-in allocate gigabytes).
func verifyPassword(phc, password string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errors.New("unsupported password hash")
	}
	var p Argon2
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("password hash parameters: %v", err)
	}
	if p.Memory < 8 || p.Memory > 256*1024 || p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.Threads > 8 {
		return false, errors.New("password hash parameters out of bounds")
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 {
		return false, errors.New("malformed password hash")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
