package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/hub"
)

// outboxLock is the advisory lock key ("guichet" in ASCII, then 3) that
// lets a reader of the outbox know which IDs are final.
//
// Outbox IDs are drawn from a sequence when a row is inserted, not when it
// commits, so concurrent transactions may commit them out of order. Every
// transaction takes outboxLock in SHARED mode before it draws its outbox
// IDs and holds it until it ends; shared holders do not wait for each
// other, so commits stay concurrent (and PostgreSQL can flush several at
// once). A reader takes it EXCLUSIVE for an instant (outboxHorizon): that
// waits for every transaction that had drawn IDs to end, so every ID drawn
// until then is committed or rolled back for good, and every later one is
// greater. Readers return nothing above that horizon, so once a row is
// returned every row with a lower ID has been returned or never will exist
// — what the event hub relies on. The shared lock is taken last, after
// every row lock the transaction needs, so it is never part of a deadlock.
const outboxLock int64 = 0x6775696368657403

// NotifyChannel is the LISTEN/NOTIFY channel on which each node announces,
// after its commits, the greatest outbox ID it committed (the payload is
// that number, never anything else). Announcements are sent after commit
// and coalesced (see announce): a node that stops between a commit and its
// announcement leaves the others to find the rows at their next poll.
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

// flushOutbox writes the gathered outbox rows under outboxLock (shared)
// and returns the records to publish once committed.
func flushOutbox(ctx context.Context, tx pgx.Tx, rows []pendingOutbox) ([]hub.Record, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if len(rows) > bulkOutbox {
		return flushOutboxBulk(ctx, tx, rows)
	}
	// One round trip: the lock, then every row.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock_shared($1)`, outboxLock)
	for _, r := range rows {
		b.Queue(`INSERT INTO outbox (event_id, leaf, created_at) VALUES ($1, $2, $3) RETURNING id`, r.rec.EventID, r.leaf, r.at)
	}
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

// bulkOutbox is the most outbox rows written a statement each; more (a
// batch of reports) go in one statement.
const bulkOutbox = 32

// flushOutboxBulk writes rows as flushOutbox does, in one statement; their
// IDs are drawn in the order of rows.
func flushOutboxBulk(ctx context.Context, tx pgx.Tx, rows []pendingOutbox) ([]hub.Record, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, outboxLock); err != nil {
		return nil, fmt.Errorf("outbox lock: %w", classify(err))
	}
	ids, leaves, ats := make([]string, len(rows)), make([][]byte, len(rows)), make([]time.Time, len(rows))
	for i, r := range rows {
		ids[i], leaves[i], ats[i] = r.rec.EventID, r.leaf, r.at
	}
	res, err := tx.Query(ctx, `INSERT INTO outbox (event_id, leaf, created_at)
		SELECT e, l, a FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) WITH ORDINALITY AS u (e, l, a, i) ORDER BY i
		RETURNING id, event_id`, ids, leaves, ats)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", classify(err))
	}
	got := make(map[string]int64, len(rows))
	for res.Next() {
		var (
			id  int64
			eid string
		)
		if err := res.Scan(&id, &eid); err != nil {
			res.Close()
			return nil, fmt.Errorf("outbox: %w", err)
		}
		got[eid] = id
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("outbox: %w", classify(err))
	}
	out := make([]hub.Record, len(rows))
	for i, r := range rows {
		id, ok := got[r.rec.EventID]
		if !ok {
			return nil, fmt.Errorf("event %s: outbox: no ID returned", r.rec.EventID)
		}
		out[i] = r.rec
		out[i].ID = id
	}
	return out, nil
}

// outboxHorizon returns an outbox ID h such that every ID up to h is
// committed or will never be: it takes outboxLock exclusively, which waits
// for the transactions that drew IDs to end, reads the last ID drawn and
// releases the lock at once. New writers wait for the instant the lock is
// held, not for the reader's round trips: the lock, the read and the end
// of the transaction go in one simple-protocol query, which PostgreSQL
// runs as one implicit transaction. (The outbox sequence has no per-session
// cache, so the last value drawn is the greatest ID any session holds.)
func (s *Store) outboxHorizon(ctx context.Context) (int64, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	q := fmt.Sprintf(`SELECT set_config('lock_timeout', '10s', true);
		SELECT pg_advisory_xact_lock(%d);
		SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id')::regclass), 0)`, outboxLock)
	res, err := conn.Conn().PgConn().Exec(ctx, q).ReadAll()
	if err != nil {
		return 0, fmt.Errorf("outbox horizon: %w", err)
	}
	if len(res) != 3 || len(res[2].Rows) != 1 || len(res[2].Rows[0]) != 1 {
		return 0, fmt.Errorf("outbox horizon: unexpected result")
	}
	h, err := strconv.ParseInt(string(res[2].Rows[0][0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("outbox horizon: %w", err)
	}
	return h, nil
}

// announce has the greatest outbox ID this node committed sent on
// NotifyChannel, after the commit and outside its transaction: a NOTIFY in
// the writing transaction would serialise every commit (PostgreSQL holds a
// database-wide lock from a notifying transaction's pre-commit to its end,
// flush included). One goroutine sends them, one at a time, each carrying
// the greatest ID committed meanwhile; a send that fails is not retried
// (listeners poll). It never blocks the caller.
func (s *Store) announce(id int64) {
	a := &s.ann
	a.mu.Lock()
	defer a.mu.Unlock()
	a.want = max(a.want, id)
	if a.running || a.closed {
		return
	}
	a.running = true
	a.wg.Add(1)
	go s.announceLoop()
}

func (s *Store) announceLoop() {
	a := &s.ann
	defer a.wg.Done()
	for {
		a.mu.Lock()
		id := a.want
		if id <= a.sent || a.closed {
			a.running = false
			a.mu.Unlock()
			return
		}
		a.sent = id
		a.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(id, 10))
		cancel()
	}
}

// announcer is the state of announce.
type announcer struct {
	mu      sync.Mutex
	want    int64 // greatest ID committed
	sent    int64 // greatest ID sent (or given up on)
	running bool
	closed  bool
	wg      sync.WaitGroup
}

// closeAnnouncer stops announcing and waits for a send in progress.
func (s *Store) closeAnnouncer() {
	s.ann.mu.Lock()
	s.ann.closed = true
	s.ann.mu.Unlock()
	s.ann.wg.Wait()
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
// position after, in ID order (hub.Source), none above the horizon: once a
// record is returned, no record with a lower ID can commit later.
func (s *Store) OutboxSince(ctx context.Context, after int64, limit int) ([]hub.Record, error) {
	h, err := s.outboxHorizon(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: outbox since %d: %w", after, err)
	}
	if h <= after {
		return []hub.Record{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.event_id, e.case_id, c.kind, e.type
		FROM outbox o JOIN case_events e ON e.id = o.event_id JOIN cases c ON c.id = e.case_id
		WHERE o.id > $1 AND o.id <= $3 ORDER BY o.id LIMIT $2`, after, limit, h)
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

// OutboxHead returns the greatest committed outbox ID below the horizon
// (every lower ID committed or never to be), 0 when none.
func (s *Store) OutboxHead(ctx context.Context) (int64, error) {
	h, err := s.outboxHorizon(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: outbox head: %w", err)
	}
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox WHERE id <= $1`, h).Scan(&id); err != nil {
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
