// Package alert runs silent alerts: a person in danger raises one from a
// phone without a word, and it reaches the dispatchers of their area with
// its position. An alert is a kind of case (AL) on the case kernel (Kind).
//
// # For the PWA and the dispatcher console
//
// The citizen side is authenticated by the alert's reference and the
// client's idempotency key (RaiseInput.Key): the PWA draws the key once per
// send (≥ 128 bits, base64url), keeps it with the queued alert and sends it
// on every retry; the server stores its SHA-256 only.
//
//	Raise(ctx, RaiseInput) (*Raised, error)            // exactly once per Key; Raised.Created false on a retry
//	Status(ctx, ref, key) (Alert, error)                // the honest state: Case.Status, AckAt, Unit, Outcome
//	AddPosition(ctx, ref, key, Position) error          // while open; ErrConflict once closed
//	ChatFromCitizen(ctx, ref, key, Message) error       // Text and/or Quick (QuickReplies codes)
//	Messages(ctx, Principal{}, ref, key) ([]Message, error)
//	CloseByCitizen(ctx, ref, key) error                 // "I am safe now": OutcomeSafe
//
// The dispatcher side takes an account.Principal with role dispatcher (its
// unit is its area) or supervisor (its units); anyone else, or an alert of
// another area, gets guichet.ErrNotFound (Open: guichet.ErrForbidden).
// Alerts with no unit (no area found, no DefaultUnit) are shown to every
// dispatcher, never dropped.
//
//	Open(ctx, p) ([]Alert, error)                       // open alerts of p's area, oldest first
//	Acknowledge(ctx, p, ref) error                      // exactly one wins; the others get *AlreadyError{By, At}
//	AssignUnit(ctx, p, ref, unitID) error               // after Acknowledge; again to send another unit
//	Chat(ctx, p, ref, Message) error
//	Positions(ctx, p, ref, afterEntryID) ([]Position, []Entry, error)
//	Messages(ctx, p, ref, "") ([]Message, error)
//	Profile(ctx, p, ref) (*Profile, error)
//	Close(ctx, p, ref, Outcome) error                   // Outcomes: resolved, false_alert, no_contact
//
// A timer (in cmd/guichet, on every node) calls Escalate(ctx, now) every few
// seconds: each alert still raised Deps.EscalateAfter (30 s by default)
// after it was raised gets one EventEscalated by the system, exactly once
// across nodes, and is returned; consoles show it as urgent and supervisors
// see it. Escalation is an event, not a status: the alert stays raised and
// acknowledgeable.
//
// # Events, the hub and the log
//
// Every change writes a case event in the same transaction (so it reaches
// the outbox, the event hub — SSE consoles filter on Kind "AL" — and the
// transparency log): submitted, alert.acknowledged, alert.unit_assigned,
// alert.position and alert.message (data: the entry ID, and "from" for a
// message), alert.escalated, closed (data: outcome). A console that sees
// alert.position or alert.message fetches the entry with Positions or
// Messages. Event data never holds personal data: the profile, positions
// and messages are sealed under the case's data key (the profile as the
// case's personal part, each position and message as an Entry with
// EntryAAD), so erasing the case's key erases them all. They MUST NOT be
// logged.
//
// Fleet (nearest.go) answers the nearest available units to a position.
package alert
