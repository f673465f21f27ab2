// Package casefile is the record every kind of case shares: its searchable
// metadata, its status lifecycle and its events.
//
// A case is split in two. The metadata (kind, category, status, unit, dates)
// is searchable and survives erasure as a statistical tombstone. The personal
// part (identity, free text, items, evidence) is sealed per case and handed
// to stores as opaque bytes (see Sealed); erasure deletes it, its data key
// and the salt that links the case to its transparency-log leaves.
package casefile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/caseref"
)

// Status is where a case stands in its lifecycle.
type Status string

// The lifecycle shared by all kinds of case:
// draft → submitted → (triaged) → assigned → in_progress →
// {confirmed | referred | closed | expired}.
const (
	StatusDraft      Status = "draft"
	StatusSubmitted  Status = "submitted"
	StatusTriaged    Status = "triaged"
	StatusAssigned   Status = "assigned"
	StatusInProgress Status = "in_progress"
	StatusConfirmed  Status = "confirmed"
	StatusReferred   Status = "referred"
	StatusClosed     Status = "closed"
	StatusExpired    Status = "expired"
)

// Final reports whether no transition leaves s.
func (s Status) Final() bool {
	switch s {
	case StatusConfirmed, StatusReferred, StatusClosed, StatusExpired:
		return true
	}
	return false
}

// Case is a case's searchable metadata. It holds no personal data.
type Case struct {
	ID          string // UUIDv7, never shown
	Ref         string // public reference, e.g. PP-2026-7KQ3-M9TX
	Kind        caseref.Kind
	Category    string
	Status      Status
	UnitID      string // competent unit; may be empty
	CreatedAt   time.Time
	SubmittedAt time.Time
	UpdatedAt   time.Time
	// ExpiresAt is when the case is erased if nothing happens; zero for never.
	ExpiresAt time.Time
	// ErasedAt is when personal data was erased; zero while it exists.
	ErasedAt time.Time
	// LinkedRef is the reference of a related case (a PP's formal PL), if any.
	LinkedRef string
}

// Erased reports whether the personal part of c has been erased.
func (c *Case) Erased() bool { return !c.ErasedAt.IsZero() }

// Sealed is a case's personal part as stores keep it: a ciphertext and the
// wrapped data key that opens it. Stores MUST treat both as opaque.
type Sealed struct {
	WrappedKey []byte
	Ciphertext []byte
}

// Event types recorded on cases.
const (
	EventSubmitted            = "submitted"
	EventAppointmentBooked    = "appointment.booked"
	EventAppointmentChanged   = "appointment.rescheduled"
	EventAppointmentCancelled = "appointment.cancelled"
	EventStatusChanged        = "status.changed"
	EventExpired              = "expired"
	EventErased               = "erased"
	EventAccessed             = "accessed"
	EventNoteToCitizen        = "note.citizen"
	EventConverted            = "converted"
	EventClosed               = "closed"
	EventEvidenceAdded        = "evidence.added"
	// EventNoteInternal is a note for agents only: never visible.
	EventNoteInternal = "note.internal"
	// EventAssigned names the agent in charge (data {"agent": pseudonym}).
	EventAssigned = "assigned"
	// EventCreated opens a case made by an agent rather than submitted by a
	// citizen (a formal complaint from a pre-complaint).
	EventCreated = "created"
	// EventCodeReissued: an agent, having checked the citizen's identity
	// at the station, replaced the case's tracking code; the old one no
	// longer opens the case.
	EventCodeReissued = "code.reissued"
	// EventCodeEmailed: at the citizen's request, the tracking code was
	// sent once to the address they left.
	EventCodeEmailed = "code.emailed"
	// EventCodeEmailFailed: that email could not be sent; the request is
	// given back, so the citizen may ask again. Not shown to the citizen.
	EventCodeEmailFailed = "code.email_failed"
	// EventLinked: the case was linked to another case of the same person
	// (data {"ref": the other case's reference}, nothing else): a
	// pre-complaint filed from a report by its reporter records it on both.
	// It is not Case.LinkedRef, which names what a case was converted into.
	EventLinked = "linked"
)

// Event is one thing that happened to a case. Data holds non-personal
// details only (unit codes, slot times, statuses, reasons as codes): it is
// shown on the citizen's timeline and its digest goes into the public log.
type Event struct {
	ID      string // UUIDv7
	CaseID  string
	Type    string
	At      time.Time
	Actor   string // "citizen", "system", or a pseudonymous agent id
	Visible bool   // shown on the citizen's status page
	Data    map[string]string
}

// Leaf is the transparency-log entry for one event: commitments only, never
// personal data. Its canonical encoding (MarshalCanonical) is what the log
// stores and hashes.
type Leaf struct {
	V      int    `json:"v"`
	Kind   string `json:"kind"`
	Case   string `json:"case"`   // hex SHA-256(salt ‖ ref)
	Type   string `json:"type"`   // event type
	At     string `json:"at"`     // RFC 3339, UTC, seconds
	Digest string `json:"digest"` // hex SHA-256 of the event's canonical content
}

// CaseCommitment returns hex SHA-256(salt ‖ ref): it links leaves to a case
// only for someone holding the salt.
func CaseCommitment(salt []byte, ref string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(ref))
	return hex.EncodeToString(h.Sum(nil))
}

// EventDigest returns hex SHA-256 of the canonical JSON of the event's
// content: its id, type, time, actor and data. encoding/json sorts map keys,
// which makes the encoding canonical for this flat shape.
func EventDigest(e Event) string {
	b, err := json.Marshal(struct {
		ID    string            `json:"id"`
		Type  string            `json:"type"`
		At    string            `json:"at"`
		Actor string            `json:"actor"`
		Data  map[string]string `json:"data"`
	}{e.ID, e.Type, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Data})
	if err != nil {
		panic(fmt.Sprintf("casefile: marshal event: %v", err)) // cannot happen for strings
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// NewLeaf builds the leaf for event e of the case with reference ref and
// ledger salt salt.
func NewLeaf(salt []byte, ref string, e Event) Leaf {
	return Leaf{
		V:      1,
		Kind:   "case.event",
		Case:   CaseCommitment(salt, ref),
		Type:   e.Type,
		At:     e.At.UTC().Truncate(time.Second).Format(time.RFC3339),
		Digest: EventDigest(e),
	}
}

// MarshalCanonical encodes l with its fields in the fixed order v, kind,
// case, type, at, digest, with no insignificant white space.
func (l Leaf) MarshalCanonical() []byte {
	b, err := json.Marshal(l)
	if err != nil {
		panic(fmt.Sprintf("casefile: marshal leaf: %v", err))
	}
	return b
}

// OutboxEntry is an event's leaf waiting to be appended to the transparency
// log. Stores write it in the same transaction as the event; the ledger's
// sequencer drains entries in ID order.
type OutboxEntry struct {
	ID      int64 // strictly increasing in commit order of the writer
	EventID string
	Leaf    []byte // canonical leaf
	// LogIndex is the leaf's index in the transparency log; -1 until sequenced.
	LogIndex int64
}

// Secrets are the per-case values that give access to a case or link it to
// the log. Stores keep them beside the metadata, never in logs.
type Secrets struct {
	// TrackingHash is the keyed hash of the citizen's tracking code.
	TrackingHash []byte
	// LedgerSalt is mixed into the case commitment of every leaf; erasure
	// deletes it. Nil once erased.
	LedgerSalt []byte
	// CodeFailures and LastCodeFailure are no longer counted (zero for new
	// cases, ignored for old ones): a count per case let a stranger lock
	// the citizen out (see complaint.Service.Authenticate). Kept so the
	// stores' schema stays as it is.
	CodeFailures    int
	LastCodeFailure time.Time
}

// Evidence is the searchable record of one uploaded file. Its name, which a
// person chose and may reveal who they are, lives in the sealed personal
// part; the blob under BlobKey is encrypted with the owner's data key.
type Evidence struct {
	ID          string // UUIDv7
	OwnerID     string // draft ID before submission, case ID after
	BlobKey     string
	ContentType string // sniffed, never taken from the upload
	Size        int64
	SHA256      string // hex digest of the plaintext
	CreatedAt   time.Time
}

// Outbox contract, for stores. Every event write adds an outbox row in the
// same transaction. The ledger's sequencer (the only appender) reads pending
// rows with PendingOutbox(ctx, limit) ([]OutboxEntry, error) — rows whose
// LogIndex is unset, in ID order — appends them to the log, then records
// their positions with MarkSequenced(ctx, ids []int64, firstIndex int64)
// error, which sets LogIndex = firstIndex+i for ids[i] atomically.
// SequencedCount(ctx) (int64, error) returns how many rows have a LogIndex,
// and EventLogIndex(ctx, eventID) (int64, error) the index of one event's
// leaf (guichet.ErrNotFound until sequenced).
