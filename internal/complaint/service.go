// Package complaint is the online pre-complaint (pré-plainte en ligne): a
// victim of an offence against property by an unknown author writes it from
// home, books a slot at a station, and signs the formal complaint there.
//
// The service keeps every answer server-side in a sealed draft, turns the
// draft into a case with a checksummed reference and a secret tracking
// code, lets the citizen follow and reschedule, and erases personal data
// when the pre-complaint expires unconfirmed.
package complaint

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/uuid7"
)

// Sealer seals and opens personal data (see internal/vault).
type Sealer = casefile.Sealer

// Blobs keeps evidence files (already sealed by the service).
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// Sniffer decides a file's type from its first bytes, refusing what is not
// an accepted evidence type with an error wrapping guichet.ErrInvalid.
type Sniffer func(head []byte) (string, error)

// Config holds the service's rules.
type Config struct {
	// TTL is how long a submitted pre-complaint waits for confirmation
	// before it expires and its personal data is erased (30 days).
	TTL time.Duration
	// DraftTTL is how long an untouched draft is kept (30 days).
	DraftTTL time.Duration
	// MaxFileSize and MaxFiles bound evidence uploads.
	MaxFileSize int64
	MaxFiles    int
	// SlotHorizon is how far ahead slots are offered (14 days).
	SlotHorizon time.Duration
	// MinNotice is the least time between now and a bookable slot.
	MinNotice time.Duration
}

// DefaultConfig returns the rules of the real service.
func DefaultConfig() Config {
	return Config{
		TTL:         PreComplaint.Retention.Open,
		DraftTTL:    30 * 24 * time.Hour,
		MaxFileSize: 10 << 20,
		MaxFiles:    5,
		SlotHorizon: 14 * 24 * time.Hour,
		MinNotice:   time.Hour,
	}
}

// Deps are the parts the service is built from.
type Deps struct {
	Store  Store
	Vault  Sealer
	Blobs  Blobs
	Sniff  Sniffer
	Codes  *caseref.Hasher
	Clock  guichet.Clock
	Rand   io.Reader
	IDs    *uuid7.Generator
	Logger *slog.Logger
}

// Service runs the pre-complaint journey. It is safe for concurrent use.
type Service struct {
	cfg Config
	d   Deps
}

// New returns a Service.
func New(cfg Config, d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, d: d}
}

// Config returns the rules the service applies.
func (s *Service) Config() Config { return s.cfg }
