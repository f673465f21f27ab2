package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/ledger"
)

// SequencerLock is the key of the session-level advisory lock
// (pg_try_advisory_lock) that elects the transparency log's sequencer
// among the nodes sharing a database: "guichet" in ASCII, then 2. An
// operator sees the holder with
//
//	SELECT pid, application_name, client_addr FROM pg_locks JOIN pg_stat_activity USING (pid)
//	WHERE locktype = 'advisory' AND (classid::bigint << 32 | objid::bigint) = 7454980633855882242
//	AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
const SequencerLock int64 = 0x6775696368657402

// instanceLock serialises the claims of the log instance (ClaimLogInstance):
// "guichet", then 3.
const instanceLock int64 = 0x6775696368657403

// SequencerApplication is the application_name of the elector's
// connection, so that pg_stat_activity shows which session holds the lock.
const SequencerApplication = "guichet-sequencer"

var (
	_ ledger.Elector          = (*Elector)(nil)
	_ ledger.InstanceRegistry = (*Store)(nil)
)

// Elector elects the sequencer with the advisory lock SequencerLock, held
// by a connection of its own (never one of the pool's, which a pool may
// close or hand to another request). The server releases the lock when
// the session ends — the process killed, or the connection cut, after
// TCP keepalives fail (the session asks for probes after 5 s idle, every
// 2 s, 3 of them) — and another node's Acquire then takes it.
type Elector struct {
	cfg    *pgx.ConnConfig
	poll   time.Duration // between attempts of Acquire
	watch  time.Duration // between checks of a held lease
	logger *slog.Logger
}

// Elector returns an Elector on the store's database. It opens no
// connection until Acquire.
func (s *Store) Elector(logger *slog.Logger) *Elector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = SequencerApplication
	return &Elector{cfg: cfg, poll: 250 * time.Millisecond, watch: 200 * time.Millisecond, logger: logger}
}

// Acquire blocks until this process holds SequencerLock on a connection
// of its own, or ctx is done. It tries every 250 ms, keeping its
// connection between attempts.
func (e *Elector) Acquire(ctx context.Context) (ledger.Lease, error) {
	var conn *pgx.Conn
	backoff := e.poll
	for {
		err := func() error {
			if conn == nil {
				c, err := e.connect(ctx)
				if err != nil {
					return err
				}
				conn = c
			}
			var got bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, SequencerLock).Scan(&got); err != nil {
				_ = conn.Close(context.WithoutCancel(ctx))
				conn = nil
				return fmt.Errorf("postgres: sequencer lock: %w", err)
			}
			if !got {
				return errNotYet
			}
			return nil
		}()
		switch {
		case err == nil:
			return e.newLease(conn), nil
		case ctx.Err() != nil:
			if conn != nil {
				_ = conn.Close(context.WithoutCancel(ctx))
			}
			return nil, ctx.Err()
		case errors.Is(err, errNotYet):
			backoff = e.poll
		default:
			e.logger.WarnContext(ctx, "postgres: sequencer election", "err", err)
			backoff = min(2*backoff, 5*time.Second)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
}

var errNotYet = errors.New("held by another node")

func (e *Elector) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, e.cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("postgres: sequencer connection: %w", err)
	}
	// Server-side keepalives on this session: a node cut off the network
	// loses the lock in about 11 s instead of the system's two hours.
	// (Ignored on Unix sockets, where the kernel tells at once.)
	if _, err := conn.Exec(ctx, `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres: sequencer connection: %w", err)
	}
	return conn, nil
}

// lease is a held SequencerLock: its connection, watched every e.watch.
type lease struct {
	mu   sync.Mutex
	conn *pgx.Conn // nil once lost or released
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
}

func (e *Elector) newLease(conn *pgx.Conn) *lease {
	l := &lease{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(e.watch)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := l.Check(ctx)
			cancel()
			if err != nil {
				e.logger.Warn("postgres: sequencer lock lost", "err", err)
				return
			}
		}
	}()
	return l
}

// Check pings the lock's session: while it answers, it holds the lock
// (session locks last until the session ends; the lease never unlocks
// but in Release). Any failure loses the lease for good.
func (l *lease) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return errors.New("postgres: sequencer lock: lost")
	}
	if err := l.conn.Ping(ctx); err != nil {
		l.dropLocked(context.WithoutCancel(ctx))
		return fmt.Errorf("postgres: sequencer lock: session gone: %w", err)
	}
	return nil
}

// dropLocked closes the connection (which ends the session, releasing
// the lock if the server still held it) and closes lost. Caller holds mu.
func (l *lease) dropLocked(ctx context.Context) {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = l.conn.Close(ctx)
	l.conn = nil
	close(l.lost)
}

func (l *lease) Lost() <-chan struct{} { return l.lost }

// Release unlocks and closes the connection.
func (l *lease) Release() error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, SequencerLock)
	l.dropLocked(ctx)
	if err != nil {
		return fmt.Errorf("postgres: release sequencer lock: %w", err)
	}
	return nil
}

// ClaimLogInstance runs decide under a transaction-level advisory lock
// with the log instance recorded in the database ("" if none), and
// records the ID decide returns when none was (ledger.InstanceRegistry).
func (s *Store) ClaimLogInstance(ctx context.Context, decide func(recorded string) (string, error)) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, instanceLock); err != nil {
			return err
		}
		var recorded string
		err := tx.QueryRow(ctx, `SELECT id FROM log_instance`).Scan(&recorded)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		id, err := decide(recorded)
		if err != nil {
			return err
		}
		if recorded == "" {
			if _, err := tx.Exec(ctx, `INSERT INTO log_instance (id) VALUES ($1)`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: claim the log instance: %w", err)
	}
	return nil
}
