package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/notify"
)

var _ notify.Store = (*Store)(nil)

// NotifyCursor returns the position of the last case event scanned for
// notifications.
func (s *Store) NotifyCursor(ctx context.Context) (int64, error) {
	var pos int64
	if err := s.r.QueryRowContext(ctx, `SELECT position FROM notify_cursor WHERE id = 1`).Scan(&pos); err != nil {
		return 0, fmt.Errorf("sqlite: notify cursor: %w", notFound(err))
	}
	return pos, nil
}

// NotifyEventsAfter returns up to limit committed events whose outbox ID
// is greater than after, in ID order. With one writer, outbox IDs follow
// commit order, so no event can commit later behind the cursor.
func (s *Store) NotifyEventsAfter(ctx context.Context, after int64, limit int) ([]notify.Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: notify events: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, e.case_id, e.type, e.actor, e.visible, e.at
		FROM outbox o JOIN case_events e ON e.id = o.event_id
		WHERE o.id > ? ORDER BY o.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: notify events: %w", err)
	}
	defer rows.Close()
	out := []notify.Event{}
	for rows.Next() {
		var (
			e       notify.Event
			visible int
		)
		if err := rows.Scan(&e.Pos, &e.CaseID, &e.Type, &e.Actor, &visible, tm(&e.At)); err != nil {
			return nil, fmt.Errorf("sqlite: notify events: %w", err)
		}
		e.Visible = visible == 1
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: notify events: %w", err)
	}
	return out, nil
}

// EnqueueNotifications moves the cursor from `from` to `to` and adds one
// pending notification per case that has none, atomically; a cursor moved
// meanwhile fails with guichet.ErrConflict. An unknown case fails with
// guichet.ErrNotFound.
func (s *Store) EnqueueNotifications(ctx context.Context, from, to int64, caseIDs []string, dueAt, now time.Time) (int, error) {
	var added int
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		added = 0
		res, err := tx.ExecContext(ctx, `UPDATE notify_cursor SET position = ? WHERE id = 1 AND position = ?`, to, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("cursor moved from %d: %w", from, guichet.ErrConflict)
		}
		for _, id := range caseIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO notifications (case_id, status, next_at, created_at, updated_at)
				VALUES (?, 'pending', ?, ?, ?) ON CONFLICT (case_id) WHERE status = 'pending' DO NOTHING`,
				id, dbTime(norm(dueAt)), dbTime(norm(now)), dbTime(norm(now)))
			if err != nil {
				return fmt.Errorf("case %s: %w", id, classify(err))
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: enqueue notifications: %w", err)
	}
	return added, nil
}

const notificationColumns = `n.id, n.case_id, c.ref, COALESCE(c.unit_id, ''), n.status, n.attempts,
	n.next_at, n.created_at, n.updated_at, n.last_error`

func scanNotifications(rows *sql.Rows) ([]notify.Notification, error) {
	defer rows.Close()
	out := []notify.Notification{}
	for rows.Next() {
		var (
			n      notify.Notification
			status string
		)
		if err := rows.Scan(&n.ID, &n.CaseID, &n.CaseRef, &n.UnitID, &status, &n.Attempts,
			tm(&n.NextAt), tm(&n.CreatedAt), tm(&n.UpdatedAt), &n.LastError); err != nil {
			return nil, err
		}
		n.Status = notify.Status(status)
		out = append(out, n)
	}
	return out, rows.Err()
}

// ClaimNotifications leases up to limit due pending notifications.
func (s *Store) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: claim notifications: limit %d: %w", limit, guichet.ErrInvalid)
	}
	var out []notify.Notification
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET attempts = attempts + 1, next_at = ?
			WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_at <= ?
				ORDER BY next_at, id LIMIT ?)
			RETURNING id`, dbTime(norm(leaseUntil)), dbTime(norm(now)), limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		out = []notify.Notification{}
		if len(ids) == 0 {
			return nil
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+notificationColumns+`
			FROM notifications n JOIN cases c ON c.id = n.case_id
			WHERE n.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY n.id`, ids...)
		if err != nil {
			return err
		}
		out, err = scanNotifications(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim notifications: %w", err)
	}
	return out, nil
}

// FinishNotification records the outcome of an attempt on a pending
// notification.
func (s *Store) FinishNotification(ctx context.Context, id int64, status notify.Status, nextAt time.Time, lastError string, at time.Time) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM notifications WHERE id = ?`, id).Scan(&cur); err != nil {
			return notFound(err)
		}
		if cur != string(notify.StatusPending) {
			return fmt.Errorf("already %s: %w", cur, guichet.ErrConflict)
		}
		next := nextAt
		if next.IsZero() {
			next = at
		}
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET status = ?, next_at = ?, last_error = ?, updated_at = ?
			WHERE id = ?`, string(status), dbTime(norm(next)), lastError, dbTime(norm(at)), id)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: notification %d: finish: %w", id, err)
	}
	return nil
}

// ListNotifications returns the latest limit notifications of the units'
// cases, newest first.
func (s *Store) ListNotifications(ctx context.Context, unitIDs []string, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: list notifications: limit %d: %w", limit, guichet.ErrInvalid)
	}
	if len(unitIDs) == 0 {
		return []notify.Notification{}, nil
	}
	args := make([]any, 0, len(unitIDs)+1)
	for _, u := range unitIDs {
		args = append(args, u)
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+notificationColumns+`
		FROM notifications n JOIN cases c ON c.id = n.case_id
		WHERE c.unit_id IN (?`+strings.Repeat(", ?", len(unitIDs)-1)+`)
		ORDER BY n.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	out, err := scanNotifications(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list notifications: %w", err)
	}
	return out, nil
}
