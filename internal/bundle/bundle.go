package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/ml/preprocess"
)

// Format is the manifest format this package writes and reads.
const Format = "steward.bundle/v1"

// Member names inside the archive.
const (
	ManifestFile   = "manifest.json"
	ModelFile      = "model.bin"
	ProfileFile    = "profile.json"
	EvaluationFile = "evaluation.json"
)

// KeyPrefix is the artifact-store prefix of every bundle.
const KeyPrefix = "bundles/sha256/"

// MaxMemberBytes bounds one member of an archive being decoded.
const MaxMemberBytes = 1 << 30

// Sentinel errors, checked with errors.Is.
var (
	// ErrCorrupt reports an archive that cannot be decoded: not a tar, an
	// unknown or missing member, a checksum that does not match, a
	// manifest that does not parse or is inconsistent.
	ErrCorrupt = errors.New("bundle: corrupt bundle")
	// ErrInvalidInput reports a row that does not fit the schema; the
	// error is a *FieldError.
	ErrInvalidInput = errors.New("bundle: invalid input")
)

// Schema is the input contract of the model: its features in row order,
// the columns of the training file (features and target, in file order),
// how the label was defined, and which cell texts meant "missing".
//
// It is a deliberate copy of the training dataset.Schema rather than that
// type itself: it is frozen into the bundle's manifest, so its JSON shape
// is a stored format, and it keeps what scoring needs (the features in row
// order, the file's column names) rather than the whole file layout. Its
// columns are dataset.Column values, not a mirror of them.
type Schema struct {
	Features []dataset.Column `json:"features"`
	Columns  []string         `json:"columns"`
	Target   dataset.Target   `json:"target"`
	Missing  []string         `json:"missing,omitempty"`
}

// Dataset returns a schema that reads files laid out as the training data
// (withTarget) or as its features alone. The target column is read as a
// number.
func (s *Schema) Dataset(withTarget bool) *dataset.Schema {
	out := &dataset.Schema{Missing: s.Missing}
	if !withTarget {
		out.Columns = s.Features
		return out
	}
	byName := make(map[string]dataset.Column, len(s.Features))
	for _, c := range s.Features {
		byName[c.Name] = c
	}
	for _, n := range s.Columns {
		c, ok := byName[n]
		if !ok {
			c = dataset.Column{Name: n, Kind: dataset.Numeric}
		}
		out.Columns = append(out.Columns, c)
	}
	out.Target = s.Target
	return out
}

// Names returns the feature names in row order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Features))
	for i, c := range s.Features {
		out[i] = c.Name
	}
	return out
}

// Metrics are the model's evaluation as recorded in the manifest.
type Metrics struct {
	// Selection is the metric the winner was chosen by.
	Selection string `json:"selection"`
	// Folds and Repeats describe the cross-validation.
	Folds   int `json:"folds"`
	Repeats int `json:"repeats"`
	// CV holds each metric's mean and std over the folds, for the
	// winning candidate.
	CV map[string]eval.Stat `json:"cv"`
	// Holdout holds the final model's metrics on the hold-out rows; nil
	// without a hold-out.
	Holdout *eval.Metrics `json:"holdout,omitempty"`
}

// Dataset identifies the training data.
type Dataset struct {
	Digest      string `json:"digest"`
	Rows        int    `json:"rows"`
	Positives   int    `json:"positives"`
	TrainRows   int    `json:"train_rows"`
	HoldoutRows int    `json:"holdout_rows"`
}

// Importance is one input feature's share of the model's importances.
type Importance struct {
	Feature    string  `json:"feature"`
	Importance float64 `json:"importance"`
}

// File records one member's checksum.
type File struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Training records when and how long training ran. It is the only part of
// a bundle left out of its digest.
type Training struct {
	StartedAt time.Time `json:"started_at,omitzero"`
	Seconds   float64   `json:"seconds,omitempty"`
}

// Manifest describes a bundle.
type Manifest struct {
	Format string `json:"format"`
	// Model is the registered model name.
	Model string `json:"model"`
	// Family is logreg, forest or gbdt; Params its effective
	// hyperparameters; Candidate the search candidate that won.
	Family    string          `json:"family"`
	Params    json.RawMessage `json:"params"`
	Candidate string          `json:"candidate,omitempty"`
	Schema    Schema          `json:"schema"`
	// Preprocess turns a row in schema order into the model's columns.
	Preprocess *preprocess.Pipeline `json:"preprocess"`
	// Threshold is the probability at or above which the label is 1.
	Threshold float64 `json:"threshold"`
	Metrics   Metrics `json:"metrics"`
	Dataset   Dataset `json:"dataset"`
	// CodeVersion is the build that trained the model; Seed the seed.
	CodeVersion string       `json:"code_version"`
	Seed        int64        `json:"seed"`
	Importances []Importance `json:"feature_importances"`
	// Files holds the checksum of every other member, by name.
	Files    map[string]File `json:"files"`
	Training Training        `json:"training"`
}

// Evaluation holds the reports drawn from the model's predictions.
type Evaluation struct {
	// Holdout is the final model on the hold-out rows (nil without one).
	Holdout *eval.Report `json:"holdout,omitempty"`
	// OutOfFold is the winning candidate's out-of-fold predictions of the
	// first cross-validation repeat.
	OutOfFold *eval.Report `json:"out_of_fold,omitempty"`
}

// Bundle is a decoded bundle.
type Bundle struct {
	Manifest Manifest
	// Model is the family's payload.
	Model []byte
	// Profile is the reference profile (JSON), nil when absent.
	Profile []byte
	// Evaluation is nil when absent.
	Evaluation *Evaluation
}

// Encode returns the archive. It fills in Manifest.Format and Files.
func (b *Bundle) Encode() ([]byte, error) {
	if len(b.Model) == 0 {
		return nil, fmt.Errorf("bundle: encode: no model payload")
	}
	members := []struct {
		name string
		data []byte
	}{{ModelFile, b.Model}}
	if b.Profile != nil {
		members = append(members, struct {
			name string
			data []byte
		}{ProfileFile, b.Profile})
	}
	if b.Evaluation != nil {
		ev, err := json.Marshal(b.Evaluation)
		if err != nil {
			return nil, fmt.Errorf("bundle: encode evaluation: %w", err)
		}
		members = append(members, struct {
			name string
			data []byte
		}{EvaluationFile, ev})
	}
	b.Manifest.Format = Format
	b.Manifest.Files = make(map[string]File, len(members))
	for _, m := range members {
		b.Manifest.Files[m.name] = File{SHA256: sha(m.data), Size: int64(len(m.data))}
	}
	man, err := json.MarshalIndent(b.Manifest, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle: encode manifest: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(name string, data []byte) error {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Mode:     0o644,
			Size:     int64(len(data)),
			ModTime:  time.Unix(0, 0).UTC(),
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := write(ManifestFile, append(man, '\n')); err != nil {
		return nil, fmt.Errorf("bundle: encode: %w", err)
	}
	for _, m := range members {
		if err := write(m.name, m.data); err != nil {
			return nil, fmt.Errorf("bundle: encode: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Digest returns "sha256:<hex>" of the archive encoded without the
// manifest's Training section: the bundle's identity, independent of when
// it was trained.
func (b *Bundle) Digest() (string, error) {
	c := *b
	c.Manifest.Training = Training{}
	data, err := c.Encode()
	if err != nil {
		return "", err
	}
	b.Manifest.Format, b.Manifest.Files = c.Manifest.Format, c.Manifest.Files
	return "sha256:" + sha(data), nil
}

// Key returns the artifact-store key of the bundle with the given digest.
func Key(digest string) string {
	return KeyPrefix + strings.TrimPrefix(digest, "sha256:") + ".tar"
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
}

// Decode reads an archive written by Encode, verifying every member against
// the manifest's checksums. Errors wrap ErrCorrupt.
func Decode(data []byte) (*Bundle, error) {
	tr := tar.NewReader(bytes.NewReader(data))
	got := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, corrupt("read archive: %v", err)
		}
		switch hdr.Name {
		case ManifestFile, ModelFile, ProfileFile, EvaluationFile:
		default:
			return nil, corrupt("unexpected member %q", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, corrupt("member %q is not a regular file", hdr.Name)
		}
		if _, dup := got[hdr.Name]; dup {
			return nil, corrupt("member %q appears twice", hdr.Name)
		}
		if hdr.Size < 0 || hdr.Size > MaxMemberBytes {
			return nil, corrupt("member %q has size %d", hdr.Name, hdr.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil || int64(len(b)) != hdr.Size {
			return nil, corrupt("member %q is truncated", hdr.Name)
		}
		got[hdr.Name] = b
	}
	man, ok := got[ManifestFile]
	if !ok {
		return nil, corrupt("no %s", ManifestFile)
	}
	b := &Bundle{}
	dec := json.NewDecoder(bytes.NewReader(man))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Manifest); err != nil {
		return nil, corrupt("%s: %v", ManifestFile, err)
	}
	if b.Manifest.Format != Format {
		return nil, corrupt("format %q, this build reads %q", b.Manifest.Format, Format)
	}
	for name := range got {
		if name == ManifestFile {
			continue
		}
		if _, ok := b.Manifest.Files[name]; !ok {
			return nil, corrupt("member %q is not listed in the manifest", name)
		}
	}
	for name, f := range b.Manifest.Files {
		data, ok := got[name]
		if !ok {
			return nil, corrupt("member %q listed in the manifest is missing", name)
		}
		if sha(data) != f.SHA256 || int64(len(data)) != f.Size {
			return nil, corrupt("member %q does not match its checksum", name)
		}
	}
	b.Model = got[ModelFile]
	if b.Model == nil {
		return nil, corrupt("no %s", ModelFile)
	}
	b.Profile = got[ProfileFile]
	if ev, ok := got[EvaluationFile]; ok {
		b.Evaluation = &Evaluation{}
		if err := json.Unmarshal(ev, b.Evaluation); err != nil {
			return nil, corrupt("%s: %v", EvaluationFile, err)
		}
	}
	if err := b.Manifest.check(); err != nil {
		return nil, err
	}
	return b, nil
}

// check verifies the manifest's internal consistency.
func (m *Manifest) check() error {
	if m.Preprocess == nil {
		return corrupt("manifest has no preprocessing")
	}
	if err := m.Preprocess.Check(); err != nil {
		return corrupt("%v", err)
	}
	if len(m.Schema.Features) != m.Preprocess.Inputs() {
		return corrupt("schema has %d features, preprocessing %d", len(m.Schema.Features), m.Preprocess.Inputs())
	}
	for j, c := range m.Schema.Features {
		if c.Name != m.Preprocess.Features[j].Name {
			return corrupt("feature %d is %q in the schema and %q in the preprocessing", j, c.Name, m.Preprocess.Features[j].Name)
		}
	}
	if !(m.Threshold > 0 && m.Threshold < 1) {
		return corrupt("threshold %v is not in (0, 1)", m.Threshold)
	}
	return nil
}
