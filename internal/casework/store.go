package casework

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/station"
)

// QueueQuery selects cases for the queue. Zero fields do not filter,
// except UnitIDs: an empty list matches nothing.
type QueueQuery struct {
	UnitIDs  []string
	Kind     caseref.Kind
	Category string
	// Statuses: the case's status is one of them (none: any).
	Statuses []casefile.Status
	// ApptFrom and ApptTo bound the appointment start: [ApptFrom, ApptTo);
	// either set excludes cases without appointment.
	ApptFrom, ApptTo time.Time
	// ExpiresBefore keeps cases whose ExpiresAt is set and before it.
	ExpiresBefore time.Time
	Ref           string // exact reference
	AssignedTo    string // agent ID
	// After is the sort key of the last row of the previous page.
	After *QueueKey
	Limit int // > 0
}

// QueueKey is a row's position in queue order: cases with an appointment
// first, by appointment start; then the others by submission; then by ID.
type QueueKey struct {
	NoAppointment bool
	At            time.Time // appointment start, or submission time
	ID            string
}

// QueueRow is one case of the queue with what the queue shows of it.
type QueueRow struct {
	Case        casefile.Case
	Appointment *station.Appointment
	Assignment  *Assignment
}

// Assignment is the stored record of who is in charge of a case.
type Assignment struct {
	AgentID   string
	Pseudonym string
	At        time.Time
}

// StoredNote is a note as stored: its text sealed with the case's data key
// (the case_personal wrapped key; the note keeps no key of its own).
type StoredNote struct {
	ID         string
	CaseID     string
	Ciphertext []byte
	ToCitizen  bool
	AuthorID   string
	Author     string // pseudonym
	At         time.Time
}

// Change is one atomic change of a case by an agent.
type Change struct {
	CaseID string
	// Allowed, when not empty, lists the statuses the case must be in for
	// the change to apply; otherwise the store fails with ErrConflict.
	Allowed []casefile.Status
	// Status is the new status; empty keeps it.
	Status casefile.Status
	// SetExpiry replaces ExpiresAt with ExpiresAt (zero: never).
	SetExpiry bool
	ExpiresAt time.Time
	// Assign, when set, replaces the case's assignment.
	Assign *Assignment
	// Note, when set, is added.
	Note *StoredNote
	// TrackingHash, when set, replaces the digest of the case's tracking
	// code: the code it was made from opens the case, the old one no more.
	TrackingHash []byte
	// At is the change's time: UpdatedAt when Status or expiry change.
	At     time.Time
	Events []casefile.Event
}

// Conversion turns a pre-complaint into a formal complaint at once.
type Conversion struct {
	PPID string
	// PPAllowed lists the statuses the PP must be in (the kernel's guard for
	// its move to confirmed); otherwise the store fails with ErrConflict.
	PPAllowed []casefile.Status
	// PL is the new complaint case (Kind PL, LinkedRef the PP's reference).
	PL       casefile.Case
	PLSalt   []byte
	PLPerson casefile.Sealed
	PLEvents []casefile.Event
	PPEvents []casefile.Event
	At       time.Time
}

// AccessRecord is one "accessed" event with its case's reference.
type AccessRecord struct {
	Ref   string
	Event casefile.Event
}

// Store is what the case desk needs from storage.
//
// Every method MUST be atomic. Methods recording events MUST write each
// event with its outbox leaf (casefile.NewLeaf with the case's current
// ledger salt) in the same transaction, like complaint.Store. Lookups of a
// missing object MUST fail with an error wrapping guichet.ErrNotFound;
// changes to an erased case with guichet.ErrConflict. Lists are never nil;
// a limit ≤ 0 fails with guichet.ErrInvalid.
type Store interface {
	Unit(ctx context.Context, id string) (station.Unit, error)
	ListSlots(ctx context.Context, unitID string, from, to time.Time) ([]station.Slot, error)
	Slot(ctx context.Context, id string) (station.Slot, error)
	CreateSlot(ctx context.Context, s station.Slot) error
	CaseByRef(ctx context.Context, ref string) (casefile.Case, casefile.Secrets, error)
	CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error)
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)
	ListEvidence(ctx context.Context, ownerID string) ([]casefile.Evidence, error)
	Appointment(ctx context.Context, caseID string) (station.Appointment, error)
	Reschedule(ctx context.Context, caseID, slotID string, events []casefile.Event) error

	// QueueCases returns up to q.Limit cases matching q, in queue order
	// (see QueueKey), starting after q.After.
	QueueCases(ctx context.Context, q QueueQuery) ([]QueueRow, error)
	// CaseAssignment returns who is in charge of the case;
	// guichet.ErrNotFound when nobody is.
	CaseAssignment(ctx context.Context, caseID string) (Assignment, error)
	// CaseNotes returns the case's notes, oldest first.
	CaseNotes(ctx context.Context, caseID string) ([]StoredNote, error)
	// ChangeCase applies c atomically (see Change).
	ChangeCase(ctx context.Context, c Change) error
	// ConvertCase sets the PP's LinkedRef to the PL's reference, its status
	// to confirmed (from one of PPAllowed) and clears its ExpiresAt, and creates the PL with its
	// secrets (ledger salt only) and personal part, recording both cases'
	// events, all in one transaction. A PP already linked, in a status not
	// in PPAllowed or erased fails with guichet.ErrConflict and changes nothing; of two
	// concurrent conversions of one PP exactly one succeeds.
	ConvertCase(ctx context.Context, c Conversion) error
	// SlotBookings returns, for each slot of the unit starting in
	// [from, to) that has bookings, the references of the booked cases.
	SlotBookings(ctx context.Context, unitID string, from, to time.Time) (map[string][]string, error)
	// SetSlotCapacity sets a slot's capacity; below its bookings fails with
	// guichet.ErrConflict. A negative capacity means "as many as booked"
	// (closing the slot to new bookings). It returns the slot as stored.
	SetSlotCapacity(ctx context.Context, slotID string, capacity int) (station.Slot, error)
	// AccessEvents returns up to limit "accessed" events on cases of the
	// units, with At in [from, to), newest first.
	AccessEvents(ctx context.Context, unitIDs []string, from, to time.Time, limit int) ([]AccessRecord, error)
}

// WrappedKey is one data key as a store keeps it, wrapped by a master key.
type WrappedKey struct {
	Kind string // what holds it: "draft", "case", …
	ID   string // the holder's ID
	Key  []byte
}

// KeyStore lists and replaces every wrapped data key the store keeps, for
// master-key rotation.
type KeyStore interface {
	// WrappedKeyKinds names every kind of holder, in a fixed order.
	WrappedKeyKinds() []string
	// WrappedKeys returns up to limit keys of one kind with ID > afterID,
	// by ID.
	WrappedKeys(ctx context.Context, kind, afterID string, limit int) ([]WrappedKey, error)
	// ReplaceWrappedKeys stores each replacement's New key for its holder
	// if the holder still holds its Old key (compare-and-swap, so a
	// concurrent change is never overwritten), in one transaction, and
	// returns how many it replaced. An unknown kind fails with ErrInvalid.
	ReplaceWrappedKeys(ctx context.Context, kind string, r []KeyReplacement) (int, error)
}

// KeyReplacement is one re-wrapped data key.
type KeyReplacement struct {
	ID       string
	Old, New []byte
}
