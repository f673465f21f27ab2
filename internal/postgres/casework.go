package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/sqlrow"
	"github.com/guichet/guichet/internal/station"
)

var (
	_ casework.Store    = (*Store)(nil)
	_ casework.KeyStore = (*Store)(nil)
)

// queueKey is the queue's sort key: cases with an appointment first
// (false), by start; the others by submission; then by ID.
const queueKey = `(ap.case_id IS NULL), COALESCE(sl.start_at, c.submitted_at, c.created_at, 'epoch'::timestamptz), c.id`

// QueueCases returns up to q.Limit cases matching q in queue order,
// starting after q.After. An empty q.UnitIDs matches nothing.
func (s *Store) QueueCases(ctx context.Context, q casework.QueueQuery) ([]casework.QueueRow, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("postgres: queue: limit %d: %w", q.Limit, guichet.ErrInvalid)
	}
	if len(q.UnitIDs) == 0 {
		return []casework.QueueRow{}, nil
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		for _, v := range a {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	add("c.unit_id = ANY(?)", q.UnitIDs)
	if q.Kind != "" {
		add("c.kind = ?", string(q.Kind))
	}
	if q.Category != "" {
		add("c.category = ?", q.Category)
	}
	if len(q.Statuses) > 0 {
		st := make([]string, len(q.Statuses))
		for i, v := range q.Statuses {
			st[i] = string(v)
		}
		add("c.status = ANY(?)", st)
	}
	if !q.ApptFrom.IsZero() {
		add("sl.start_at >= ?", norm(q.ApptFrom))
	}
	if !q.ApptTo.IsZero() {
		add("sl.start_at < ?", norm(q.ApptTo))
	}
	if !q.ExpiresBefore.IsZero() {
		add("c.expires_at < ?", norm(q.ExpiresBefore))
	}
	if q.Ref != "" {
		add("c.ref = ?", q.Ref)
	}
	if q.AssignedTo != "" {
		add("a.agent_id = ?", q.AssignedTo)
	}
	if k := q.After; k != nil {
		add("("+queueKey+") > (?::boolean, ?::timestamptz, ?::text)", k.NoAppointment, norm(k.At), k.ID)
	}
	args = append(args, q.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.CaseColumns+`, sl.id, sl.unit_id, sl.start_at, sl.end_at,
			a.agent_id, a.agent_pseudonym, a.assigned_at
		FROM cases c
		LEFT JOIN appointments ap ON ap.case_id = c.id
		LEFT JOIN slots sl ON sl.id = ap.slot_id
		LEFT JOIN case_assignments a ON a.case_id = c.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+queueKey+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: queue: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (casework.QueueRow, error) {
		var (
			r            casework.QueueRow
			kind, status string
			ap           station.Appointment
			as           casework.Assignment
		)
		dest := append(sqlrow.CaseDest(&r.Case, &kind, &status), str(&ap.SlotID), str(&ap.UnitID), tm(&ap.Start), tm(&ap.End),
			str(&as.AgentID), str(&as.Pseudonym), tm(&as.At))
		if err := row.Scan(dest...); err != nil {
			return r, err
		}
		r.Case.Kind, r.Case.Status = caseref.Kind(kind), casefile.Status(status)
		if ap.SlotID != "" {
			ap.CaseID = r.Case.ID
			r.Appointment = &ap
		}
		if as.AgentID != "" {
			r.Assignment = &as
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: queue: %w", err)
	}
	return out, nil
}

// CaseAssignment returns who is in charge of the case, or fails with
// guichet.ErrNotFound when nobody is.
func (s *Store) CaseAssignment(ctx context.Context, caseID string) (casework.Assignment, error) {
	var a casework.Assignment
	err := s.pool.QueryRow(ctx, `SELECT agent_id, agent_pseudonym, assigned_at FROM case_assignments WHERE case_id = $1`, caseID).
		Scan(&a.AgentID, &a.Pseudonym, tm(&a.At))
	if err != nil {
		return casework.Assignment{}, fmt.Errorf("postgres: case %s: assignment: %w", caseID, classify(err))
	}
	return a, nil
}

// CaseNotes returns the case's notes, oldest first.
func (s *Store) CaseNotes(ctx context.Context, caseID string) ([]casework.StoredNote, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, ciphertext, to_citizen, author_id, author_pseudonym, created_at
		FROM case_notes WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: case %s: notes: %w", caseID, err)
	}
	out, err := collect(rows, func(row pgx.Row) (casework.StoredNote, error) {
		var n casework.StoredNote
		err := row.Scan(&n.ID, &n.CaseID, &n.Ciphertext, &n.ToCitizen, &n.AuthorID, &n.Author, tm(&n.At))
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: case %s: notes: %w", caseID, err)
	}
	return out, nil
}

// ChangeCase applies c in one transaction holding the case's row lock (see
// casework.Change). An unknown case fails with guichet.ErrNotFound; an
// erased one, or one whose status is not in c.Allowed, with
// guichet.ErrConflict.
func (s *Store) ChangeCase(ctx context.Context, c casework.Change) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		if c.Status != "" || c.SetExpiry {
			if _, err := tx.Exec(ctx, `UPDATE cases SET status = COALESCE($1, status),
					expires_at = CASE WHEN $2 THEN $3::timestamptz ELSE expires_at END, updated_at = $4 WHERE id = $5`,
				nullStr(string(c.Status)), c.SetExpiry, dbTime(c.ExpiresAt), dbTime(c.At), c.CaseID); err != nil {
				return classify(err)
			}
		}
		if a := c.Assign; a != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO case_assignments (case_id, agent_id, agent_pseudonym, assigned_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET agent_id = excluded.agent_id,
				agent_pseudonym = excluded.agent_pseudonym, assigned_at = excluded.assigned_at`,
				c.CaseID, a.AgentID, a.Pseudonym, dbTime(a.At)); err != nil {
				return fmt.Errorf("assignment: %w", classify(err))
			}
		}
		if n := c.Note; n != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO case_notes
				(id, case_id, to_citizen, author_id, author_pseudonym, created_at, ciphertext) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				n.ID, c.CaseID, n.ToCitizen, n.AuthorID, n.Author, dbTime(n.At), n.Ciphertext); err != nil {
				return fmt.Errorf("note: %w", classify(err))
			}
		}
		if len(c.TrackingHash) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE case_secrets SET tracking_hash = $1 WHERE case_id = $2`, c.TrackingHash, c.CaseID); err != nil {
				return fmt.Errorf("tracking code: %w", classify(err))
			}
		}
		return writeEvents(ctx, tx, c.CaseID, ref, salt, c.Events)
	})
	if err != nil {
		return fmt.Errorf("postgres: case %s: change: %w", c.CaseID, err)
	}
	return nil
}

// statusStrings is list as a text[] parameter.
func statusStrings(list []casefile.Status) []string {
	out := make([]string, len(list))
	for i, st := range list {
		out[i] = string(st)
	}
	return out
}

// statusGuard fails with guichet.ErrConflict unless the case's status is
// in allowed (no guard when allowed is empty).
func statusGuard(ctx context.Context, tx pgx.Tx, caseID string, allowed []casefile.Status) error {
	if len(allowed) == 0 {
		return nil
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1`, caseID).Scan(&status); err != nil {
		return classify(err)
	}
	if !statusIn(allowed, casefile.Status(status)) {
		return fmt.Errorf("status %s: %w", status, guichet.ErrConflict)
	}
	return nil
}

func statusIn(list []casefile.Status, st casefile.Status) bool {
	for _, v := range list {
		if v == st {
			return true
		}
	}
	return false
}

// ConvertCase links a pre-complaint to the new formal complaint and
// creates it, in one transaction holding the PP's row lock: of two
// conversions, the second waits, then finds the PP linked and fails with
// guichet.ErrConflict.
func (s *Store) ConvertCase(ctx context.Context, cv casework.Conversion) error {
	pl := cv.PL
	if pl.ID == "" || pl.Ref == "" || len(cv.PLSalt) == 0 || len(cv.PPAllowed) == 0 {
		return fmt.Errorf("postgres: convert %s: complaint id, ref, salt and guard are required: %w", cv.PPID, guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ppRef, ppSalt, err := liveCase(ctx, tx, cv.PPID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE cases SET status = $4, linked_ref = $1, expires_at = NULL, updated_at = $2
			WHERE id = $3 AND linked_ref IS NULL AND status = ANY($5)`,
			pl.Ref, dbTime(cv.At), cv.PPID, string(casefile.StatusConfirmed), statusStrings(cv.PPAllowed))
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%s already converted or final: %w", ppRef, guichet.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cases
			(id, ref, kind, category, status, unit_id, created_at, submitted_at, updated_at, expires_at, erased_at, linked_ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)`,
			pl.ID, pl.Ref, string(pl.Kind), pl.Category, string(pl.Status), nullStr(pl.UnitID),
			dbTime(pl.CreatedAt), dbTime(pl.SubmittedAt), dbTime(pl.UpdatedAt), dbTime(pl.ExpiresAt), nullStr(pl.LinkedRef)); err != nil {
			return fmt.Errorf("complaint: %w", classify(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_secrets (case_id, tracking_hash, ledger_salt, code_failures)
			VALUES ($1, NULL, $2, 0)`, pl.ID, cv.PLSalt); err != nil {
			return fmt.Errorf("complaint secrets: %w", classify(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_personal (case_id, wrapped_key, ciphertext) VALUES ($1, $2, $3)`,
			pl.ID, cv.PLPerson.WrappedKey, cv.PLPerson.Ciphertext); err != nil {
			return fmt.Errorf("complaint personal: %w", classify(err))
		}
		if err := writeEvents(ctx, tx, pl.ID, pl.Ref, cv.PLSalt, cv.PLEvents); err != nil {
			return err
		}
		return writeEvents(ctx, tx, cv.PPID, ppRef, ppSalt, cv.PPEvents)
	})
	if err != nil {
		return fmt.Errorf("postgres: convert %s: %w", cv.PPID, err)
	}
	return nil
}

// SlotBookings returns, for each slot of the unit starting in [from, to)
// that has bookings, the references of the booked cases, sorted.
func (s *Store) SlotBookings(ctx context.Context, unitID string, from, to time.Time) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT ap.slot_id, c.ref FROM appointments ap
		JOIN slots sl ON sl.id = ap.slot_id JOIN cases c ON c.id = ap.case_id
		WHERE sl.unit_id = $1 AND sl.start_at >= $2 AND sl.start_at < $3 ORDER BY ap.slot_id, c.ref COLLATE "C"`,
		unitID, norm(from), norm(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: unit %s: bookings: %w", unitID, err)
	}
	pairs, err := collect(rows, func(row pgx.Row) ([2]string, error) {
		var p [2]string
		err := row.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: unit %s: bookings: %w", unitID, err)
	}
	out := map[string][]string{}
	for _, p := range pairs {
		out[p[0]] = append(out[p[0]], p[1])
	}
	return out, nil
}

// SetSlotCapacity sets the slot's capacity (negative: as many as booked)
// in one conditional update; below its bookings fails with
// guichet.ErrConflict, an unknown slot with guichet.ErrNotFound.
func (s *Store) SetSlotCapacity(ctx context.Context, slotID string, capacity int) (station.Slot, error) {
	var sl station.Slot
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var err error
		sl, err = sqlrow.ScanSlot(tx.QueryRow(ctx, `UPDATE slots SET capacity = CASE WHEN $1::int < 0 THEN booked ELSE $1::int END
			WHERE id = $2 AND ($1::int < 0 OR booked <= $1::int) RETURNING `+sqlrow.SlotColumns, capacity, slotID))
		if err == nil {
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return classify(err)
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM slots WHERE id = $1`, slotID).Scan(&one); err != nil {
			return classify(err)
		}
		return fmt.Errorf("capacity %d below bookings: %w", capacity, guichet.ErrConflict)
	})
	if err != nil {
		return station.Slot{}, fmt.Errorf("postgres: slot %s: set capacity: %w", slotID, err)
	}
	return sl, nil
}

// AccessEvents returns up to limit "accessed" events on cases of the units
// with At in [from, to), newest first.
func (s *Store) AccessEvents(ctx context.Context, unitIDs []string, from, to time.Time, limit int) ([]casework.AccessRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: access events: limit %d: %w", limit, guichet.ErrInvalid)
	}
	if len(unitIDs) == 0 {
		return []casework.AccessRecord{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.ref, e.id, e.case_id, e.type, e.at, e.actor, e.visible, e.data::text
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.type = $1 AND e.at >= $2 AND e.at < $3 AND c.unit_id = ANY($4)
		ORDER BY e.at DESC, e.id DESC LIMIT $5`, casefile.EventAccessed, norm(from), norm(to), unitIDs, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: access events: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (casework.AccessRecord, error) {
		var (
			r    casework.AccessRecord
			data string
		)
		if err := row.Scan(&r.Ref, &r.Event.ID, &r.Event.CaseID, &r.Event.Type, tm(&r.Event.At), &r.Event.Actor, &r.Event.Visible, &data); err != nil {
			return r, err
		}
		return r, json.Unmarshal([]byte(data), &r.Event.Data)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: access events: %w", err)
	}
	return out, nil
}

// keyHolders are the columns that keep wrapped data keys, by kind: drafts,
// cases' personal parts (whose key also seals their evidence and notes),
// and agents' TOTP secrets (active and offered at enrolment).
var keyHolders = map[string]struct{ table, id, col string }{
	"draft":          {"drafts", "id", "wrapped_key"},
	"case":           {"case_personal", "case_id", "wrapped_key"},
	"agent_totp":     {"agents", "id", "totp_key"},
	"enrolment_totp": {"agent_enrolments", "token_hash", "totp_key"},
}

// WrappedKeyKinds names every kind of wrapped-key holder.
func (s *Store) WrappedKeyKinds() []string {
	return []string{"draft", "case", "agent_totp", "enrolment_totp"}
}

// WrappedKeys returns up to limit wrapped keys of one kind with ID >
// afterID, by ID (byte order); holders without a key are skipped.
func (s *Store) WrappedKeys(ctx context.Context, kind, afterID string, limit int) ([]casework.WrappedKey, error) {
	h, ok := keyHolders[kind]
	if !ok || limit <= 0 {
		return nil, fmt.Errorf("postgres: wrapped keys %q (limit %d): %w", kind, limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+h.id+`, `+h.col+` FROM `+h.table+`
		WHERE `+h.id+` COLLATE "C" > $1 AND `+h.col+` IS NOT NULL ORDER BY `+h.id+` COLLATE "C" LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: wrapped keys %s: %w", kind, err)
	}
	out, err := collect(rows, func(row pgx.Row) (casework.WrappedKey, error) {
		k := casework.WrappedKey{Kind: kind}
		err := row.Scan(&k.ID, &k.Key)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: wrapped keys %s: %w", kind, err)
	}
	return out, nil
}

// ReplaceWrappedKeys swaps each holder's Old key for New where it still
// holds Old, in one transaction, and returns how many it replaced.
func (s *Store) ReplaceWrappedKeys(ctx context.Context, kind string, r []casework.KeyReplacement) (int, error) {
	h, ok := keyHolders[kind]
	if !ok {
		return 0, fmt.Errorf("postgres: replace wrapped keys %q: %w", kind, guichet.ErrInvalid)
	}
	var n int
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		n = 0
		for _, k := range r {
			tag, err := tx.Exec(ctx, `UPDATE `+h.table+` SET `+h.col+` = $1 WHERE `+h.id+` = $2 AND `+h.col+` = $3`, k.New, k.ID, k.Old)
			if err != nil {
				return classify(err)
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: replace wrapped keys %s: %w", kind, err)
	}
	return n, nil
}
