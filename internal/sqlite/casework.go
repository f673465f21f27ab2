package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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

// queueKey is the queue's sort key: cases with an appointment first (0),
// by start; the others (1) by submission; then by ID.
const queueKey = `(ap.case_id IS NULL), COALESCE(sl.start_at, c.submitted_at, c.created_at, 0), c.id`

// QueueCases returns up to q.Limit cases matching q in queue order,
// starting after q.After. An empty q.UnitIDs matches nothing.
func (s *Store) QueueCases(ctx context.Context, q casework.QueueQuery) ([]casework.QueueRow, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: queue: limit %d: %w", q.Limit, guichet.ErrInvalid)
	}
	out := []casework.QueueRow{}
	if len(q.UnitIDs) == 0 {
		return out, nil
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	add("c.unit_id IN ("+marks(len(q.UnitIDs))+")", anys(q.UnitIDs)...)
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
		add("c.status IN ("+marks(len(st))+")", anys(st)...)
	}
	if !q.ApptFrom.IsZero() {
		add("sl.start_at >= ?", norm(q.ApptFrom).UnixMicro())
	}
	if !q.ApptTo.IsZero() {
		add("sl.start_at < ?", norm(q.ApptTo).UnixMicro())
	}
	if !q.ExpiresBefore.IsZero() {
		add("c.expires_at IS NOT NULL AND c.expires_at < ?", norm(q.ExpiresBefore).UnixMicro())
	}
	if q.Ref != "" {
		add("c.ref = ?", q.Ref)
	}
	if q.AssignedTo != "" {
		add("a.agent_id = ?", q.AssignedTo)
	}
	if k := q.After; k != nil {
		add("("+queueKey+") > (?, ?, ?)", boolInt(k.NoAppointment), norm(k.At).UnixMicro(), k.ID)
	}
	args = append(args, q.Limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.CaseColumns+`, sl.id, sl.unit_id, sl.start_at, sl.end_at,
			a.agent_id, a.agent_pseudonym, a.assigned_at
		FROM cases c
		LEFT JOIN appointments ap ON ap.case_id = c.id
		LEFT JOIN slots sl ON sl.id = ap.slot_id
		LEFT JOIN case_assignments a ON a.case_id = c.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+queueKey+` LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r            casework.QueueRow
			kind, status string
			ap           station.Appointment
			as           casework.Assignment
		)
		dest := append(sqlrow.CaseDest(&r.Case, &kind, &status), str(&ap.SlotID), str(&ap.UnitID), tm(&ap.Start), tm(&ap.End),
			str(&as.AgentID), str(&as.Pseudonym), tm(&as.At))
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlite: queue: %w", err)
		}
		r.Case.Kind, r.Case.Status = caseref.Kind(kind), casefile.Status(status)
		if ap.SlotID != "" {
			ap.CaseID = r.Case.ID
			r.Appointment = &ap
		}
		if as.AgentID != "" {
			r.Assignment = &as
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: queue: %w", err)
	}
	return out, nil
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys[T any](v []T) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// CaseAssignment returns who is in charge of the case, or fails with
// guichet.ErrNotFound when nobody is.
func (s *Store) CaseAssignment(ctx context.Context, caseID string) (casework.Assignment, error) {
	var a casework.Assignment
	err := s.r.QueryRowContext(ctx, `SELECT agent_id, agent_pseudonym, assigned_at FROM case_assignments WHERE case_id = ?`, caseID).
		Scan(&a.AgentID, &a.Pseudonym, tm(&a.At))
	if err != nil {
		return casework.Assignment{}, fmt.Errorf("sqlite: case %s: assignment: %w", caseID, notFound(err))
	}
	return a, nil
}

// CaseNotes returns the case's notes, oldest first.
func (s *Store) CaseNotes(ctx context.Context, caseID string) ([]casework.StoredNote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, ciphertext, to_citizen, author_id, author_pseudonym, created_at
		FROM case_notes WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: case %s: notes: %w", caseID, err)
	}
	defer rows.Close()
	out := []casework.StoredNote{}
	for rows.Next() {
		var (
			n  casework.StoredNote
			tc int
		)
		if err := rows.Scan(&n.ID, &n.CaseID, &n.Ciphertext, &tc, &n.AuthorID, &n.Author, tm(&n.At)); err != nil {
			return nil, fmt.Errorf("sqlite: case %s: notes: %w", caseID, err)
		}
		n.ToCitizen = tc == 1
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: case %s: notes: %w", caseID, err)
	}
	return out, nil
}

// ChangeCase applies c in one transaction (see casework.Change). An
// unknown case fails with guichet.ErrNotFound; an erased one, or one whose
// status is not in c.Allowed, with guichet.ErrConflict.
func (s *Store) ChangeCase(ctx context.Context, c casework.Change) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		if c.Status != "" || c.SetExpiry {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = COALESCE(?, status),
					expires_at = CASE WHEN ? THEN ? ELSE expires_at END, updated_at = ? WHERE id = ?`,
				nullStr(string(c.Status)), c.SetExpiry, dbTime(norm(c.ExpiresAt)), dbTime(norm(c.At)), c.CaseID); err != nil {
				return classify(err)
			}
		}
		if a := c.Assign; a != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_assignments (case_id, agent_id, agent_pseudonym, assigned_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET agent_id = excluded.agent_id,
				agent_pseudonym = excluded.agent_pseudonym, assigned_at = excluded.assigned_at`,
				c.CaseID, a.AgentID, a.Pseudonym, dbTime(norm(a.At))); err != nil {
				return fmt.Errorf("assignment: %w", classify(err))
			}
		}
		if n := c.Note; n != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_notes
				(id, case_id, to_citizen, author_id, author_pseudonym, created_at, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				n.ID, c.CaseID, boolInt(n.ToCitizen), n.AuthorID, n.Author, dbTime(norm(n.At)), n.Ciphertext); err != nil {
				return fmt.Errorf("note: %w", classify(err))
			}
		}
		if len(c.TrackingHash) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE case_secrets SET tracking_hash = ? WHERE case_id = ?`, c.TrackingHash, c.CaseID); err != nil {
				return fmt.Errorf("tracking code: %w", classify(err))
			}
		}
		return s.writeEvents(ctx, tx, c.CaseID, ref, salt, c.Events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: case %s: change: %w", c.CaseID, err)
	}
	return nil
}

// statusGuard fails with guichet.ErrConflict unless the case's status is
// in allowed (no guard when allowed is empty).
func statusGuard(ctx context.Context, tx *sql.Tx, caseID string, allowedSt []casefile.Status) error {
	if len(allowedSt) == 0 {
		return nil
	}
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM cases WHERE id = ?`, caseID).Scan(&status); err != nil {
		return err
	}
	if !allowed(allowedSt, casefile.Status(status)) {
		return fmt.Errorf("status %s: %w", status, guichet.ErrConflict)
	}
	return nil
}

func allowed(list []casefile.Status, st casefile.Status) bool {
	for _, v := range list {
		if v == st {
			return true
		}
	}
	return false
}

// ConvertCase links a pre-complaint to the new formal complaint and
// creates it, in one transaction (see casework.Store). The conditional
// update of the PP comes first: of two conversions, the second finds the
// PP already linked and fails with guichet.ErrConflict.
func (s *Store) ConvertCase(ctx context.Context, cv casework.Conversion) error {
	pl := cv.PL
	if pl.ID == "" || pl.Ref == "" || len(cv.PLSalt) == 0 || len(cv.PPAllowed) == 0 {
		return fmt.Errorf("sqlite: convert %s: complaint id, ref, salt and guard are required: %w", cv.PPID, guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ppRef, ppSalt, err := liveCase(ctx, tx, cv.PPID)
		if err != nil {
			return err
		}
		args := append([]any{string(casefile.StatusConfirmed), pl.Ref, dbTime(norm(cv.At)), cv.PPID}, anys(cv.PPAllowed)...)
		res, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, linked_ref = ?, expires_at = NULL, updated_at = ?
			WHERE id = ? AND linked_ref IS NULL AND status IN (`+marks(len(cv.PPAllowed))+`)`, args...)
		if err != nil {
			return classify(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%s already converted or final: %w", ppRef, guichet.ErrConflict)
		}
		pl.ErasedAt = time.Time{}
		if err := s.insertCase(ctx, tx, pl, casefile.Secrets{LedgerSalt: cv.PLSalt}, cv.PLPerson); err != nil {
			return fmt.Errorf("complaint: %w", err)
		}
		if err := s.writeEvents(ctx, tx, pl.ID, pl.Ref, cv.PLSalt, cv.PLEvents); err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, cv.PPID, ppRef, ppSalt, cv.PPEvents)
	})
	if err != nil {
		return fmt.Errorf("sqlite: convert %s: %w", cv.PPID, err)
	}
	return nil
}

// SlotBookings returns, for each slot of the unit starting in [from, to)
// that has bookings, the references of the booked cases, sorted.
func (s *Store) SlotBookings(ctx context.Context, unitID string, from, to time.Time) (map[string][]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ap.slot_id, c.ref FROM appointments ap
		JOIN slots sl ON sl.id = ap.slot_id JOIN cases c ON c.id = ap.case_id
		WHERE sl.unit_id = ? AND sl.start_at >= ? AND sl.start_at < ? ORDER BY ap.slot_id, c.ref`,
		unitID, norm(from).UnixMicro(), norm(to).UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("sqlite: unit %s: bookings: %w", unitID, err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var slot, ref string
		if err := rows.Scan(&slot, &ref); err != nil {
			return nil, fmt.Errorf("sqlite: unit %s: bookings: %w", unitID, err)
		}
		out[slot] = append(out[slot], ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: unit %s: bookings: %w", unitID, err)
	}
	return out, nil
}

// SetSlotCapacity sets the slot's capacity (negative: as many as booked)
// in one conditional update; below its bookings fails with
// guichet.ErrConflict, an unknown slot with guichet.ErrNotFound.
func (s *Store) SetSlotCapacity(ctx context.Context, slotID string, capacity int) (station.Slot, error) {
	var sl station.Slot
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE slots SET capacity = CASE WHEN ? < 0 THEN booked ELSE ? END
			WHERE id = ? AND (? < 0 OR booked <= ?) RETURNING `+sqlrow.SlotColumns, capacity, capacity, slotID, capacity, capacity)
		var err error
		if sl, err = sqlrow.ScanSlot(row); err == nil {
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return classify(err)
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM slots WHERE id = ?`, slotID).Scan(&one); err != nil {
			return notFound(err)
		}
		return fmt.Errorf("capacity %d below bookings: %w", capacity, guichet.ErrConflict)
	})
	if err != nil {
		return station.Slot{}, fmt.Errorf("sqlite: slot %s: set capacity: %w", slotID, err)
	}
	return sl, nil
}

// AccessEvents returns up to limit "accessed" events on cases of the units
// with At in [from, to), newest first.
func (s *Store) AccessEvents(ctx context.Context, unitIDs []string, from, to time.Time, limit int) ([]casework.AccessRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: access events: limit %d: %w", limit, guichet.ErrInvalid)
	}
	out := []casework.AccessRecord{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	args := append([]any{casefile.EventAccessed, norm(from).UnixMicro(), norm(to).UnixMicro()}, anys(unitIDs)...)
	rows, err := s.r.QueryContext(ctx, `SELECT c.ref, e.id, e.case_id, e.type, e.at, e.actor, e.visible, e.data
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.type = ? AND e.at >= ? AND e.at < ? AND c.unit_id IN (`+marks(len(unitIDs))+`)
		ORDER BY e.at DESC, e.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: access events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r       casework.AccessRecord
			visible int
			data    string
		)
		if err := rows.Scan(&r.Ref, &r.Event.ID, &r.Event.CaseID, &r.Event.Type, tm(&r.Event.At), &r.Event.Actor, &visible, &data); err != nil {
			return nil, fmt.Errorf("sqlite: access events: %w", err)
		}
		r.Event.Visible = visible == 1
		if err := json.Unmarshal([]byte(data), &r.Event.Data); err != nil {
			return nil, fmt.Errorf("sqlite: access events: event %s: %w", r.Event.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: access events: %w", err)
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
// afterID, by ID; holders without a key are skipped.
func (s *Store) WrappedKeys(ctx context.Context, kind, afterID string, limit int) ([]casework.WrappedKey, error) {
	h, ok := keyHolders[kind]
	if !ok || limit <= 0 {
		return nil, fmt.Errorf("sqlite: wrapped keys %q (limit %d): %w", kind, limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+h.id+`, `+h.col+` FROM `+h.table+`
		WHERE `+h.id+` > ? AND `+h.col+` IS NOT NULL ORDER BY `+h.id+` LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: wrapped keys %s: %w", kind, err)
	}
	defer rows.Close()
	out := []casework.WrappedKey{}
	for rows.Next() {
		k := casework.WrappedKey{Kind: kind}
		if err := rows.Scan(&k.ID, &k.Key); err != nil {
			return nil, fmt.Errorf("sqlite: wrapped keys %s: %w", kind, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: wrapped keys %s: %w", kind, err)
	}
	return out, nil
}

// ReplaceWrappedKeys swaps each holder's Old key for New where it still
// holds Old, in one transaction, and returns how many it replaced.
func (s *Store) ReplaceWrappedKeys(ctx context.Context, kind string, r []casework.KeyReplacement) (int, error) {
	h, ok := keyHolders[kind]
	if !ok {
		return 0, fmt.Errorf("sqlite: replace wrapped keys %q: %w", kind, guichet.ErrInvalid)
	}
	var n int
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, k := range r {
			res, err := tx.ExecContext(ctx, `UPDATE `+h.table+` SET `+h.col+` = ? WHERE `+h.id+` = ? AND `+h.col+` = ?`, k.New, k.ID, k.Old)
			if err != nil {
				return classify(err)
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: replace wrapped keys %s: %w", kind, err)
	}
	return n, nil
}
