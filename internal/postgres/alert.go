package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/sqlrow"
)

var _ alert.Store = (*Store)(nil)

// RaiseAlert writes a new alert, or returns the one raised with the same
// key. A transaction-scoped advisory lock on the key serialises raises of
// one key across nodes, so the check inside the transaction is enough.
func (s *Store) RaiseAlert(ctx context.Context, na alert.NewAlert) (string, bool, error) {
	c := na.Alert.Case
	if c.ID == "" || c.Ref == "" || len(na.Alert.KeyHash) == 0 {
		return "", false, fmt.Errorf("postgres: raise alert: id, ref and key are required: %w", guichet.ErrInvalid)
	}
	var ref string
	var created bool
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, created = "", false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 13))`, na.Alert.KeyHash); err != nil {
			return classify(err)
		}
		err := tx.QueryRow(ctx, `SELECT c.ref FROM alerts a JOIN cases c ON c.id = a.case_id WHERE a.key_hash = $1`,
			na.Alert.KeyHash).Scan(&ref)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return classify(err)
		}
		b := &pgx.Batch{}
		queueCaseInsert(b, c, na.Secrets, na.Personal)
		br := tx.SendBatch(ctx, b)
		err = caseInsertResults(br)
		if cerr := br.Close(); err == nil && cerr != nil {
			err = classify(cerr)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alerts (case_id, type, key_hash, device_hash) VALUES ($1, $2, $3, $4)`,
			c.ID, string(na.Alert.Type), na.Alert.KeyHash, na.Alert.DeviceHash); err != nil {
			return fmt.Errorf("alert: %w", classify(err))
		}
		if e := na.First; e != nil {
			if err := insertEntry(ctx, tx, c.ID, *e); err != nil {
				return err
			}
		}
		if err := writeEvents(ctx, tx, c.ID, c.Ref, na.Secrets.LedgerSalt, na.Events); err != nil {
			return err
		}
		ref, created = c.Ref, true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("postgres: raise alert %s: %w", c.Ref, err)
	}
	return ref, created, nil
}

func insertEntry(ctx context.Context, tx pgx.Tx, caseID string, e alert.Entry) error {
	if e.ID == "" || e.At.IsZero() || (e.CaseID != "" && e.CaseID != caseID) {
		return fmt.Errorf("entry %q: id, time and matching case are required: %w", e.ID, guichet.ErrInvalid)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_entries (id, case_id, kind, at, ciphertext) VALUES ($1, $2, $3, $4, $5)`,
		e.ID, caseID, string(e.Kind), dbTime(e.At), e.Ciphertext); err != nil {
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
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.ref = $1`, ref))
	if err != nil {
		return alert.Alert{}, fmt.Errorf("postgres: alert %s: %w", ref, classify(err))
	}
	return a, nil
}

// AlertByID returns an alert by its case's ID.
func (s *Store) AlertByID(ctx context.Context, caseID string) (alert.Alert, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.id = $1`, caseID))
	if err != nil {
		return alert.Alert{}, fmt.Errorf("postgres: alert %s: %w", caseID, classify(err))
	}
	return a, nil
}

// ChangeAlert applies a guarded change; liveCase locks the case's row, so
// concurrent changes of one alert are serialised and each sees the last.
func (s *Store) ChangeAlert(ctx context.Context, c alert.Change) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		ref, salt, err := liveCase(ctx, tx, c.CaseID)
		if err != nil {
			return err
		}
		if err := statusGuard(ctx, tx, c.CaseID, c.Allowed); err != nil {
			return err
		}
		if c.Escalate {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE case_id = $1 AND escalated_at IS NULL`, c.CaseID).Scan(&n); err != nil {
				return classify(err)
			}
			if n == 0 {
				return fmt.Errorf("already escalated: %w", guichet.ErrConflict)
			}
		}
		at := dbTime(c.At)
		if c.Status != "" {
			if _, err := tx.Exec(ctx, `UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3`, string(c.Status), at, c.CaseID); err != nil {
				return classify(err)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE alerts SET
			ack_by = COALESCE($1, ack_by), ack_at = CASE WHEN $1::text IS NULL THEN ack_at ELSE $2 END,
			unit = COALESCE($3, unit), outcome = COALESCE($4, outcome),
			escalated_at = CASE WHEN $5 THEN $2 ELSE escalated_at END
			WHERE case_id = $6`,
			nullStr(c.AckBy), at, nullStr(c.Unit), nullStr(string(c.Outcome)), c.Escalate, c.CaseID)
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("alert row: %w", guichet.ErrNotFound)
		}
		return writeEvents(ctx, tx, c.CaseID, ref, salt, c.Events)
	})
	if err != nil {
		return fmt.Errorf("postgres: alert %s: change: %w", c.CaseID, err)
	}
	return nil
}

// AddAlertEntry stores a sealed entry on an open alert.
func (s *Store) AddAlertEntry(ctx context.Context, e alert.Entry, events []casefile.Event) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
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
		return writeEvents(ctx, tx, e.CaseID, ref, salt, events)
	})
	if err != nil {
		return fmt.Errorf("postgres: alert %s: entry: %w", e.CaseID, err)
	}
	return nil
}

// AlertEntries lists a case's entries of one kind after an ID.
func (s *Store) AlertEntries(ctx context.Context, caseID string, k alert.EntryKind, after string, limit int) ([]alert.Entry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: alert entries: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, ciphertext FROM alert_entries
		WHERE case_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4`, caseID, string(k), after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: alert entries: %w", err)
	}
	defer rows.Close()
	out := []alert.Entry{}
	for rows.Next() {
		e := alert.Entry{CaseID: caseID, Kind: k}
		if err := rows.Scan(&e.ID, tm(&e.At), &e.Ciphertext); err != nil {
			return nil, fmt.Errorf("postgres: alert entries: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) listAlerts(ctx context.Context, q string, args ...any) ([]alert.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM cases c JOIN alerts a ON a.case_id = c.id WHERE `+q, args...)
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
		return nil, fmt.Errorf("postgres: open alerts: limit %d: %w", limit, guichet.ErrInvalid)
	}
	var open []string
	for _, st := range alert.Kind.Open() {
		open = append(open, string(st))
	}
	if units == nil {
		units = []string{}
	}
	out, err := s.listAlerts(ctx, `c.status = ANY($1) AND (c.unit_id IS NULL OR c.unit_id = ANY($2))
		ORDER BY c.submitted_at, c.id LIMIT $3`, open, units, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: open alerts: %w", err)
	}
	return out, nil
}

// UnacknowledgedAlerts lists alerts still raised and not escalated.
func (s *Store) UnacknowledgedAlerts(ctx context.Context, before time.Time, limit int) ([]alert.Alert, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: unacknowledged alerts: limit %d: %w", limit, guichet.ErrInvalid)
	}
	out, err := s.listAlerts(ctx, `c.status = $1 AND a.escalated_at IS NULL AND c.submitted_at <= $2
		ORDER BY c.submitted_at, c.id LIMIT $3`, string(alert.StatusRaised), dbTime(before), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: unacknowledged alerts: %w", err)
	}
	return out, nil
}
