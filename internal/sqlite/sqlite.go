// Package sqlite is guichet's store on SQLite (modernc.org/sqlite, pure Go),
// for a single node.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// write acknowledged (a method returned nil) survives a crash of the process
// or of the machine. All writes go through one connection in BEGIN IMMEDIATE
// transactions; reads use a separate pool of read-only connections and see
// every write committed before they start.
//
// Times are kept in UTC to the microsecond: stores normalise every time they
// are given (time.Time.Truncate(time.Microsecond)) before writing it, and an
// event's transparency-log leaf is computed from the event as stored.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

// busyTimeout is how long a statement waits for a lock held by another
// process (an admin command on the same file) before failing.
const busyTimeout = 5 * time.Second

// Store is guichet's storage on one SQLite file. It is safe for concurrent
// use.
type Store struct {
	w *sql.DB // the one writer connection, used by the writer goroutine only
	r *sql.DB // the pool of read-only connections

	prepared map[string]*sql.Stmt // on the writer connection; see prepare
	reads    map[string]*sql.Stmt // on the reader pool; see prepareReads

	// publish receives the outbox records of each committed transaction
	// (see SetPublisher); nil until set.
	publish atomic.Pointer[func(...hub.Record)]
	// written collects the outbox records of the transaction the writer
	// goroutine is running, which alone touches it.
	written []hub.Record

	reqs       chan *writeReq // unbuffered: a request is taken or not
	closing    chan struct{}  // closed by Close
	writerDone chan struct{}  // closed when the writer goroutine ends
	closeOnce  sync.Once

	ids *uuid7.Generator // campaigns' IDs
}

// Open opens (creating if needed) the database file at path and applies the
// pending migrations in one transaction. A database written by a newer
// binary (holding migrations this one does not know) is refused.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: a plain file path is required", path)
	}
	if err := ownerOnly(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, ids: uuid7.New(nil, nil), reqs: make(chan *writeReq), closing: make(chan struct{}), writerDone: make(chan struct{})}
	go s.writer()
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Nothing else writes yet, so the writer connection is free.
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: readers: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	s.r = r
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.prepareReads(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.rebuildIfNeeded(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// ownerOnly makes the database file readable and writable by its owner
// only (0600), like the keys beside it: it holds the cases' metadata and
// the wrapped data keys. SQLite creates a new file 0644 (less the umask)
// and gives its -wal, -shm and -journal files the mode of the database
// file, so creating the file 0600 before SQLite opens it is enough for new
// files; files left broader by an earlier version lose their group and
// other permissions here.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			if err := os.Chmod(name, m&^0o077); err != nil {
				return err
			}
		}
	}
	return nil
}

// dsn builds the connection string of the writer or of a reader.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	// FULL: a commit is on disk (WAL fsynced) before it is acknowledged.
	q.Set("_synchronous", "FULL")
	// Savepoints' sub-journals (group commit) stay in memory, not temp files.
	q.Set("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Set("_query_only", "on")
	} else {
		q.Set("_txlock", "immediate")
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + esc.Replace(path) + "?" + q.Encode()
}

// Close waits for the write transaction under way, if any, and closes
// every connection. Writes asked for afterwards fail; the store is unusable.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		var errR error
		if s.r != nil {
			errR = s.r.Close()
		}
		for _, st := range s.reads {
			_ = st.Close()
		}
		for _, st := range s.prepared {
			_ = st.Close()
		}
		err = errors.Join(errR, s.w.Close())
	})
	return err
}

// Ping reports whether the database answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// Transact runs fn in a write transaction and returns once that
// transaction is committed (nil) or rolled back (an error).
//
// Write transactions run one at a time on the writer connection (BEGIN
// IMMEDIATE). Calls made concurrently are group-committed: several fn run,
// one after the other, each in its own SAVEPOINT, inside one transaction
// committed with one fsync. The result is the same as running them one by
// one in some order: a fn sees the writes of those before it, a fn that
// fails is rolled back alone, and Transact returns nil only once the
// transaction holding fn's writes is durable.
//
// Hence fn MUST be safe to call again from the start (reset anything it
// collects; it is re-run alone if its batch breaks), MUST NOT wait on
// anything but the database, MUST NOT call Transact, and MUST NOT use tx
// after returning. If ctx ends before fn starts, fn is not run. A panic in
// fn is re-raised in the caller of Transact.
func (s *Store) Transact(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosed
	}
	res := <-req.done // wait even if ctx ends: fn may be running or committing
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

var errClosed = errors.New("sqlite: store closed")

// maxBatch bounds how many transactions share one commit.
const maxBatch = 128

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan writeResult
}

type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

// writer runs the write transactions asked for on s.reqs until s.closing
// is closed. Requests that arrive while a batch commits form the next.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.closing:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs the requests in one transaction. If the transaction itself
// fails (rather than one fn), each request not answered is run again alone.
func (s *Store) runBatch(batch []*writeReq) {
	if len(batch) == 1 {
		batch[0].done <- s.runOne(batch[0])
		return
	}
	ctx := context.Background()
	results := make([]writeResult, len(batch))
	ran := make([]bool, len(batch))
	err := func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				results[i] = writeResult{err: err}
				continue
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				_ = tx.Rollback()
				return err
			}
			mark := len(s.written)
			res := call(r.fn, tx)
			undo := "RELEASE w"
			if res.err != nil || res.panicked {
				undo = "ROLLBACK TO w; RELEASE w"
				s.written = s.written[:mark]
			}
			if _, err := tx.ExecContext(ctx, undo); err != nil {
				_ = tx.Rollback()
				return err
			}
			results[i], ran[i] = res, true
		}
		return tx.Commit()
	}()
	s.committed(err == nil)
	for i, r := range batch {
		switch {
		case err == nil || (ran[i] && (results[i].err != nil || results[i].panicked)):
			r.done <- results[i]
		case results[i].err != nil: // not started: its context ended
			r.done <- results[i]
		default: // the batch broke: try alone
			r.done <- s.runOne(r)
		}
	}
}

// runOne runs one request in its own transaction.
func (s *Store) runOne(r *writeReq) writeResult {
	if err := r.ctx.Err(); err != nil {
		return writeResult{err: err}
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return writeResult{err: fmt.Errorf("begin: %w", classify(err))}
	}
	s.written = s.written[:0]
	res := call(r.fn, tx)
	if res.err != nil || res.panicked {
		_ = tx.Rollback()
		s.committed(false)
		return res
	}
	if err := tx.Commit(); err != nil {
		s.committed(false)
		return writeResult{err: fmt.Errorf("commit: %w", classify(err))}
	}
	s.committed(true)
	return res
}

// committed ends the writer's transaction: its outbox records go to the
// publisher when it committed, and are forgotten otherwise.
func (s *Store) committed(ok bool) {
	if ok && len(s.written) > 0 {
		if p := s.publish.Load(); p != nil {
			(*p)(s.written...)
		}
	}
	s.written = s.written[:0]
}

// SetPublisher makes the store hand p the outbox records of every
// transaction once it has committed, in commit order (the event hub's
// Publish). p MUST NOT block.
func (s *Store) SetPublisher(p func(...hub.Record)) { s.publish.Store(&p) }

// call runs fn, turning a panic into a result.
func call(fn func(tx *sql.Tx) error, tx *sql.Tx) (res writeResult) {
	defer func() {
		if v := recover(); v != nil {
			res = writeResult{panicked: true, panicVal: v}
		}
	}()
	return writeResult{err: fn(tx)}
}

// migrate applies, in one transaction, every embedded migration newer than
// the database.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.Transact(ctx, func(tx *sql.Tx) error { return migrate.Apply(ctx, migrateTx{tx}, steps) })
}

func loadMigrations() ([]migrate.Migration, error) { return migrate.Load(migrations, "migrations") }

// migrateTx is SQLite's side of a migration run.
type migrateTx struct{ tx *sql.Tx }

func (m migrateTx) Prepare(ctx context.Context) error {
	_, err := m.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`)
	return err
}

func (m migrateTx) Applied(ctx context.Context) (int, error) {
	var v int
	err := m.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (m migrateTx) Exec(ctx context.Context, sql string) error {
	_, err := m.tx.ExecContext(ctx, sql)
	return err
}

func (m migrateTx) Record(ctx context.Context, mg migrate.Migration) error {
	_, err := m.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		mg.Version, mg.Name, time.Now().UnixMicro())
	return err
}

// classify wraps err with the guichet error kind its SQLite result code
// stands for, if any: unique keys → ErrConflict, foreign keys → ErrNotFound,
// other constraints → ErrInvalid, a lock held too long → ErrUnavailable.
func classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", guichet.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: referenced row missing: %w", guichet.ErrNotFound, err)
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
		return fmt.Errorf("%w: %w", guichet.ErrInvalid, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %w", guichet.ErrUnavailable, err)
	}
	return err
}

// notFound turns sql.ErrNoRows into guichet.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return guichet.ErrNotFound
	}
	return classify(err)
}

// norm is the form in which times are stored: UTC, to the microsecond.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// dbTime encodes t as unix microseconds, and the zero time as NULL.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// tm and str scan nullable time and text columns (see sqlrow).
func tm(t *time.Time) sqlrow.Time { return sqlrow.Time{T: t} }
func str(s *string) sqlrow.Text   { return sqlrow.Text{S: s} }

// nullStr encodes "" as NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// execOne runs q in tx and fails with guichet.ErrNotFound unless it
// changed at least one row.
func execOne(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return classify(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return guichet.ErrNotFound
	}
	return nil
}
