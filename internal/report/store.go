package report

import (
	"context"

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
	Seen     []Seen
	Events   []casefile.Event
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
	// SharedKeys returns, for each key, how many reports other than caseID
	// hold it (a key held by no other report is absent).
	SharedKeys(ctx context.Context, caseID string, keys []string) (map[string]int, error)
	// CaseByRef, CasePersonal and CaseEvents read any case.
	CaseByRef(ctx context.Context, ref string) (casefile.Case, casefile.Secrets, error)
	CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error)
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)

	CampaignStore
}
