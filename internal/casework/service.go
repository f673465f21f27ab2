package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/account"
)

var errTODO = fmt.Errorf("casework: not implemented")

// Queue returns the pre-complaints of the principal's units matching f,
// by appointment time (cases without appointment after, by submission).
// Metadata only: nothing is decrypted and no access event is recorded.
// An invalid cursor fails with guichet.ErrInvalid.
func (s *Service) Queue(ctx context.Context, p account.Principal, f Filter) (*Page, error) {
	return nil, errTODO
}

// Summary returns a case's metadata, appointment, history, evidence list
// (sizes and types, no names) and assignee: no personal data, so no access
// event. Out of scope: guichet.ErrNotFound.
func (s *Service) Summary(ctx context.Context, p account.Principal, ref string) (*Summary, error) {
	return nil, errTODO
}

// Open decrypts the case's personal part, its evidence names and its notes,
// and records an "accessed" event (purpose required: guichet.ErrInvalid
// otherwise). The first opening of a submitted or assigned case moves it to
// in_progress (a "status.changed" event). An erased case opens without
// personal data and without access event.
func (s *Service) Open(ctx context.Context, p account.Principal, ref string, purpose Purpose) (*CaseFile, error) {
	return nil, errTODO
}

// Evidence returns one decrypted evidence file of the case with its sniffed
// type and the citizen's file name, and records an "accessed" event
// (purpose "processing").
func (s *Service) Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*File, error) {
	return nil, errTODO
}

// AddNote seals text with the case's data key and records "note.citizen"
// (visible; the citizen's status page shows it) or "note.internal" (not
// visible). Empty or too long text fails with a *guichet.ValidationError
// on field "note". It returns the note's ID.
func (s *Service) AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error) {
	return "", errTODO
}

// CitizenNotes returns the notes addressed to the citizen on a case,
// decrypted, oldest first. The caller MUST have authenticated the citizen
// for ref (complaint.Service.Authenticate) first.
func (s *Service) CitizenNotes(ctx context.Context, ref string) ([]Note, error) {
	return nil, errTODO
}

// Assignees returns the agents a case may be assigned to: the active
// agents and supervisors of its unit.
func (s *Service) Assignees(ctx context.Context, p account.Principal, ref string) ([]Agent, error) {
	return nil, errTODO
}

// Assign puts an agent of the case's unit in charge: an "assigned" event
// (visible, {"agent": pseudonym}) and status assigned (unless already in
// progress). An agent of another unit, inactive or not handling cases
// fails with a *guichet.ValidationError on field "agent".
func (s *Service) Assign(ctx context.Context, p account.Principal, ref, agentID string) error {
	return errTODO
}

// Convert turns a pre-complaint into a formal complaint (PL) at the
// appointment, in one transaction: the PL gets a new reference, its own
// data key and salt, the corrected form and identity check as personal
// part, LinkedRef → PP and a "created" event; the PP gets LinkedRef → PL,
// status confirmed, no expiry (retention never erases it) and a
// "converted" event. It returns the PL reference. Unchecked identity or an
// invalid form fails with a *guichet.ValidationError; a case already
// converted or final with guichet.ErrConflict.
func (s *Service) Convert(ctx context.Context, p account.Principal, ref string, in ConvertInput) (string, error) {
	return "", errTODO
}

// ComplaintRecord returns the PDF récépissé de dépôt de plainte of a formal
// complaint (PL reference), with the transparency-log index of the
// "converted" event when it is sequenced. It decrypts the complaint and so
// records an "accessed" event (purpose "conversion").
func (s *Service) ComplaintRecord(ctx context.Context, p account.Principal, plRef string) ([]byte, error) {
	return nil, errTODO
}

// Close closes a pre-complaint without complaint: a "closed" event
// (visible, {"reason", "redirect"}), status closed and ExpiresAt = now +
// Config.ClosedRetention so retention erases it later. Unknown reason or
// redirect, or CloseWrongService without redirect, fails with a
// *guichet.ValidationError (fields "reason", "redirect").
func (s *Service) Close(ctx context.Context, p account.Principal, ref string, reason CloseReason, redirect string) error {
	return errTODO
}

// Calendar returns the unit's slots starting in [from, to) with the
// references of the cases booked on each.
func (s *Service) Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]SlotView, error) {
	return nil, errTODO
}

// OpenSlot adds a slot to the unit's calendar and returns it. Bad times or
// capacity fail with a *guichet.ValidationError (fields "start", "end",
// "capacity").
func (s *Service) OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*SlotView, error) {
	return nil, errTODO
}

// SetCapacity changes a slot's capacity; below its bookings fails with a
// *guichet.ValidationError on field "capacity".
func (s *Service) SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error {
	return errTODO
}

// CloseSlot stops new bookings on a slot: its capacity becomes its number
// of bookings (those keep their place).
func (s *Service) CloseSlot(ctx context.Context, p account.Principal, slotID string) error {
	return errTODO
}

// Reschedule moves the case's appointment to another slot of its unit, as
// the citizen's reschedule does, the actor being the agent. A full or gone
// slot fails with a *guichet.ValidationError on field "slot_id".
func (s *Service) Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error {
	return errTODO
}

// AccessReport lists, for supervisors, every "accessed" event on cases of
// their units with At in [from, to), newest first. Other roles:
// guichet.ErrNotFound.
func (s *Service) AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]AccessEntry, error) {
	return nil, errTODO
}

// Deadlines lists, for supervisors, the open pre-complaints of their units
// expiring within the duration, soonest first. Other roles:
// guichet.ErrNotFound.
func (s *Service) Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]QueueItem, error) {
	return nil, errTODO
}
