package bulletin

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// NewDraft is a new bulletin as the store writes it: its case (status
// draft), secrets (a ledger salt), first draft and events.
type NewDraft struct {
	Case    casefile.Case
	Secrets casefile.Secrets
	Draft   Content
	By      string
	Events  []casefile.Event
}

// Publication publishes a bulletin's version N, under guards.
type Publication struct {
	CaseID string
	// Allowed: the case MUST be in one of these statuses, and its latest
	// published version MUST be N-1 (0 for none); else the store writes
	// nothing and fails with guichet.ErrConflict, so two writers
	// publishing at once cannot both make version N.
	Allowed []casefile.Status
	Version Version
	Events  []casefile.Event
}

// Store is what the bulletin service needs from storage.
//
// Every method MUST be atomic. Methods that record events write each
// event row and its outbox entry in the same transaction. Lookups of a
// missing bulletin fail with guichet.ErrNotFound; lists are never nil.
type Store interface {
	// CreateBulletin writes a new bulletin, its first draft and events. A
	// reference or slug already used fails with guichet.ErrConflict and
	// writes nothing.
	CreateBulletin(ctx context.Context, d NewDraft) error
	// SaveBulletinDraft replaces the bulletin's draft with c (saved at at
	// by by); the bulletin MUST NOT be withdrawn (guichet.ErrConflict).
	// The slug changes to c.Slug only while the bulletin was never
	// published (a slug taken by another fails with guichet.ErrConflict);
	// after, c.Slug is ignored and the draft keeps the bulletin's slug.
	SaveBulletinDraft(ctx context.Context, caseID string, c Content, at time.Time, by string) error
	// PublishBulletin stores p.Version as the latest published version,
	// sets the case's status to published, clears the draft and records
	// p.Events, guarded as Publication says.
	PublishBulletin(ctx context.Context, p Publication) error
	// WithdrawBulletin sets the case's status to withdrawn and
	// WithdrawnAt, guarded by allowed statuses, and records events.
	WithdrawBulletin(ctx context.Context, caseID string, allowed []casefile.Status, at time.Time, events []casefile.Event) error
	// BulletinByRef and BulletinBySlug return a bulletin with its draft and
	// latest published version.
	BulletinByRef(ctx context.Context, ref string) (Bulletin, error)
	BulletinBySlug(ctx context.Context, slug string) (Bulletin, error)
	// BulletinVersions returns every published version of a bulletin,
	// oldest first.
	BulletinVersions(ctx context.Context, caseID string) ([]Version, error)
	// Bulletins returns up to limit bulletins (limit > 0, else
	// guichet.ErrInvalid), the latest changed first (the time of the
	// latest published version, or of the draft for one never
	// published); with published set, only those published at least once
	// (withdrawn ones included).
	Bulletins(ctx context.Context, published bool, limit int) ([]Bulletin, error)
}

// Evidence is what checking a bulletin's citations needs: the campaigns
// and the state of indicator keys (report.CampaignStore's methods).
type Evidence interface {
	CampaignByRef(ctx context.Context, ref string) (report.Campaign, error)
	KeyStates(ctx context.Context, keys []string) (map[string]report.KeyState, error)
}
