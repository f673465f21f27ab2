package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/notify"
)

var _ notify.Store = (*Store)(nil)

// NotifyCursor returns the position of the last case event scanned for
// notifications.
func (s *Store) NotifyCursor(ctx context.Context) (int64, error) {
	var pos int64
	if err := s.pool.QueryRow(ctx, `SELECT position FROM notify_cursor WHERE id = 1`).Scan(&pos); err != nil {
		return 0, fmt.Errorf("postgres: notify cursor: %w", classify(err))
	}
	return pos, nil
}

// NotifyEventsAfter returns up to limit committed events whose outbox ID
// is greater than after, in ID order.
//
// Outbox IDs are drawn at insert, not at commit, so a transaction in
// flight may commit an ID below one already visible. The read therefore
// first takes the outbox in SHARE mode, which waits for every transaction
// that has written to it to finish and holds new writers back for the few
// milliseconds of the read: every ID drawn so far is then committed (or
// rolled back for good), and every later one will be greater.
func (s *Store) NotifyEventsAfter(ctx context.Context, after int64, limit int) ([]notify.Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: notify events: limit %d: %w", limit, guichet.ErrInvalid)
	}
	var out []notify.Event
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE outbox IN SHARE MODE`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT o.id, e.case_id, e.type, e.actor, e.visible, e.at
			FROM outbox o JOIN case_events e ON e.id = o.event_id
			WHERE o.id > $1 ORDER BY o.id LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		out, err = collect(rows, func(r pgx.Row) (notify.Event, error) {
			var e notify.Event
			err := r.Scan(&e.Pos, &e.CaseID, &e.Type, &e.Actor, &e.Visible, tm(&e.At))
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: notify events: %w", err)
	}
	return out, nil
}

// EnqueueNotifications moves the cursor from `from` to `to` and adds one
// pending notification per case that has none, atomically; a cursor moved
// meanwhile fails with guichet.ErrConflict.
func (s *Store) EnqueueNotifications(ctx context.Context, from, to int64, caseIDs []string, dueAt, now time.Time) (int, error) {
	var added int
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		added = 0
		tag, err := tx.Exec(ctx, `UPDATE notify_cursor SET position = $1 WHERE id = 1 AND position = $2`, to, from)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("cursor moved from %d: %w", from, guichet.ErrConflict)
		}
		if len(caseIDs) == 0 {
			return nil
		}
		tag, err = tx.Exec(ctx, `INSERT INTO notifications (case_id, status, next_at, created_at, updated_at)
			SELECT id, 'pending', $2, $3, $3 FROM unnest($1::text[]) AS u(id)
			ON CONFLICT (case_id) WHERE status = 'pending' DO NOTHING`, caseIDs, dbTime(dueAt), dbTime(now))
		if err != nil {
			return classify(err)
		}
		added = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: enqueue notifications: %w", err)
	}
	return added, nil
}

const notificationColumns = `n.id, n.case_id, c.ref, COALESCE(c.unit_id, ''), n.status, n.attempts,
	n.next_at, n.created_at, n.updated_at, n.last_error`

func scanNotification(r pgx.Row) (notify.Notification, error) {
	var n notify.Notification
	err := r.Scan(&n.ID, &n.CaseID, &n.CaseRef, &n.UnitID, &n.Status, &n.Attempts,
		tm(&n.NextAt), tm(&n.CreatedAt), tm(&n.UpdatedAt), &n.LastError)
	return n, err
}

// ClaimNotifications leases up to limit due pending notifications; rows
// another node is claiming are skipped, not waited for.
func (s *Store) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: claim notifications: limit %d: %w", limit, guichet.ErrInvalid)
	}
	var out []notify.Notification
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH claimed AS (
				UPDATE notifications SET attempts = attempts + 1, next_at = $1
				WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_at <= $2
					ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
				RETURNING *)
			SELECT `+notificationColumns+` FROM claimed n JOIN cases c ON c.id = n.case_id ORDER BY n.id`,
			dbTime(leaseUntil), dbTime(now), limit)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanNotification)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim notifications: %w", err)
	}
	return out, nil
}

// FinishNotification records the outcome of an attempt on a pending
// notification.
func (s *Store) FinishNotification(ctx context.Context, id int64, status notify.Status, nextAt time.Time, lastError string, at time.Time) error {
	if nextAt.IsZero() {
		nextAt = at
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var cur string
		if err := tx.QueryRow(ctx, `SELECT status FROM notifications WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
			return classify(err)
		}
		if cur != string(notify.StatusPending) {
			return fmt.Errorf("already %s: %w", cur, guichet.ErrConflict)
		}
		_, err := tx.Exec(ctx, `UPDATE notifications SET status = $1, next_at = $2, last_error = $3, updated_at = $4
			WHERE id = $5`, string(status), dbTime(nextAt), lastError, dbTime(at), id)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: notification %d: finish: %w", id, err)
	}
	return nil
}

// ListNotifications returns the latest limit notifications of the units'
// cases, newest first.
func (s *Store) ListNotifications(ctx context.Context, unitIDs []string, limit int) ([]notify.Notification, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: list notifications: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+notificationColumns+`
		FROM notifications n JOIN cases c ON c.id = n.case_id
		WHERE c.unit_id = ANY($1) ORDER BY n.id DESC LIMIT $2`, unitIDs, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notifications: %w", err)
	}
	out, err := collect(rows, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("postgres: list notifications: %w", err)
	}
	return out, nil
}
