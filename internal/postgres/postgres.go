// Package postgres is guichet's store on PostgreSQL (pgx/v5), for one node
// or many sharing one database.
//
// Every method runs in one READ COMMITTED transaction. Writes that touch a
// case lock its row first, so changes to one case (its events, secrets,
// appointment) are serialised; a booking is one conditional UPDATE, which
// PostgreSQL re-checks on the latest row version, so a slot's capacity holds
// across nodes. Deadlocks and serialization failures are retried.
//
// Times are kept in UTC to the microsecond (timestamptz): the store
// normalises every time it is given (time.Time.Truncate(time.Microsecond))
// before writing it, and an event's transparency-log leaf is computed from
// the event as stored.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/migrate"
	"github.com/guichet/guichet/internal/sqlrow"
	"github.com/guichet/guichet/internal/uuid7"
)

var _ complaint.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the pg_advisory_xact_lock key that serialises migrations
// of nodes starting together ("guichet" in ASCII, then 1).
const migrateLock int64 = 0x6775696368657401

// Store is guichet's storage on a PostgreSQL database. It is safe for
// concurrent use, and several processes may share the database.
type Store struct {
	pool *pgxpool.Pool
	url  string // for the listener's own connection
	// publish receives the outbox records of each committed transaction
	// (see SetPublisher); nil until set.
	publish atomic.Pointer[func(...hub.Record)]
	ids     *uuid7.Generator // campaigns' IDs
	ann     announcer        // NOTIFY after commit (see announce)
}

// Open connects to the database at url (postgres://…; pgxpool parameters
// such as pool_max_conns are honoured, the pool otherwise holds
// max(8, 4×GOMAXPROCS) connections) and applies the pending migrations in
// one transaction under an advisory lock. A database written by a newer
// binary (holding migrations this one does not know) is refused.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // the error does not repeat the password
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, url: url, ids: uuid7.New(nil, nil)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := s.rebuildIfNeeded(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close closes every connection, waiting for those in use to be released.
func (s *Store) Close() error {
	s.closeAnnouncer()
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// attempts is how many times Transact runs a transaction that keeps
// failing with a serialization failure or a deadlock.
const attempts = 5

// Transact runs fn in a READ COMMITTED transaction and commits it when fn
// returns nil; otherwise, or if fn panics, it rolls back. When the
// transaction fails with a serialization failure (40001) or a deadlock
// (40P01) it is run again, up to 5 times in all, after a short random
// pause; then the error wraps guichet.ErrUnavailable. fn MUST therefore be
// safe to call again from the start (reset anything it collects) and MUST
// NOT use tx after returning.
func (s *Store) Transact(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.transactOnce(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == attempts {
			return fmt.Errorf("%w: %d attempts: %w", guichet.ErrUnavailable, attempts, err)
		}
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << attempt))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		}
	}
}

func (s *Store) transactOnce(ctx context.Context, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		// Roll back even if ctx is done, so the connection goes back clean.
		if v := recover(); v != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(v)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	otx := &outboxTx{Tx: tx}
	if err := fn(otx); err != nil {
		return err
	}
	recs, err := flushOutbox(ctx, tx, otx.outbox)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	if len(recs) > 0 {
		if p := s.publish.Load(); p != nil {
			(*p)(recs...)
		}
		s.announce(slices.MaxFunc(recs, func(a, b hub.Record) int { return cmp.Compare(a.ID, b.ID) }).ID)
	}
	return nil
}

// retryable reports whether err is a serialization failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// migrate applies, in one transaction holding an advisory lock, every
// embedded migration newer than the database.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.Transact(ctx, func(tx pgx.Tx) error { return migrate.Apply(ctx, migrateTx{tx}, steps) })
}

func loadMigrations() ([]migrate.Migration, error) { return migrate.Load(migrations, "migrations") }

// migrateTx is PostgreSQL's side of a migration run.
type migrateTx struct{ tx pgx.Tx }

// Prepare takes the migration lock, held until the transaction ends, so
// that nodes starting together migrate one after the other.
func (m migrateTx) Prepare(ctx context.Context) error {
	if _, err := m.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	_, err := m.tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)
	return err
}

func (m migrateTx) Applied(ctx context.Context) (int, error) {
	var v int
	err := m.tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (m migrateTx) Exec(ctx context.Context, sql string) error {
	_, err := m.tx.Exec(ctx, sql)
	return err
}

func (m migrateTx) Record(ctx context.Context, mg migrate.Migration) error {
	_, err := m.tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, mg.Version, mg.Name)
	return err
}

// classify wraps err with the guichet error kind its SQLSTATE stands for,
// if any: unique keys → ErrConflict, foreign keys → ErrNotFound, other
// constraints → ErrInvalid; no rows → ErrNotFound.
func classify(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", guichet.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", guichet.ErrConflict, err)
	case "23503": // foreign_key_violation
		return fmt.Errorf("%w: referenced row missing: %w", guichet.ErrNotFound, err)
	case "23514", "23502": // check_violation, not_null_violation
		return fmt.Errorf("%w: %w", guichet.ErrInvalid, err)
	}
	return err
}

// norm is the form in which times are stored: UTC, to the microsecond.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// dbTime encodes t normalised, and the zero time as NULL.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return norm(t)
}

// tm and str scan nullable timestamptz and text columns (see sqlrow).
func tm(t *time.Time) sqlrow.Time { return sqlrow.Time{T: t} }
func str(s *string) sqlrow.Text   { return sqlrow.Text{S: s} }

// nullStr encodes "" as NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
