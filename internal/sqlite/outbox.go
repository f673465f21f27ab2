package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// PendingOutbox returns up to limit (> 0) outbox entries not yet sequenced,
// in ID order, with LogIndex -1. With one writer, IDs follow commit order.
func (s *Store) PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: pending outbox: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, event_id, leaf FROM outbox
		WHERE log_index IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending outbox: %w", err)
	}
	defer rows.Close()
	out := []casefile.OutboxEntry{}
	for rows.Next() {
		e := casefile.OutboxEntry{LogIndex: -1}
		if err := rows.Scan(&e.ID, &e.EventID, &e.Leaf); err != nil {
			return nil, fmt.Errorf("sqlite: pending outbox: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pending outbox: %w", err)
	}
	return out, nil
}

// MarkSequenced sets LogIndex = firstIndex+i on the entry ids[i], for every
// i, atomically. An entry unknown or already sequenced, or an index already
// taken, fails with guichet.ErrConflict and marks nothing. Repeated ids or
// a negative firstIndex fail with guichet.ErrInvalid.
func (s *Store) MarkSequenced(ctx context.Context, ids []int64, firstIndex int64) error {
	if len(ids) == 0 {
		return nil
	}
	if firstIndex < 0 {
		return fmt.Errorf("sqlite: mark sequenced: first index %d: %w", firstIndex, guichet.ErrInvalid)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return fmt.Errorf("sqlite: mark sequenced: entry %d repeated: %w", id, guichet.ErrInvalid)
		}
		seen[id] = true
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE outbox SET log_index = ? WHERE id = ? AND log_index IS NULL`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, id := range ids {
			res, err := stmt.ExecContext(ctx, firstIndex+int64(i), id)
			if err != nil {
				return fmt.Errorf("entry %d: %w", id, classify(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("entry %d unknown or already sequenced: %w", id, guichet.ErrConflict)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark sequenced from %d: %w", firstIndex, err)
	}
	return nil
}

// SequencedCount returns how many outbox entries have a LogIndex.
func (s *Store) SequencedCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE log_index IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: sequenced count: %w", err)
	}
	return n, nil
}

// EventLogIndex returns the log index of the event's leaf, or fails with
// guichet.ErrNotFound for an unknown event or one not yet sequenced.
func (s *Store) EventLogIndex(ctx context.Context, eventID string) (int64, error) {
	var idx sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT log_index FROM outbox WHERE event_id = ?`, eventID).Scan(&idx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: event %s: log index: %w", eventID, notFound(err))
	}
	if !idx.Valid {
		return 0, fmt.Errorf("sqlite: event %s: not yet sequenced: %w", eventID, guichet.ErrNotFound)
	}
	return idx.Int64, nil
}
