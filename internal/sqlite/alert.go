package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/sqlrow"
)

var _ alert.Store = (*Store)(nil)

// RaiseAlert writes a new alert, or returns the one raised with the same
// key. The single writer serialises raises, so the check inside the
// transaction is enough for "one key, one alert".
func (s *Store) RaiseAlert(ctx context.Context, na alert.NewAlert) (string, bool, error) {
	c := na.Alert.Case
	if c.ID == "" || c.Ref == "" || len(na.Alert.KeyHash) == 0 {
		return "", false, fmt.Errorf("sqlite: raise alert: id, ref and key are required: %w", guichet.ErrInvalid)
	}
	var ref string
	var created bool
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, created = "", false
		err := tx.QueryRowContext(ctx, `SELECT c.ref FROM alerts a JOIN cases c ON c.id = a.case_id WHERE a.key_hash = ?`,
			na.Alert.KeyHash).Scan(&ref)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.insertCase(ctx, tx, c, na.Secrets, na.Personal); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (case_id, type, key_hash, device_hash) VALUES (?, ?, ?, ?)`,
			c.ID, string(na.Alert.Type), na.Alert.KeyHash, na.Alert.DeviceHash); err != nil {
			return fmt.Errorf("alert: %w", classify(err))
		}
		if e := na.First; e != nil {
			if err := insertEntry(ctx, tx, c.ID, *e); err != nil {
				return err
			}
		}
		if err := s.writeEvents(ctx, tx, c.ID, c.Ref, na.Secrets.LedgerSalt, na.Events); err != nil {
			return err
		}
		ref, created = c.Ref, true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("sqlite: raise alert %s: %w", c.Ref, err)
	}
	return ref, created, nil
}

func insertEntry(ctx context.Context, tx *sql.Tx, caseID string, e alert.Entry) error {
	if e.ID == "" || e.At.IsZero() || (e.CaseID != "" && e.CaseID != caseID) {
		return fmt.Errorf("entry %q: id, time and matching case are required: %w", e.ID, guichet.ErrInvalid)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_entries (id, case_id, kind, at, ciphertext) VALUES (?, ?, ?, ?, ?)`,
		e.ID, caseID, string(e.Kind), dbTime(norm(e.At)), e.Ciphertext); err != nil {
		return fmt.Errorf("entry %s: %w", e.ID, classify(err))
	}
	return nil
}

const alertColumns = sqlrow.CaseColumns + `, a.type, a.key_hash, a.device_hash, a.ack_by, a.ack_at, a.unit, a.escalated_at, a.outcome`

func scanAlert(sc interface{ Scan(...any) error }) (alert.Alert, error) {
	var a alert.Alert
	var kind, status, typ, outcome string
	dest := append(sqlrow.CaseDest(&a.Case, &kind, &status), &typ, &a.KeyHash, &a.DeviceHash,
		str(&a.AckBy), tm(&a.AckAt), str(&a.Unit), tm(&a.EscalatedAt), str(&outcome))
	if err := sc.Scan(dest...); err != nil {
		return alert.Alert{}, err
	}
	a.Case.Kind, a.Case.Status, a.Type, a.Outcome = caseref.Kind(kind), casefile.Status(status), alert.Type(typ), alert.Outcome(outcome)
	return a, nil
}

// AlertByRef returns an alert by its reference.
func (s *Store) AlertByRef(ctx context.Context, ref string) (alert.Alert, error) {
	a, err := scanAlert(s.r.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.ref = ?`, ref))
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %s: %w", ref, notFound(err))
	}
	return a, nil
}

// AlertByID returns an alert by its case's ID.
func (s *Store) AlertByID(ctx context.Context, caseID string) (alert.Alert, error) {
	a, err := scanAlert(s.r.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.id = ?`, caseID))
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %s: %w", caseID, notFound(err))
	}
	return a, nil
}

// ChangeAlert applies a guarded change.
func (s *Store) ChangeAlert(ctx context.Context, c alert.Change) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		if c.Escalate {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE case_id = ? AND escalated_at IS NULL`, c.CaseID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("already escalated: %w", guichet.ErrConflict)
			}
		}
		at := dbTime(norm(c.At))
		if c.Status != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, string(c.Status), at, c.CaseID); err != nil {
				return classify(err)
			}
		}
		if err := execOne(ctx, tx, `UPDATE alerts SET
			ack_by = COALESCE(?, ack_by), ack_at = CASE WHEN ? IS NULL THEN ack_at ELSE ? END,
			unit = COALESCE(?, unit), outcome = COALESCE(?, outcome),
			escalated_at = CASE WHEN ? THEN ? ELSE escalated_at END
			WHERE case_id = ?`,
			nullStr(c.AckBy), nullStr(c.AckBy), at, nullStr(c.Unit), nullStr(string(c.Outcome)),
			boolInt(c.Escalate), at, c.CaseID); err != nil {
			return fmt.Errorf("alert row: %w", err)
		}
		return s.writeEvents(ctx, tx, c.CaseID, ref, salt, c.Events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: alert %s: change: %w", c.CaseID, err)
	}
	return nil
}

// AddAlertEntry stores a sealed entry on an open alert.
func (s *Store) AddAlertEntry(ctx context.Context, e alert.Entry, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		ref, salt, err := liveCase(ctx, tx, e.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, e.CaseID, alert.Kind.Open()); err != nil {
			return err
		}
		if err := insertEntry(ctx, tx, e.CaseID, e); err != nil {
			return err
		}
		return s.writeEvents(ctx, tx, e.CaseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("sqlite: alert %s: entry: %w", e.CaseID, err)
	}
	return nil
}

// AlertEntries lists a case's entries of one kind after an ID.
func (s *Store) AlertEntries(ctx context.Context, caseID string, k alert.EntryKind, after string, limit int) ([]alert.Entry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: alert entries: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, ciphertext FROM alert_entries
		WHERE case_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?`, caseID, string(k), after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alert entries: %w", err)
	}
	defer rows.Close()
	out := []alert.Entry{}
	for rows.Next() {
		e := alert.Entry{CaseID: caseID, Kind: k}
		if err := rows.Scan(&e.ID, tm(&e.At), &e.Ciphertext); err != nil {
			return nil, fmt.Errorf("sqlite: alert entries: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) listAlerts(ctx context.Context, q string, args ...any) ([]alert.Alert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alert.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenAlerts lists the open alerts of units (and those with no unit).
func (s *Store) OpenAlerts(ctx context.Context, units []string, limit int) ([]alert.Alert, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: open alerts: limit %d: %w", limit, guichet.ErrInvalid)
	}
	open := alert.Kind.Open()
	args := []any{}
	for _, st := range open {
		args = append(args, string(st))
	}
	q := `c.status IN (` + marks(len(open)) + `) AND (c.unit_id IS NULL`
	if len(units) > 0 {
		q += ` OR c.unit_id IN (` + marks(len(units)) + `)`
		for _, u := range units {
			args = append(args, u)
		}
	}
	q += `) ORDER BY c.submitted_at, c.id LIMIT ?`
	out, err := s.listAlerts(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open alerts: %w", err)
	}
	return out, nil
}

// UnacknowledgedAlerts lists alerts still raised and not escalated.
func (s *Store) UnacknowledgedAlerts(ctx context.Context, before time.Time, limit int) ([]alert.Alert, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: unacknowledged alerts: limit %d: %w", limit, guichet.ErrInvalid)
	}
	out, err := s.listAlerts(ctx, `c.status = ? AND a.escalated_at IS NULL AND c.submitted_at <= ?
		ORDER BY c.submitted_at, c.id LIMIT ?`, string(alert.StatusRaised), dbTime(norm(before)), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: unacknowledged alerts: %w", err)
	}
	return out, nil
}
