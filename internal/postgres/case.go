package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/sqlrow"
	"github.com/guichet/guichet/internal/station"
)

// SubmitCase makes a draft a case in one transaction: the case, its secrets
// and personal part, the draft deleted and its evidence re-owned by the
// case, the slot booked, the events and their outbox leaves. A Case.Ref or
// Case.ID already used, or a full slot, fails with guichet.ErrConflict; an
// unknown draft (already submitted or deleted) or slot with
// guichet.ErrNotFound. On any failure nothing is written. DraftID and
// SlotID may be empty (a case created without draft or appointment).
// Events require a non-empty Secrets.LedgerSalt.
//
// All statements go to the server in one pipeline (one round trip).
func (s *Store) SubmitCase(ctx context.Context, sub complaint.Submission) error {
	c := sub.Case
	if c.ID == "" || c.Ref == "" {
		return fmt.Errorf("postgres: submit case: id and ref are required: %w", guichet.ErrInvalid)
	}
	events, err := eventRows(c.ID, c.Ref, sub.Secrets.LedgerSalt, sub.Events)
	if err != nil {
		return fmt.Errorf("postgres: submit case %s: %w", c.Ref, err)
	}
	err = s.Transact(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		queueCaseInsert(b, c, sub.Secrets, sub.Personal)
		if sub.DraftID != "" {
			b.Queue(`DELETE FROM drafts WHERE id = $1`, sub.DraftID)
			b.Queue(`UPDATE evidence SET owner_id = $1 WHERE owner_id = $2`, c.ID, sub.DraftID)
		}
		if sub.SlotID != "" {
			b.Queue(`UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity`, sub.SlotID)
			b.Queue(`INSERT INTO appointments (case_id, slot_id) VALUES ($1, $2)`, c.ID, sub.SlotID)
		}
		if err := queueEvents(tx, b, c.ID, c.Ref, events); err != nil {
			return err
		}
		br := tx.SendBatch(ctx, b)
		err := submitResults(br, sub, events)
		if cerr := br.Close(); err == nil && cerr != nil {
			err = classify(cerr)
		}
		if err != nil {
			return err
		}
		for _, l := range sub.Linked {
			ref, salt, err := linkedCase(ctx, tx, c.ID, l.CaseID)
			if err != nil {
				return err
			}
			if err := writeEvents(ctx, tx, l.CaseID, ref, salt, l.Events); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: submit case %s: %w", c.Ref, err)
	}
	return nil
}

// queueCaseInsert adds to b the statements writing a new case's row,
// secrets and sealed part; caseInsertResults reads their results.
func queueCaseInsert(b *pgx.Batch, c casefile.Case, sec casefile.Secrets, personal casefile.Sealed) {
	b.Queue(`INSERT INTO cases
		(id, ref, kind, category, status, unit_id, created_at, submitted_at, updated_at, expires_at, erased_at, linked_ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.Ref, string(c.Kind), c.Category, string(c.Status), nullStr(c.UnitID),
		dbTime(c.CreatedAt), dbTime(c.SubmittedAt), dbTime(c.UpdatedAt),
		dbTime(c.ExpiresAt), dbTime(c.ErasedAt), nullStr(c.LinkedRef))
	b.Queue(`INSERT INTO case_secrets (case_id, tracking_hash, ledger_salt, code_failures, last_code_failure)
		VALUES ($1, $2, $3, $4, $5)`,
		c.ID, sec.TrackingHash, sec.LedgerSalt, sec.CodeFailures, dbTime(sec.LastCodeFailure))
	b.Queue(`INSERT INTO case_personal (case_id, wrapped_key, ciphertext) VALUES ($1, $2, $3)`,
		c.ID, personal.WrappedKey, personal.Ciphertext)
}

// caseInsertResults reads the results of queueCaseInsert's statements.
func caseInsertResults(br pgx.BatchResults) error {
	for _, what := range []string{"insert", "secrets", "personal"} {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("%s: %w", what, classify(err))
		}
	}
	return nil
}

// submitResults reads the results of SubmitCase's pipeline, in order.
func submitResults(br pgx.BatchResults, sub complaint.Submission, events []eventRow) error {
	if err := caseInsertResults(br); err != nil {
		return err
	}
	if sub.DraftID != "" {
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("draft %s: %w", sub.DraftID, classify(err))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("draft %s: %w", sub.DraftID, guichet.ErrNotFound)
		}
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("draft %s: evidence: %w", sub.DraftID, classify(err))
		}
	}
	if sub.SlotID != "" {
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("slot %s: book: %w", sub.SlotID, classify(err))
		}
		full := tag.RowsAffected() == 0
		// The appointment's foreign key tells an unknown slot from a full one.
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("slot %s: %w", sub.SlotID, classify(err))
		}
		if full {
			return fmt.Errorf("slot %s is full: %w", sub.SlotID, guichet.ErrConflict)
		}
	}
	return eventResults(br, sub.Case.Ref, events)
}

// eventRow is an event ready to be written, with its outbox leaf.
type eventRow struct {
	e    casefile.Event
	data json.RawMessage
	leaf []byte
}

// eventRows validates and normalises events for the case and computes
// their canonical leaves with salt, which must not be empty.
func eventRows(caseID, ref string, salt []byte, events []casefile.Event) ([]eventRow, error) {
	if len(events) == 0 {
		return nil, nil
	}
	if len(salt) == 0 {
		return nil, fmt.Errorf("case %s: events need a ledger salt: %w", ref, guichet.ErrInvalid)
	}
	out := make([]eventRow, len(events))
	for i, e := range events {
		if e.ID == "" || e.Type == "" || e.At.IsZero() || (e.CaseID != "" && e.CaseID != caseID) {
			return nil, fmt.Errorf("case %s: event %q: id, type, time and matching case are required: %w", ref, e.ID, guichet.ErrInvalid)
		}
		e.CaseID = caseID
		e.At = norm(e.At)
		data, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("case %s: event %s: %w", ref, e.ID, err)
		}
		out[i] = eventRow{e: e, data: data, leaf: casefile.NewLeaf(salt, ref, e).MarshalCanonical()}
	}
	return out, nil
}

// queueEvents adds to b, for each event, its row (numbered after the case's
// last event), and to tx its outbox entry, which Transact writes last.
func queueEvents(tx pgx.Tx, b *pgx.Batch, caseID, ref string, events []eventRow) error {
	for _, r := range events {
		e := r.e
		b.Queue(`INSERT INTO case_events (id, case_id, seq, type, at, actor, visible, data)
			SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7 FROM case_events WHERE case_id = $2`,
			e.ID, caseID, e.Type, e.At, e.Actor, e.Visible, r.data)
		if err := addOutbox(tx, r, caseID, ref); err != nil {
			return err
		}
	}
	return nil
}

// eventResults reads the results of the statements queueEvents added.
func eventResults(br pgx.BatchResults, ref string, events []eventRow) error {
	for _, r := range events {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("case %s: event %s: %w", ref, r.e.ID, classify(err))
		}
	}
	return nil
}

// writeEvents records events on a case whose row the transaction has
// locked (see liveCase).
func writeEvents(ctx context.Context, tx pgx.Tx, caseID, ref string, salt []byte, events []casefile.Event) error {
	rows, err := eventRows(caseID, ref, salt, events)
	if err != nil || len(rows) == 0 {
		return err
	}
	b := &pgx.Batch{}
	if err := queueEvents(tx, b, caseID, ref, rows); err != nil {
		return err
	}
	br := tx.SendBatch(ctx, b)
	err = eventResults(br, ref, rows)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = classify(cerr)
	}
	return err
}

// liveCase locks the case's row until the transaction ends, serialising
// every change to the case, and returns what recording events on it needs:
// its reference and ledger salt. An unknown case fails with
// guichet.ErrNotFound, an erased one with guichet.ErrConflict.
func liveCase(ctx context.Context, tx pgx.Tx, caseID string) (ref string, salt []byte, err error) {
	var erased bool
	err = tx.QueryRow(ctx, `SELECT c.ref, c.erased_at IS NOT NULL, s.ledger_salt
		FROM cases c LEFT JOIN case_secrets s ON s.case_id = c.id WHERE c.id = $1 FOR UPDATE OF c`, caseID).
		Scan(&ref, &erased, &salt)
	if err != nil {
		return "", nil, fmt.Errorf("case %s: %w", caseID, classify(err))
	}
	if erased {
		return "", nil, fmt.Errorf("case %s is erased: %w", ref, guichet.ErrConflict)
	}
	return ref, salt, nil
}

// CaseByRef returns a case's metadata and secrets by exact reference, or
// fails with guichet.ErrNotFound.
func (s *Store) CaseByRef(ctx context.Context, ref string) (casefile.Case, casefile.Secrets, error) {
	var (
		c            casefile.Case
		sec          casefile.Secrets
		kind, status string
	)
	dest := append(sqlrow.CaseDest(&c, &kind, &status), &sec.TrackingHash, &sec.LedgerSalt, &sec.CodeFailures, tm(&sec.LastCodeFailure))
	err := s.pool.QueryRow(ctx, `SELECT `+sqlrow.CaseColumns+`,
			s.tracking_hash, s.ledger_salt, COALESCE(s.code_failures, 0), s.last_code_failure
		FROM cases c LEFT JOIN case_secrets s ON s.case_id = c.id WHERE c.ref = $1`, ref).Scan(dest...)
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, fmt.Errorf("postgres: case %s: %w", ref, classify(err))
	}
	c.Kind, c.Status = caseref.Kind(kind), casefile.Status(status)
	return c, sec, nil
}

// CasePersonal returns the sealed personal part, or fails with
// guichet.ErrNotFound for an unknown or erased case.
func (s *Store) CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error) {
	var p casefile.Sealed
	err := s.pool.QueryRow(ctx, `SELECT wrapped_key, ciphertext FROM case_personal WHERE case_id = $1`, caseID).
		Scan(&p.WrappedKey, &p.Ciphertext)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("postgres: case %s: personal: %w", caseID, classify(err))
	}
	return p, nil
}

// CaseEvents returns the case's events in recording order, or fails with
// guichet.ErrNotFound for an unknown case.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, type, at, actor, visible, data::text
		FROM case_events WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: case %s: events: %w", caseID, err)
	}
	out, err := collect(rows, func(r pgx.Row) (casefile.Event, error) {
		var (
			e    casefile.Event
			data string
		)
		if err := r.Scan(&e.ID, &e.CaseID, &e.Type, tm(&e.At), &e.Actor, &e.Visible, &data); err != nil {
			return e, err
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return e, fmt.Errorf("event %s: data: %w", e.ID, err)
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: case %s: events: %w", caseID, err)
	}
	if len(out) == 0 {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM cases WHERE id = $1`, caseID).Scan(&one); err != nil {
			return nil, fmt.Errorf("postgres: case %s: events: %w", caseID, classify(err))
		}
	}
	return out, nil
}

// Appointment returns the case's current appointment, or fails with
// guichet.ErrNotFound when it has none.
func (s *Store) Appointment(ctx context.Context, caseID string) (station.Appointment, error) {
	var a station.Appointment
	err := s.pool.QueryRow(ctx, `SELECT a.case_id, a.slot_id, s.unit_id, s.start_at, s.end_at
		FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.case_id = $1`, caseID).
		Scan(&a.CaseID, &a.SlotID, &a.UnitID, tm(&a.Start), tm(&a.End))
	if err != nil {
		return station.Appointment{}, fmt.Errorf("postgres: case %s: appointment: %w", caseID, classify(err))
	}
	return a, nil
}

// Reschedule moves the case's appointment to slotID (or books one if it
// has none), freeing the old place, and records events. Rescheduling to the
// slot already held keeps the place and records the events. A full slot
// fails with guichet.ErrConflict, an unknown case or slot with
// guichet.ErrNotFound, an erased case with guichet.ErrConflict; on failure
// nothing changes.
func (s *Store) Reschedule(ctx context.Context, caseID, slotID string, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var old string
		err = tx.QueryRow(ctx, `SELECT slot_id FROM appointments WHERE case_id = $1`, caseID).Scan(&old)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if old != slotID {
			// Lock both slots in ID order: two cases swapping slots then
			// queue instead of deadlocking.
			ids := []string{slotID}
			if old != "" {
				ids = append(ids, old)
			}
			rows, err := tx.Query(ctx, `SELECT id FROM slots WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
			if err != nil {
				return err
			}
			locked, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if !slices.Contains(locked, slotID) {
				return fmt.Errorf("slot %s: %w", slotID, guichet.ErrNotFound)
			}
			if err := book(ctx, tx, slotID); err != nil {
				return err
			}
			if old != "" {
				if err := free(ctx, tx, old); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO appointments (case_id, slot_id) VALUES ($1, $2)
				ON CONFLICT (case_id) DO UPDATE SET slot_id = excluded.slot_id`, caseID, slotID); err != nil {
				return classify(err)
			}
		}
		return writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: reschedule to %s: %w", caseID, slotID, err)
	}
	return nil
}

// BookElsewhere books slotID for a case that holds no appointment and
// moves the case to the slot's unit, recording events, in one transaction.
// It fails with guichet.ErrConflict, changing nothing, when the case holds
// an appointment, its status is not one of movable, it is erased, or the
// slot is full; with guichet.ErrNotFound for an unknown case or slot.
func (s *Store) BookElsewhere(ctx context.Context, caseID, slotID string, movable []casefile.Status, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		// liveCase locks the case's row: its status and appointment cannot
		// change under this transaction.
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1`, caseID).Scan(&status); err != nil {
			return fmt.Errorf("case %s: %w", caseID, classify(err))
		}
		if !slices.Contains(movable, casefile.Status(status)) {
			return fmt.Errorf("case %s is %s: %w", ref, status, guichet.ErrConflict)
		}
		var held int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM appointments WHERE case_id = $1`, caseID).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return fmt.Errorf("case %s holds an appointment: %w", ref, guichet.ErrConflict)
		}
		var unitID string
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM slots WHERE id = $1 FOR UPDATE`, slotID).Scan(&unitID); err != nil {
			return fmt.Errorf("slot %s: %w", slotID, classify(err))
		}
		if err := book(ctx, tx, slotID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO appointments (case_id, slot_id) VALUES ($1, $2)`, caseID, slotID); err != nil {
			return classify(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET unit_id = $1 WHERE id = $2`, unitID, caseID); err != nil {
			return classify(err)
		}
		return writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: book %s elsewhere: %w", caseID, slotID, err)
	}
	return nil
}

// CancelAppointment frees the case's place and records events; it fails
// with guichet.ErrNotFound, changing nothing, when the case has no
// appointment.
func (s *Store) CancelAppointment(ctx context.Context, caseID string, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var slotID string
		err = tx.QueryRow(ctx, `DELETE FROM appointments WHERE case_id = $1 RETURNING slot_id`, caseID).Scan(&slotID)
		if err != nil {
			return fmt.Errorf("appointment: %w", classify(err))
		}
		if err := free(ctx, tx, slotID); err != nil {
			return err
		}
		return writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: cancel appointment: %w", caseID, err)
	}
	return nil
}

// ClaimEvent records ev unless the case holds more events of its type
// than of type release (see complaint.CaseEventStore). liveCase locks the
// case's row: concurrent claims on one case queue behind it.
func (s *Store) ClaimEvent(ctx context.Context, caseID string, ev casefile.Event, release string) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var claimed, released int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE type = $1), COUNT(*) FILTER (WHERE type = $2)
			FROM case_events WHERE case_id = $3`, ev.Type, release, caseID).Scan(&claimed, &released); err != nil {
			return err
		}
		if claimed > released {
			return fmt.Errorf("%s already claimed: %w", ev.Type, guichet.ErrConflict)
		}
		return writeEvents(ctx, tx, caseID, ref, salt, []casefile.Event{ev})
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: claim %s: %w", caseID, ev.Type, err)
	}
	return nil
}

// RecordEvents records events on a live case.
func (s *Store) RecordEvents(ctx context.Context, caseID string, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		return writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: events: %w", caseID, err)
	}
	return nil
}

// ExpirableCases returns up to limit (> 0) cases whose ExpiresAt is set and
// at or before now and whose personal data is not yet erased, earliest
// expiry first (then by ID).
func (s *Store) ExpirableCases(ctx context.Context, now time.Time, limit int) ([]casefile.Case, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: expirable cases: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.CaseColumns+` FROM cases c
		WHERE c.expires_at IS NOT NULL AND c.expires_at <= $1 AND c.erased_at IS NULL
		ORDER BY c.expires_at, c.id LIMIT $2`, norm(now), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: expirable cases: %w", err)
	}
	out, err := collect(rows, func(r pgx.Row) (casefile.Case, error) {
		var (
			c            casefile.Case
			kind, status string
		)
		err := r.Scan(sqlrow.CaseDest(&c, &kind, &status)...)
		c.Kind, c.Status = caseref.Kind(kind), casefile.Status(status)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: expirable cases: %w", err)
	}
	return out, nil
}

// EraseCase records events (their leaves computed with the salt still
// present), then deletes the personal part, the ledger salt, the evidence
// rows and any appointment (freeing its place), and sets Status and
// ErasedAt = UpdatedAt = at, all in one transaction. It returns the
// evidence blob keys to delete. An unknown case fails with
// guichet.ErrNotFound, an already erased one with guichet.ErrConflict.
func (s *Store) EraseCase(ctx context.Context, caseID string, status casefile.Status, at time.Time, events []casefile.Event) ([]string, error) {
	if status == "" || at.IsZero() {
		return nil, fmt.Errorf("postgres: case %s: erase: status and time are required: %w", caseID, guichet.ErrInvalid)
	}
	var keys []string
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		keys = []string{}
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		// Checked under the row lock liveCase took: a case confirmed or
		// closed since retention listed it is no longer due, and is kept.
		var expires *time.Time
		if err := tx.QueryRow(ctx, `SELECT expires_at FROM cases WHERE id = $1`, caseID).Scan(&expires); err != nil {
			return fmt.Errorf("expiry: %w", err)
		}
		if expires == nil || expires.After(norm(at)) {
			return fmt.Errorf("case %s is not due for erasure at %s: %w", ref, at.Format(time.RFC3339), guichet.ErrConflict)
		}
		if err := writeEvents(ctx, tx, caseID, ref, salt, events); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM case_personal WHERE case_id = $1`, caseID); err != nil {
			return fmt.Errorf("personal: %w", err)
		}
		// An alert's positions and messages, sealed under the key just deleted.
		if _, err := tx.Exec(ctx, `DELETE FROM alert_entries WHERE case_id = $1`, caseID); err != nil {
			return fmt.Errorf("alert entries: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE case_secrets SET ledger_salt = NULL WHERE case_id = $1`, caseID); err != nil {
			return fmt.Errorf("salt: %w", err)
		}
		rows, err := tx.Query(ctx, `DELETE FROM evidence WHERE owner_id = $1 RETURNING blob_key`, caseID)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		if keys, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		if keys == nil {
			keys = []string{}
		}
		var slotID string
		err = tx.QueryRow(ctx, `DELETE FROM appointments WHERE case_id = $1 RETURNING slot_id`, caseID).Scan(&slotID)
		switch {
		case err == nil:
			if err := free(ctx, tx, slotID); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("appointment: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE cases SET status = $1, erased_at = $2, updated_at = $2 WHERE id = $3`,
			string(status), norm(at), caseID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: case %s: erase: %w", caseID, err)
	}
	return keys, nil
}

// linkedCase is liveCase for a case a submission links to (see
// complaint.Submission.Linked): one missing or erased fails with
// guichet.ErrNotFound, as does the submitted case itself.
func linkedCase(ctx context.Context, tx pgx.Tx, submittedID, caseID string) (ref string, salt []byte, err error) {
	if caseID == "" || caseID == submittedID {
		return "", nil, fmt.Errorf("linked case %q: %w", caseID, guichet.ErrNotFound)
	}
	ref, salt, err = liveCase(ctx, tx, caseID)
	if errors.Is(err, guichet.ErrConflict) {
		// Not ErrConflict: the caller would draw another reference.
		return "", nil, fmt.Errorf("linked case %s is erased: %w", caseID, guichet.ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("linked %w", err)
	}
	return ref, salt, nil
}
