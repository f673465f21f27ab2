package report

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
)

// Lane is how a report entered: the normal lane, or the slower review lane
// of reports whose sender solved no proof-of-work challenge (a browser
// without JavaScript, a script): accepted all the same, looked at after.
type Lane string

// The lanes.
const (
	LaneNormal Lane = "normal"
	LaneReview Lane = "review"
)

// Seen is one value the report says the offence was seen at, harmonised:
// as typed, and in canonical form for matching.
type Seen struct {
	// Channel is the form's choice the value was typed under ("url",
	// "phone", "email", "iban", "crypto", "account", "sms").
	Channel string
	// Kind is the indicator kind it was read as ("url", "phone", "btc",
	// "account"…).
	Kind      string
	Input     string // as typed
	Valid     bool
	Canonical string // empty when invalid
	Display   string
	// Domain is the registrable domain of a URL, domain or email address.
	Domain string
	// Reason says why an invalid value is invalid (a stable code).
	Reason string
	// Key is Kind + ":" + Canonical: what reports are matched on; empty
	// when invalid (an invalid value is kept, never matched).
	Key string
}

// Submission is a new report as the store writes it, all at once.
type Submission struct {
	Case     casefile.Case
	Secrets  casefile.Secrets
	Personal casefile.Sealed
	Lane     Lane
	// Place is the report's département or PlaceAbroad; empty if not
	// said. Kept outside the sealed part: it is no personal data at that
	// grain, and statistics need it.
	Place Place
	Seen  []Seen
	// Routes are where the routing rules sent the report at submission.
	Routes []Route
	// Evidence are the screenshots, their sealed blobs already stored.
	Evidence []casefile.Evidence
	Events   []casefile.Event
}

// RouteChange changes where a report went, at once: routes written (by
// service: added or replaced), the status moved when Status is set and
// the case is in one of Allowed (else guichet.ErrConflict, nothing
// written), and the events recorded.
type RouteChange struct {
	CaseID  string
	Allowed []casefile.Status
	Status  casefile.Status
	Routes  []Route
	At      time.Time
	Events  []casefile.Event
}

// QueueQuery selects reports for the analysts' queue.
type QueueQuery struct {
	// Statuses to list (the open ones when empty).
	Statuses []casefile.Status
	Category Category // empty: any
	Lane     Lane     // empty: any
	// Priority orders categories: the queue lists by its value (lower
	// first), then oldest first.
	Priority map[Category]int
	Limit    int
}

// QueueRow is one report of the queue.
type QueueRow struct {
	Case  casefile.Case
	Lane  Lane
	Seen  int // values given
	Links int // values also held by other reports
}

// Store is what the report service needs from storage.
//
// Every method MUST be atomic. Methods that record events write each event
// row and its outbox entry (casefile.NewLeaf) in the same transaction.
// Lookups of a missing object return an error wrapping guichet.ErrNotFound.
type Store interface {
	// SubmitReport writes the case, its secrets, sealed part, lane,
	// harmonised values and events, and files the report in its campaign
	// (Link, with the keys of its values and the case's SubmittedAt), in
	// one transaction. A reference already used fails with
	// guichet.ErrConflict and writes nothing.
	SubmitReport(ctx context.Context, sub Submission) error
	// ReportSeen returns the harmonised values of a report, in the order
	// they were given.
	ReportSeen(ctx context.Context, caseID string) ([]Seen, error)
	// ReportLane returns the lane a report entered by.
	ReportLane(ctx context.Context, caseID string) (Lane, error)
	// ReportPlace returns the place a report was filed with ("" when none
	// was said).
	ReportPlace(ctx context.Context, caseID string) (Place, error)
	// SharedKeys returns, for each key, how many reports other than caseID
	// hold it (a key held by no other report is absent).
	SharedKeys(ctx context.Context, caseID string, keys []string) (map[string]int, error)
	// Rules returns the latest version of every routing rule, active or
	// not, in the order they were first saved.
	Rules(ctx context.Context) ([]Rule, error)
	// RuleVersions returns every version of rule id, oldest first.
	RuleVersions(ctx context.Context, id string) ([]Rule, error)
	// SaveRule stores r as version r.Version of rule r.ID: 1 for a new rule
	// (an existing ID fails with guichet.ErrConflict), else exactly one
	// more than the latest (guichet.ErrConflict otherwise: someone saved
	// it meanwhile).
	SaveRule(ctx context.Context, r Rule) error
	// RecentReports returns up to limit reports submitted at or after
	// since, newest first, with their values, place and the services
	// they went to, for a dry run.
	RecentReports(ctx context.Context, since time.Time, limit int) ([]Routable, error)
	// ReportRoutes returns where a report went, in service order.
	ReportRoutes(ctx context.Context, caseID string) ([]Route, error)
	// ChangeRoutes applies a RouteChange atomically.
	ChangeRoutes(ctx context.Context, c RouteChange) error
	// ReportQueue lists reports for analysts (see QueueQuery).
	ReportQueue(ctx context.Context, q QueueQuery) ([]QueueRow, error)
	// ReportsWithKey lists up to limit reports holding key, newest first.
	ReportsWithKey(ctx context.Context, key string, limit int) ([]QueueRow, error)
	// ListEvidence returns the evidence records of an owner (a case).
	ListEvidence(ctx context.Context, ownerID string) ([]casefile.Evidence, error)
	// RecordEvents records events on a live case.
	RecordEvents(ctx context.Context, caseID string, events []casefile.Event) error
	// CaseByRef, CasePersonal and CaseEvents read any case.
	CaseByRef(ctx context.Context, ref string) (casefile.Case, casefile.Secrets, error)
	CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error)
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)

	CampaignStore
	BatchStore
}
