package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/hub"
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
func (s *Store) SubmitCase(ctx context.Context, sub complaint.Submission) error {
	c := sub.Case
	if c.ID == "" || c.Ref == "" {
		return fmt.Errorf("sqlite: submit case: id and ref are required: %w", guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := s.insertCase(ctx, tx, c, sub.Secrets, sub.Personal); err != nil {
			return err
		}
		if sub.DraftID != "" {
			res, err := s.exec(ctx, tx, qDeleteDraft, sub.DraftID)
			if err != nil {
				return fmt.Errorf("draft %s: %w", sub.DraftID, classify(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("draft %s: %w", sub.DraftID, guichet.ErrNotFound)
			}
			if _, err := s.exec(ctx, tx, qReownEvidence, c.ID, sub.DraftID); err != nil {
				return fmt.Errorf("draft %s: evidence: %w", sub.DraftID, classify(err))
			}
		}
		if sub.SlotID != "" {
			if err := s.book(ctx, tx, sub.SlotID); err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, qInsertAppointment, c.ID, sub.SlotID); err != nil {
				return fmt.Errorf("appointment: %w", classify(err))
			}
		}
		if err := s.writeEvents(ctx, tx, c.ID, c.Ref, sub.Secrets.LedgerSalt, sub.Events); err != nil {
			return err
		}
		for _, l := range sub.Linked {
			ref, salt, err := linkedCase(ctx, tx, c.ID, l.CaseID)
			if err != nil {
				return err
			}
			if err := s.writeEvents(ctx, tx, l.CaseID, ref, salt, l.Events); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: submit case %s: %w", c.Ref, err)
	}
	return nil
}

// insertCase writes a new case's row, secrets and sealed personal part.
func (s *Store) insertCase(ctx context.Context, tx *sql.Tx, c casefile.Case, sec casefile.Secrets, personal casefile.Sealed) error {
	if _, err := s.exec(ctx, tx, qInsertCase,
		c.ID, c.Ref, string(c.Kind), c.Category, string(c.Status), nullStr(c.UnitID),
		dbTime(norm(c.CreatedAt)), dbTime(norm(c.SubmittedAt)), dbTime(norm(c.UpdatedAt)),
		dbTime(norm(c.ExpiresAt)), dbTime(norm(c.ErasedAt)), nullStr(c.LinkedRef)); err != nil {
		return fmt.Errorf("insert: %w", classify(err))
	}
	if _, err := s.exec(ctx, tx, qInsertSecrets,
		c.ID, sec.TrackingHash, sec.LedgerSalt, sec.CodeFailures, dbTime(norm(sec.LastCodeFailure))); err != nil {
		return fmt.Errorf("secrets: %w", classify(err))
	}
	if _, err := s.exec(ctx, tx, qInsertPersonal, c.ID, personal.WrappedKey, personal.Ciphertext); err != nil {
		return fmt.Errorf("personal: %w", classify(err))
	}
	return nil
}

// writeEvents records events on the case, each with its outbox row holding
// the canonical leaf computed with salt, in the order given.
func (s *Store) writeEvents(ctx context.Context, tx *sql.Tx, caseID, ref string, salt []byte, events []casefile.Event) error {
	if len(events) == 0 {
		return nil
	}
	if len(salt) == 0 {
		return fmt.Errorf("case %s: events need a ledger salt: %w", ref, guichet.ErrInvalid)
	}
	var seq int64
	if err := s.queryRow(ctx, tx, qMaxSeq, caseID).Scan(&seq); err != nil {
		return fmt.Errorf("case %s: events: %w", ref, err)
	}
	for _, e := range events {
		if e.ID == "" || e.Type == "" || e.At.IsZero() || (e.CaseID != "" && e.CaseID != caseID) {
			return fmt.Errorf("case %s: event %q: id, type, time and matching case are required: %w", ref, e.ID, guichet.ErrInvalid)
		}
		e.CaseID = caseID
		e.At = norm(e.At)
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("case %s: event %s: %w", ref, e.ID, err)
		}
		seq++
		if _, err := s.exec(ctx, tx, qInsertEvent,
			e.ID, caseID, seq, e.Type, dbTime(e.At), e.Actor, boolInt(e.Visible), string(data)); err != nil {
			return fmt.Errorf("case %s: event %s: %w", ref, e.ID, classify(err))
		}
		leaf := casefile.NewLeaf(salt, ref, e).MarshalCanonical()
		res, err := s.exec(ctx, tx, qInsertOutbox, e.ID, leaf, dbTime(e.At))
		if err != nil {
			return fmt.Errorf("case %s: event %s: outbox: %w", ref, e.ID, classify(err))
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("case %s: event %s: outbox: %w", ref, e.ID, err)
		}
		s.written = append(s.written, hub.Record{ID: id, EventID: e.ID, CaseID: caseID, Kind: refKind(ref), Type: e.Type})
	}
	return nil
}

// refKind is the kind a reference names: its prefix.
func refKind(ref string) caseref.Kind {
	if len(ref) < 2 {
		return ""
	}
	return caseref.Kind(ref[:2])
}

// OutboxSince returns up to limit committed outbox records after the
// position after, in ID order (hub.Source).
func (s *Store) OutboxSince(ctx context.Context, after int64, limit int) ([]hub.Record, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.event_id, e.case_id, c.kind, e.type
		FROM outbox o JOIN case_events e ON e.id = o.event_id JOIN cases c ON c.id = e.case_id
		WHERE o.id > ? ORDER BY o.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox since %d: %w", after, err)
	}
	defer rows.Close()
	out := []hub.Record{}
	for rows.Next() {
		var r hub.Record
		var kind string
		if err := rows.Scan(&r.ID, &r.EventID, &r.CaseID, &kind, &r.Type); err != nil {
			return nil, fmt.Errorf("sqlite: outbox since %d: %w", after, err)
		}
		r.Kind = caseref.Kind(kind)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OutboxHead returns the greatest committed outbox ID, 0 when none.
func (s *Store) OutboxHead(ctx context.Context) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&id); err != nil {
		return 0, fmt.Errorf("sqlite: outbox head: %w", err)
	}
	return id, nil
}

// liveCase reads, inside a write transaction, what recording events on a
// case needs: its reference and ledger salt. An unknown case fails with
// guichet.ErrNotFound, an erased one with guichet.ErrConflict.
func liveCase(ctx context.Context, tx *sql.Tx, caseID string) (ref string, salt []byte, err error) {
	var erased bool
	err = tx.QueryRowContext(ctx, `SELECT c.ref, c.erased_at IS NOT NULL, s.ledger_salt
		FROM cases c LEFT JOIN case_secrets s ON s.case_id = c.id WHERE c.id = ?`, caseID).Scan(&ref, &erased, &salt)
	if err != nil {
		return "", nil, fmt.Errorf("case %s: %w", caseID, notFound(err))
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
	err := s.readRow(ctx, qCaseByRef, ref).Scan(dest...)
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, fmt.Errorf("sqlite: case %s: %w", ref, notFound(err))
	}
	c.Kind, c.Status = caseref.Kind(kind), casefile.Status(status)
	return c, sec, nil
}

// CasePersonal returns the sealed personal part, or fails with
// guichet.ErrNotFound for an unknown or erased case.
func (s *Store) CasePersonal(ctx context.Context, caseID string) (casefile.Sealed, error) {
	var p casefile.Sealed
	err := s.r.QueryRowContext(ctx, `SELECT wrapped_key, ciphertext FROM case_personal WHERE case_id = ?`, caseID).
		Scan(&p.WrappedKey, &p.Ciphertext)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("sqlite: case %s: personal: %w", caseID, notFound(err))
	}
	return p, nil
}

// CaseEvents returns the case's events in recording order, or fails with
// guichet.ErrNotFound for an unknown case.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, type, at, actor, visible, data
		FROM case_events WHERE case_id = ? ORDER BY seq`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: case %s: events: %w", caseID, err)
	}
	defer rows.Close()
	out := []casefile.Event{}
	for rows.Next() {
		var (
			e       casefile.Event
			visible int
			data    string
		)
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Type, tm(&e.At), &e.Actor, &visible, &data); err != nil {
			return nil, fmt.Errorf("sqlite: case %s: events: %w", caseID, err)
		}
		e.Visible = visible == 1
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("sqlite: case %s: event %s: data: %w", caseID, e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: case %s: events: %w", caseID, err)
	}
	if len(out) == 0 {
		var one int
		if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM cases WHERE id = ?`, caseID).Scan(&one); err != nil {
			return nil, fmt.Errorf("sqlite: case %s: events: %w", caseID, notFound(err))
		}
	}
	return out, nil
}

// Appointment returns the case's current appointment, or fails with
// guichet.ErrNotFound when it has none.
func (s *Store) Appointment(ctx context.Context, caseID string) (station.Appointment, error) {
	var a station.Appointment
	err := s.r.QueryRowContext(ctx, `SELECT a.case_id, a.slot_id, s.unit_id, s.start_at, s.end_at
		FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.case_id = ?`, caseID).
		Scan(&a.CaseID, &a.SlotID, &a.UnitID, tm(&a.Start), tm(&a.End))
	if err != nil {
		return station.Appointment{}, fmt.Errorf("sqlite: case %s: appointment: %w", caseID, notFound(err))
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
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var old string
		err = tx.QueryRowContext(ctx, `SELECT slot_id FROM appointments WHERE case_id = ?`, caseID).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if old != slotID {
			if err := s.book(ctx, tx, slotID); err != nil {
				return err
			}
			if old != "" {
				if err := free(ctx, tx, old); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO appointments (case_id, slot_id) VALUES (?, ?)
				ON CONFLICT (case_id) DO UPDATE SET slot_id = excluded.slot_id`, caseID, slotID); err != nil {
				return classify(err)
			}
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: reschedule to %s: %w", caseID, slotID, err)
	}
	return nil
}

// BookElsewhere books slotID for a case that holds no appointment and
// moves the case to the slot's unit, recording events, in one transaction.
// It fails with guichet.ErrConflict, changing nothing, when the case holds
// an appointment, its status is not one of movable, it is erased, or the
// slot is full; with guichet.ErrNotFound for an unknown case or slot.
func (s *Store) BookElsewhere(ctx context.Context, caseID, slotID string, movable []casefile.Status, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM cases WHERE id = ?`, caseID).Scan(&status); err != nil {
			return fmt.Errorf("case %s: %w", caseID, notFound(err))
		}
		if !slices.Contains(movable, casefile.Status(status)) {
			return fmt.Errorf("case %s is %s: %w", ref, status, guichet.ErrConflict)
		}
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE case_id = ?`, caseID).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return fmt.Errorf("case %s holds an appointment: %w", ref, guichet.ErrConflict)
		}
		var unitID string
		if err := tx.QueryRowContext(ctx, `SELECT unit_id FROM slots WHERE id = ?`, slotID).Scan(&unitID); err != nil {
			return fmt.Errorf("slot %s: %w", slotID, notFound(err))
		}
		if err := s.book(ctx, tx, slotID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO appointments (case_id, slot_id) VALUES (?, ?)`, caseID, slotID); err != nil {
			return classify(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET unit_id = ? WHERE id = ?`, unitID, caseID); err != nil {
			return classify(err)
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: book %s elsewhere: %w", caseID, slotID, err)
	}
	return nil
}

// CancelAppointment frees the case's place and records events; it fails
// with guichet.ErrNotFound, changing nothing, when the case has no
// appointment.
func (s *Store) CancelAppointment(ctx context.Context, caseID string, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var slotID string
		err = tx.QueryRowContext(ctx, `DELETE FROM appointments WHERE case_id = ? RETURNING slot_id`, caseID).Scan(&slotID)
		if err != nil {
			return fmt.Errorf("appointment: %w", notFound(err))
		}
		if err := free(ctx, tx, slotID); err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: cancel appointment: %w", caseID, err)
	}
	return nil
}

// ClaimEvent records ev unless the case holds more events of its type
// than of type release (see complaint.CaseEventStore). SQLite has one
// writer: the count and the write cannot interleave with another claim.
func (s *Store) ClaimEvent(ctx context.Context, caseID string, ev casefile.Event, release string) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		var claimed, released int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE type = ?), COUNT(*) FILTER (WHERE type = ?)
			FROM case_events WHERE case_id = ?`, ev.Type, release, caseID).Scan(&claimed, &released); err != nil {
			return err
		}
		if claimed > released {
			return fmt.Errorf("%s already claimed: %w", ev.Type, guichet.ErrConflict)
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, []casefile.Event{ev})
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: claim %s: %w", caseID, ev.Type, err)
	}
	return nil
}

// RecordEvents records events on a live case.
func (s *Store) RecordEvents(ctx context.Context, caseID string, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, caseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: events: %w", caseID, err)
	}
	return nil
}

// ExpirableCases returns up to limit (> 0) cases whose ExpiresAt is set and
// at or before now and whose personal data is not yet erased, earliest
// expiry first (then by ID).
func (s *Store) ExpirableCases(ctx context.Context, now time.Time, limit int) ([]casefile.Case, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: expirable cases: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.CaseColumns+` FROM cases c
		WHERE c.expires_at IS NOT NULL AND c.expires_at <= ? AND c.erased_at IS NULL
		ORDER BY c.expires_at, c.id LIMIT ?`, norm(now).UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: expirable cases: %w", err)
	}
	defer rows.Close()
	out := []casefile.Case{}
	for rows.Next() {
		var (
			c            casefile.Case
			kind, status string
		)
		if err := rows.Scan(sqlrow.CaseDest(&c, &kind, &status)...); err != nil {
			return nil, fmt.Errorf("sqlite: expirable cases: %w", err)
		}
		c.Kind, c.Status = caseref.Kind(kind), casefile.Status(status)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: expirable cases: %w", err)
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
		return nil, fmt.Errorf("sqlite: case %s: erase: status and time are required: %w", caseID, guichet.ErrInvalid)
	}
	var keys []string
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		keys = []string{}
		ref, salt, err := liveCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		// Checked under the write lock: a case confirmed or closed since
		// retention listed it is no longer due, and is kept.
		var expires sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT expires_at FROM cases WHERE id = ?`, caseID).Scan(&expires); err != nil {
			return fmt.Errorf("expiry: %w", err)
		}
		if !expires.Valid || expires.Int64 > norm(at).UnixMicro() {
			return fmt.Errorf("case %s is not due for erasure at %s: %w", ref, at.Format(time.RFC3339), guichet.ErrConflict)
		}
		if err := s.writeEvents(ctx, tx, caseID, ref, salt, events); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_personal WHERE case_id = ?`, caseID); err != nil {
			return fmt.Errorf("personal: %w", err)
		}
		// An alert's positions and messages, sealed under the key just deleted.
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_entries WHERE case_id = ?`, caseID); err != nil {
			return fmt.Errorf("alert entries: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE case_secrets SET ledger_salt = NULL WHERE case_id = ?`, caseID); err != nil {
			return fmt.Errorf("salt: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM evidence WHERE owner_id = ? RETURNING blob_key`, caseID)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return fmt.Errorf("evidence: %w", err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		var slotID string
		err = tx.QueryRowContext(ctx, `DELETE FROM appointments WHERE case_id = ? RETURNING slot_id`, caseID).Scan(&slotID)
		switch {
		case err == nil:
			if err := free(ctx, tx, slotID); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("appointment: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE cases SET status = ?, erased_at = ?, updated_at = ? WHERE id = ?`,
			string(status), dbTime(norm(at)), dbTime(norm(at)), caseID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: case %s: erase: %w", caseID, err)
	}
	return keys, nil
}

// linkedCase is liveCase for a case a submission links to (see
// complaint.Submission.Linked): one missing or erased fails with
// guichet.ErrNotFound, as does the submitted case itself.
func linkedCase(ctx context.Context, tx *sql.Tx, submittedID, caseID string) (ref string, salt []byte, err error) {
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
