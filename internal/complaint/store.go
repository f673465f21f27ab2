package complaint

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/station"
)

// Draft is a pre-complaint being written, as stored. Its answers are sealed.
type Draft struct {
	ID        string // UUIDv7
	CodeHash  []byte // keyed hash of the draft code; unique
	Step      string // furthest step reached
	Sealed    casefile.Sealed
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	// Version increases by one at each successful UpdateDraft.
	Version int
}

// Submission is everything that must become true at once when a citizen
// submits a pre-complaint.
type Submission struct {
	Case     casefile.Case
	Secrets  casefile.Secrets
	Personal casefile.Sealed
	// DraftID is deleted, and its evidence re-owned by the case.
	DraftID string
	// SlotID is booked for the case when not empty; a full slot fails the
	// whole submission with guichet.ErrConflict.
	SlotID string
	// Events are recorded on the case (each with its outbox leaf).
	Events []casefile.Event
	// Linked are events recorded, in the same transaction, on other cases
	// that already exist (the report a pre-complaint was filed from), each
	// with its outbox leaf computed with that case's reference and salt.
	Linked []LinkedEvents
}

// LinkedEvents are events to record on an existing case other than the
// one submitted.
type LinkedEvents struct {
	CaseID string
	Events []casefile.Event
}

// Store is what the pre-complaint service needs from storage.
//
// Every method MUST be atomic: it either does all it says or nothing.
// Methods that record events MUST write, in the same transaction, each
// event row and an outbox entry holding casefile.NewLeaf(salt, ref, event)
// (canonical encoding), where salt is the case's current ledger salt.
// Lookups of a missing object MUST return an error wrapping
// guichet.ErrNotFound, never a zero value and nil.
//
// It has one part per area of the service, which the other services of
// guichet embed where they need the same.
type Store interface {
	StationReader
	DraftStore
	EvidenceStore
	CaseStore
	CaseEventStore
	AppointmentStore
	RetentionStore
}

// StationReader reads units and their appointment slots.
type StationReader interface {
	// ListUnits returns every unit, ordered by name.
	ListUnits(ctx context.Context) ([]station.Unit, error)
	// Unit returns one unit by ID.
	Unit(ctx context.Context, id string) (station.Unit, error)
	// ListSlots returns the unit's slots starting in [from, to), by start.
	ListSlots(ctx context.Context, unitID string, from, to time.Time) ([]station.Slot, error)
	// Slot returns one slot by ID.
	Slot(ctx context.Context, id string) (station.Slot, error)
}

// DraftStore keeps the sealed drafts being written.
type DraftStore interface {
	// CreateDraft stores a new draft (Version 1). A duplicate CodeHash
	// fails with guichet.ErrConflict.
	CreateDraft(ctx context.Context, d Draft) error
	// DraftByCode finds a draft by its code hash.
	DraftByCode(ctx context.Context, codeHash []byte) (Draft, error)
	// UpdateDraft replaces the draft's Step, Sealed, UpdatedAt and ExpiresAt
	// if its stored Version equals d.Version, and stores Version+1; else it
	// fails with guichet.ErrConflict (someone saved in between).
	UpdateDraft(ctx context.Context, d Draft) error
	// DeleteExpiredDrafts deletes drafts whose ExpiresAt is at or before
	// now, with their evidence rows, and returns the blob keys to delete.
	DeleteExpiredDrafts(ctx context.Context, now time.Time) (blobKeys []string, err error)
}

// EvidenceStore keeps the records of uploaded files.
type EvidenceStore interface {
	// AddEvidence records an uploaded file.
	AddEvidence(ctx context.Context, e casefile.Evidence) error
	// ListEvidence returns the owner's files, oldest first.
	ListEvidence(ctx context.Context, ownerID string) ([]casefile.Evidence, error)
	// DeleteEvidence removes one file record of the owner.
	DeleteEvidence(ctx context.Context, ownerID, id string) error
}

// CaseStore makes cases and reads them back for their citizen.
type CaseStore interface {
	// SubmitCase makes a draft a case (see Submission). A Case.Ref already
	// used fails with guichet.ErrConflict and changes nothing. A linked
	// case (Submission.Linked) that does not exist or is erased MUST fail
	// the whole submission with guichet.ErrNotFound, changing nothing: a
	// link is written on both cases or on neither.
	SubmitCase(ctx context.Context, s Submission) error
	// CaseByRef returns a case's metadata and secrets by reference.
	CaseByRef(ctx context.Context, ref string) (casefile.Case, casefile.Secrets, error)
	// CasePersonal returns the sealed personal part; ErrNotFound once erased.
	CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error)
	// CaseEvents returns the case's events, oldest first.
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)
}

// CaseEventStore records what the citizen asks for on their case.
type CaseEventStore interface {
	// ClaimEvent records ev on the case (with its outbox leaf) unless the
	// case already holds more events of type ev.Type than of type release
	// (a claim not given back): then it fails with guichet.ErrConflict and
	// writes nothing. The count and the write are one transaction: of
	// concurrent claims on one case, exactly one succeeds.
	ClaimEvent(ctx context.Context, caseID string, ev casefile.Event, release string) error
	// RecordEvents records events on the case (each with its outbox leaf).
	RecordEvents(ctx context.Context, caseID string, events []casefile.Event) error
}

// AppointmentStore books, moves and cancels appointments.
type AppointmentStore interface {
	// Appointment returns the case's current appointment.
	Appointment(ctx context.Context, caseID string) (station.Appointment, error)
	// Reschedule moves the case's appointment (or books one if it has none)
	// to slotID, freeing the old place, and records events. A full slot
	// fails with guichet.ErrConflict and changes nothing.
	Reschedule(ctx context.Context, caseID, slotID string, events []casefile.Event) error
	// BookElsewhere books slotID for a case holding no appointment and
	// moves the case to the slot's unit, recording events, atomically. It
	// MUST fail with guichet.ErrConflict and change nothing when the case
	// holds an appointment, its status is not one of movable (checked in
	// the same transaction), or the slot is full.
	BookElsewhere(ctx context.Context, caseID, slotID string, movable []casefile.Status, events []casefile.Event) error
	// CancelAppointment frees the case's place and records events;
	// ErrNotFound when it has none.
	CancelAppointment(ctx context.Context, caseID string, events []casefile.Event) error
}

// RetentionStore finds and erases expired cases.
type RetentionStore interface {
	// ExpirableCases returns up to limit cases whose ExpiresAt is set and at
	// or before now and whose personal data is not yet erased, oldest first.
	ExpirableCases(ctx context.Context, now time.Time, limit int) ([]casefile.Case, error)
	// EraseCase records events (computing their leaves with the salt still
	// present), then deletes the personal part, the ledger salt, the
	// evidence rows and any appointment (freeing its place), and sets
	// Status and ErasedAt = at. It returns the evidence blob keys to delete.
	// A case not due at at — ExpiresAt unset or after at, as when an agent
	// confirmed or closed it since it was listed — MUST fail with
	// guichet.ErrConflict and change nothing; the check is made inside
	// the erasing transaction.
	EraseCase(ctx context.Context, caseID string, status casefile.Status, at time.Time, events []casefile.Event) (blobKeys []string, err error)
}
