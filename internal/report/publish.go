package report

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// Linker turns the artifact key of a rendered report into a URL a reader
// can open: a presigned S3 URL on AWS, a dashboard address locally.
//
// Implementations are safe for concurrent use.
type Linker interface {
	Link(ctx context.Context, key string) (string, error)
}

// DashboardLinks links reports to the dashboard, which serves stored
// reports to signed-in operators at {Base}/view/{key}.
type DashboardLinks struct {
	// Base is the dashboard's public address, e.g. http://127.0.0.1:8080.
	Base string
}

// Link implements Linker.
func (d DashboardLinks) Link(_ context.Context, key string) (string, error) {
	return strings.TrimRight(d.Base, "/") + ViewPath(key), nil
}

// ViewPath is the dashboard path that shows a stored report.
func ViewPath(key string) string {
	return "/view/" + (&url.URL{Path: key}).EscapedPath()
}

// Published is one stored rendering of a report.
type Published struct {
	Format Format `json:"format"`
	Key    string `json:"key"`
	Size   int    `json:"size"`
	// URL is where a reader opens it; empty without a Linker.
	URL string `json:"url,omitempty"`
}

// Service loads, renders and stores reports.
type Service struct {
	Loader    *Loader
	Artifacts store.ArtifactStore
	Links     Linker // optional
	Now       func() time.Time
}

func (s *Service) opts() Options { return Options{Now: s.Now} }

// Render loads ref and renders it in format f, without storing it.
func (s *Service) Render(ctx context.Context, ref Ref, f Format) ([]byte, error) {
	v, err := s.Loader.Load(ctx, ref)
	if err != nil {
		return nil, err
	}
	return Bytes(v, f, s.opts())
}

// Publish loads ref once, renders it in each format (HTML when none is
// given), stores each rendering under ref.Key(format) and returns where
// they are. A deployment ref without a seq is resolved to the latest move.
func (s *Service) Publish(ctx context.Context, ref Ref, formats ...Format) ([]Published, error) {
	if len(formats) == 0 {
		formats = []Format{HTML}
	}
	v, err := s.Loader.Load(ctx, ref)
	if err != nil {
		return nil, err
	}
	if d, ok := v.(*Deployment); ok {
		ref.ID = fmt.Sprint(d.Seq)
	}
	out := make([]Published, 0, len(formats))
	for _, f := range formats {
		b, err := Bytes(v, f, s.opts())
		if err != nil {
			return nil, err
		}
		key := ref.Key(f)
		if _, err := s.Artifacts.Put(ctx, key, b, f.ContentType()); err != nil {
			return nil, fmt.Errorf("report: store %s: %w", key, err)
		}
		p := Published{Format: f, Key: key, Size: len(b)}
		if s.Links != nil {
			if p.URL, err = s.Links.Link(ctx, key); err != nil {
				return nil, fmt.Errorf("report: link %s: %w", key, err)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
