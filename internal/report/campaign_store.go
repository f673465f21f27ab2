package report

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
)

// CampaignStore is what cross-referencing needs from storage besides
// SubmitReport, which files each new report in its campaign (Link) in the
// transaction that writes it.
//
// Every method MUST be atomic. Lookups of a missing object return an error
// wrapping guichet.ErrNotFound; lists are never nil.
type CampaignStore interface {
	// MaxDegree returns the degree threshold the index is built with
	// (DefaultMaxDegree until a rebuild sets another).
	MaxDegree(ctx context.Context) (int, error)
	// KeyStates returns the state of each of keys the index knows; a key
	// it does not know is absent. A known-good key's entry is given whole.
	KeyStates(ctx context.Context, keys []string) (map[string]KeyState, error)
	// ReportCampaign returns the campaign report caseID is in.
	ReportCampaign(ctx context.Context, caseID string) (Campaign, error)
	// CampaignByRef and CampaignByID return a campaign, live or merged.
	CampaignByRef(ctx context.Context, ref string) (Campaign, error)
	CampaignByID(ctx context.Context, id string) (Campaign, error)
	// CampaignReports returns up to limit reports of a campaign, latest
	// first.
	CampaignReports(ctx context.Context, id string, limit int) ([]CampaignReport, error)
	// CampaignKeys returns up to limit keys held by two reports or more of
	// a campaign, the most held first, with their states.
	CampaignKeys(ctx context.Context, id string, limit int) ([]CampaignKey, error)
	// CampaignTally counts a campaign's reports per category and per
	// channel, most first, per day, oldest first, and per service routed
	// to, most first (see Tally).
	CampaignTally(ctx context.Context, id string) (Tally, error)
	// ListCampaigns returns live campaigns matching f, largest first, then
	// latest.
	ListCampaigns(ctx context.Context, f CampaignFilter) ([]Campaign, error)
	// CampaignBatch returns up to limit reports of campaign id that come
	// after the cursor in submission order (SubmittedAt, then CaseID,
	// ascending; the zero cursor starts at the first), each with its
	// status, its routes (in service order) and its distinct valid keys
	// (sorted). A bulk action reads a campaign through it, one batch at a
	// time. It MUST NOT return a report twice nor skip one while the
	// campaign's membership is unchanged; limit MUST be > 0.
	CampaignBatch(ctx context.Context, id string, after BatchCursor, limit int) ([]BatchReport, error)

	// KnownGoodList returns the known-good list in key order.
	KnownGoodList(ctx context.Context) ([]KnownGood, error)
	// AddKnownGood adds an entry (guichet.ErrConflict if its key is
	// listed) and, in the same transaction, splits the campaigns the keys
	// it covers held together (Relabel).
	AddKnownGood(ctx context.Context, e KnownGood) error
	// RemoveKnownGood takes an entry off the list and, in the same
	// transaction, merges the campaigns of the reports holding the keys
	// that link again (Relabel).
	RemoveKnownGood(ctx context.Context, key string) error
	// PublishKey marks a key published (by, at), so that reporters of
	// reports holding it see how many reports do; UnpublishKey clears the
	// mark. A key the index does not know fails with guichet.ErrNotFound.
	PublishKey(ctx context.Context, key, by string, at time.Time) error
	UnpublishKey(ctx context.Context, key string) error

	// RebuildCampaigns recomputes every campaign from scratch (Rebuild)
	// under threshold maxDegree, which the index keeps from then on, in one
	// transaction during which no report is filed.
	RebuildCampaigns(ctx context.Context, maxDegree int) (RebuildStats, error)
}

// CampaignReport is one report of a campaign, as an analyst's list shows
// it.
type CampaignReport struct {
	CaseID      string
	Ref         string
	Category    Category
	Status      casefile.Status
	SubmittedAt time.Time
	// Services are the services it went to (its routes not withdrawn), in
	// service order; never nil.
	Services []string
}

// BatchCursor is where a CampaignBatch starts: after the report submitted
// at SubmittedAt with ID CaseID.
type BatchCursor struct {
	SubmittedAt time.Time
	CaseID      string
}

// BatchReport is one report of a campaign as a bulk action reads it.
type BatchReport struct {
	CaseID      string
	Ref         string
	Status      casefile.Status
	SubmittedAt time.Time
	Routes      []Route  // in service order; never nil
	Keys        []string // distinct valid keys, sorted; never nil
}

// Cursor is the cursor of the batch that follows r.
func (r BatchReport) Cursor() BatchCursor {
	return BatchCursor{SubmittedAt: r.SubmittedAt, CaseID: r.CaseID}
}

// CampaignKey is one key the reports of a campaign share.
type CampaignKey struct {
	KeyState
	Kind    string
	Display string // as the first report holding it reads
	// InCampaign is how many of the campaign's reports hold it (Reports
	// is how many reports in all do).
	InCampaign int
}

// Count is a number of reports for one value (a category, a channel).
type Count struct {
	Value   string
	Reports int
}

// Tally counts a campaign's reports per category, per channel, per day
// and per service.
type Tally struct {
	Categories []Count
	Channels   []Count
	// Days counts reports per day of submission (UTC), oldest first; days
	// without a report are absent.
	Days []DayCount
	// Services counts, per service, the reports routed there (a route not
	// withdrawn), most first, then by service code.
	Services []Count
}

// DayCount is a number of reports submitted on one day.
type DayCount struct {
	Day     time.Time // midnight UTC
	Reports int
}

// CampaignFilter selects campaigns for a list.
type CampaignFilter struct {
	// MinReports keeps campaigns of at least this many reports (≥ 1).
	MinReports int
	// Category, if set, keeps campaigns holding a report of it.
	Category Category
	// Limit (> 0) and Offset page through the list.
	Limit, Offset int
}
