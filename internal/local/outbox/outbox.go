// Package outbox is the local Mailer: every message becomes an .eml file
// (RFC 5322, multipart/alternative when it has HTML) in a directory, and a
// one-line notice with its link is printed for the person at the console.
package outbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

// Outbox writes messages to Dir. It is safe for concurrent use, also by
// several processes sharing Dir: each message gets a unique file written
// atomically.
type Outbox struct {
	Dir     string
	Console io.Writer        // optional: one line per message
	Now     func() time.Time // injectable clock
	seq     atomic.Int64
}

var _ notify.Mailer = (*Outbox)(nil)

// New returns an outbox writing into dir, creating it if needed.
func New(dir string, console io.Writer) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{Dir: dir, Console: console, Now: time.Now}, nil
}

// Send writes m as an .eml file.
func (o *Outbox) Send(ctx context.Context, m notify.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	now := o.Now().UTC()
	raw, err := m.Render(now)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%d-%04d.eml", now.Format("20060102T150405.000000000Z"), os.Getpid(), o.seq.Add(1)%10000)
	tmp, err := os.CreateTemp(o.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(o.Dir, name)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if o.Console != nil {
		line := fmt.Sprintf("outbox: %q to %s", m.Subject, strings.Join(m.To, ", "))
		if m.Link != "" {
			line += " → " + m.Link
		}
		fmt.Fprintln(o.Console, line)
	}
	return nil
}

// Messages returns the paths of the .eml files in the outbox, oldest first.
func (o *Outbox) Messages() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(o.Dir, "*.eml"))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	sort.Strings(paths)
	return paths, nil
}
