package alert

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
)

// Alert is an alert's searchable metadata, as stores keep it beside its
// case. It holds no personal data: no name, position or message.
type Alert struct {
	Case casefile.Case
	Type Type
	// KeyHash is SHA-256 of the client's idempotency key, which is also
	// the citizen's credential for the alert (see Raise).
	KeyHash []byte
	// DeviceHash is SHA-256 of the registered device's token; nil when the
	// device is not registered.
	DeviceHash []byte
	// AckBy is the actor ("agent:<pseudonym>") who acknowledged it, and
	// AckAt when; empty and zero until then.
	AckBy string
	AckAt time.Time
	// Unit is the police unit (patrol) assigned, by its fleet ID; empty
	// until one is.
	Unit string
	// EscalatedAt is when the alert was escalated to supervisors; zero if
	// it was not.
	EscalatedAt time.Time
	// Outcome says how it was closed; empty while open.
	Outcome Outcome
}

// NewAlert is a raised alert as the store writes it, all at once.
type NewAlert struct {
	Alert    Alert // Alert.Case is the case to create
	Secrets  casefile.Secrets
	Personal casefile.Sealed
	// First is the first position, sealed (may be nil with a typed
	// address).
	First  *Entry
	Events []casefile.Event
}

// EntryKind tells a position from a chat message.
type EntryKind string

// The kinds of entry.
const (
	EntryPosition EntryKind = "position"
	EntryMessage  EntryKind = "message"
)

// Entry is one sealed position or chat message of an alert. Ciphertext is
// sealed under the case's data key with EntryAAD; stores MUST treat it as
// opaque.
type Entry struct {
	ID         string // UUIDv7: entries of a case sort by ID in time order
	CaseID     string
	Kind       EntryKind
	At         time.Time
	Ciphertext []byte
}

// Change changes an alert at once, under guards; when a guard fails the
// store writes nothing and fails with guichet.ErrConflict.
type Change struct {
	CaseID string
	// Allowed: the case MUST be in one of these statuses.
	Allowed []casefile.Status
	// Status, when set, is the case's new status.
	Status casefile.Status
	At     time.Time
	// AckBy, when set, records who acknowledged (and AckAt = At).
	AckBy string
	// Unit, when set, records the unit assigned.
	Unit string
	// Outcome, when set, records how the alert was closed.
	Outcome Outcome
	// Escalate records EscalatedAt = At; the alert MUST NOT have been
	// escalated already.
	Escalate bool
	Events   []casefile.Event
}

// Store is what the alert service needs from storage.
//
// Every method MUST be atomic. Methods that record events write each event
// row and its outbox entry (casefile.NewLeaf) in the same transaction, so
// every change reaches the event hub and the transparency log. Lookups of
// a missing object fail with guichet.ErrNotFound.
type Store interface {
	// RaiseAlert writes the case, its secrets, sealed profile, alert row,
	// first position and events in one transaction and returns the
	// alert's reference and true. When an alert with the same KeyHash
	// exists — a retried send — it writes nothing and returns that
	// alert's reference and false, even when both sends race: one key
	// makes exactly one alert. A reference already used fails with
	// guichet.ErrConflict and writes nothing.
	RaiseAlert(ctx context.Context, a NewAlert) (ref string, created bool, err error)
	// AlertByRef returns an alert by its case's exact reference.
	AlertByRef(ctx context.Context, ref string) (Alert, error)
	// AlertByID returns an alert by its case's ID.
	AlertByID(ctx context.Context, caseID string) (Alert, error)
	// ChangeAlert applies c atomically: guarded by status (and, with
	// Escalate, by the alert not being escalated yet), so of two
	// dispatchers acknowledging at once exactly one succeeds and the
	// other gets guichet.ErrConflict.
	ChangeAlert(ctx context.Context, c Change) error
	// AddAlertEntry stores a sealed entry and its events; the case MUST be
	// open (not in a final status of Kind), else guichet.ErrConflict. A
	// duplicate entry ID fails with guichet.ErrConflict.
	AddAlertEntry(ctx context.Context, e Entry, events []casefile.Event) error
	// AlertEntries returns up to limit entries of kind k of a case with an
	// ID greater than after ("" for all), in ID order; never nil.
	AlertEntries(ctx context.Context, caseID string, k EntryKind, after string, limit int) ([]Entry, error)
	// OpenAlerts returns up to limit alerts in a status of Kind.Open()
	// whose unit is one of units, or who have no unit, oldest raised
	// first; never nil. A limit ≤ 0 fails with guichet.ErrInvalid.
	OpenAlerts(ctx context.Context, units []string, limit int) ([]Alert, error)
	// UnacknowledgedAlerts returns up to limit alerts still raised, not
	// escalated, raised at or before before, oldest first; never nil.
	UnacknowledgedAlerts(ctx context.Context, before time.Time, limit int) ([]Alert, error)
	// RecordEvents appends events (and their outbox entries) to a case.
	RecordEvents(ctx context.Context, caseID string, events []casefile.Event) error
	// CasePersonal and CaseEvents read any case.
	CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error)
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)
}
