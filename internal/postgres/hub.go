package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/hub"
)

// outboxLock is the pg_advisory_xact_lock key held from the moment a
// transaction writes its outbox rows until it commits ("guichet" in ASCII,
// then 3). Outbox IDs are therefore allocated in commit order: once a row
// is visible, every row with a lower ID is visible too or belongs to a
// transaction that rolled back. The event hub and its subscribers rely on
// it to read the outbox by ID without missing a late commit. The lock is
// taken last, after every row lock the transaction needs, so it cannot be
// part of a deadlock, and held for the outbox insert and the commit only.
const outboxLock int64 = 0x6775696368657403

// NotifyChannel is the LISTEN/NOTIFY channel on which every commit that
// wrote outbox rows announces its greatest outbox ID (the payload is that
// number, never anything else).
const NotifyChannel = "guichet_outbox"

// outboxTx is the transaction Transact hands its function: it gathers the
// outbox rows the function writes so that they are inserted last.
type outboxTx struct {
	pgx.Tx
	outbox []pendingOutbox
}

type pendingOutbox struct {
	rec  hub.Record
	leaf []byte
	at   time.Time
}

// addOutbox records that tx must write the outbox row of event r.
func addOutbox(tx pgx.Tx, r eventRow, caseID, ref string) error {
	otx, ok := tx.(*outboxTx)
	if !ok {
		return errors.New("postgres: events written outside Transact")
	}
	otx.outbox = append(otx.outbox, pendingOutbox{
		rec:  hub.Record{EventID: r.e.ID, CaseID: caseID, Kind: refKind(ref), Type: r.e.Type},
		leaf: r.leaf, at: r.e.At,
	})
	return nil
}

// flushOutbox writes the gathered outbox rows under outboxLock, announces
// the greatest ID on NotifyChannel (delivered at commit) and returns the
// records to publish once committed.
func flushOutbox(ctx context.Context, tx pgx.Tx, rows []pendingOutbox) ([]hub.Record, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	// One round trip: the lock, every row, and the notification of the
	// last ID this session drew (delivered at commit).
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, outboxLock)
	for _, r := range rows {
		b.Queue(`INSERT INTO outbox (event_id, leaf, created_at) VALUES ($1, $2, $3) RETURNING id`, r.rec.EventID, r.leaf, r.at)
	}
	b.Queue(`SELECT pg_notify($1, currval(pg_get_serial_sequence('outbox', 'id'))::text)`, NotifyChannel)
	br := tx.SendBatch(ctx, b)
	recs, err := func() ([]hub.Record, error) {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("outbox lock: %w", classify(err))
		}
		out := make([]hub.Record, len(rows))
		for i, r := range rows {
			out[i] = r.rec
			if err := br.QueryRow().Scan(&out[i].ID); err != nil {
				return nil, fmt.Errorf("event %s: outbox: %w", r.rec.EventID, classify(err))
			}
		}
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("outbox notify: %w", classify(err))
		}
		return out, nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = classify(cerr)
	}
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// refKind is the kind a reference names: its prefix.
func refKind(ref string) caseref.Kind {
	if len(ref) < 2 {
		return ""
	}
	return caseref.Kind(ref[:2])
}

// SetPublisher makes the store hand p the outbox records of every
// transaction once it has committed (the event hub's Publish). Records of
// concurrent transactions may reach p a little out of order; the hub
// reorders them. p MUST NOT block.
func (s *Store) SetPublisher(p func(...hub.Record)) { s.publish.Store(&p) }

// OutboxSince returns up to limit committed outbox records after the
// position after, in ID order (hub.Source).
func (s *Store) OutboxSince(ctx context.Context, after int64, limit int) ([]hub.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.event_id, e.case_id, c.kind, e.type
		FROM outbox o JOIN case_events e ON e.id = o.event_id JOIN cases c ON c.id = e.case_id
		WHERE o.id > $1 ORDER BY o.id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: outbox since %d: %w", after, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hub.Record, error) {
		var r hub.Record
		var kind string
		err := row.Scan(&r.ID, &r.EventID, &r.CaseID, &kind, &r.Type)
		r.Kind = caseref.Kind(kind)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: outbox since %d: %w", after, err)
	}
	if out == nil {
		out = []hub.Record{}
	}
	return out, nil
}

// OutboxHead returns the greatest committed outbox ID, 0 when none.
func (s *Store) OutboxHead(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: outbox head: %w", err)
	}
	return id, nil
}

// Listen holds a connection of its own LISTENing on NotifyChannel and
// calls wake with each announced outbox ID — commits of every node,
// this one included — until ctx ends. After the connection is lost it
// reconnects with back-off and calls wake(0), since notifications sent
// meanwhile are lost: the hub then reads the outbox table.
func (s *Store) Listen(ctx context.Context, wake func(id int64)) error {
	backoff := 100 * time.Millisecond
	for {
		err := s.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = err // the hub polls meanwhile; the next connection catches up
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, wake func(id int64)) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{NotifyChannel}.Sanitize()); err != nil {
		return err
	}
	wake(0) // whatever was committed while no one listened
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue // not ours
		}
		wake(id)
	}
}
