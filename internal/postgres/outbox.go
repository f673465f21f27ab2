package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// PendingOutbox returns up to limit (> 0) outbox entries not yet sequenced,
// in ID order, with LogIndex -1.
//
// IDs are drawn when a row is inserted, not when it commits: an entry with
// a lower ID than those returned may still commit later and be returned by
// a later call. Sequencers MUST sequence what is pending, never "everything
// after ID x".
func (s *Store) PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: pending outbox: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, event_id, leaf FROM outbox
		WHERE log_index IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending outbox: %w", err)
	}
	out, err := collect(rows, func(r pgx.Row) (casefile.OutboxEntry, error) {
		e := casefile.OutboxEntry{LogIndex: -1}
		err := r.Scan(&e.ID, &e.EventID, &e.Leaf)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: pending outbox: %w", err)
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
		return fmt.Errorf("postgres: mark sequenced: first index %d: %w", firstIndex, guichet.ErrInvalid)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return fmt.Errorf("postgres: mark sequenced: entry %d repeated: %w", id, guichet.ErrInvalid)
		}
		seen[id] = true
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE outbox o SET log_index = $2 + u.ord - 1
			FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord)
			WHERE o.id = u.id AND o.log_index IS NULL`, ids, firstIndex)
		if err != nil {
			return classify(err)
		}
		if n := tag.RowsAffected(); n != int64(len(ids)) {
			return fmt.Errorf("%d of %d entries unknown or already sequenced: %w", int64(len(ids))-n, len(ids), guichet.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: mark sequenced from %d: %w", firstIndex, err)
	}
	return nil
}

// SequencedCount returns how many outbox entries have a LogIndex.
func (s *Store) SequencedCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE log_index IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: sequenced count: %w", err)
	}
	return n, nil
}

// EventLogIndex returns the log index of the event's leaf, or fails with
// guichet.ErrNotFound for an unknown event or one not yet sequenced.
func (s *Store) EventLogIndex(ctx context.Context, eventID string) (int64, error) {
	var idx *int64
	err := s.pool.QueryRow(ctx, `SELECT log_index FROM outbox WHERE event_id = $1`, eventID).Scan(&idx)
	if err != nil {
		return 0, fmt.Errorf("postgres: event %s: log index: %w", eventID, classify(err))
	}
	if idx == nil {
		return 0, fmt.Errorf("postgres: event %s: not yet sequenced: %w", eventID, guichet.ErrNotFound)
	}
	return *idx, nil
}
