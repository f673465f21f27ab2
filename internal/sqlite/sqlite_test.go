package sqlite

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/storetest"
	"github.com/guichet/guichet/internal/uuid7"
)

// open opens a fresh store on a new file, closed when tb ends.
func open(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "guichet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

func TestCaseworkContract(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) storetest.CaseworkStore { return open(t) })
}

// TestSettings checks the connection settings durability and integrity
// rest on, on the writer and on a reader.
func TestSettings(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	} {
		for name, db := range map[string]interface {
			QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		}{"writer": s.w, "reader": s.r} {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, tt.pragma, got, tt.want)
			}
		}
	}
	var ro string
	if err := s.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&ro); err != nil || ro != "1" {
		t.Errorf("reader: query_only = %q, %v; want 1", ro, err)
	}
	if _, err := s.r.ExecContext(ctx, "DELETE FROM units"); err == nil {
		t.Error("a reader connection could write")
	}
}

// submission builds a minimal valid submission with one event.
func submission(t testing.TB, ids *uuid7.Generator) complaint.Submission {
	t.Helper()
	r, err := caseref.New(caseref.PreComplaint, 2026, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	id := ids.New()
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	return complaint.Submission{
		Case: casefile.Case{ID: id, Ref: r.String(), Kind: caseref.PreComplaint, Category: "theft",
			Status: casefile.StatusSubmitted, CreatedAt: now, SubmittedAt: now, UpdatedAt: now},
		Secrets:  casefile.Secrets{TrackingHash: []byte("hash"), LedgerSalt: salt},
		Personal: casefile.Sealed{WrappedKey: []byte("key"), Ciphertext: []byte("ciphertext")},
		Events:   []casefile.Event{{ID: ids.New(), CaseID: id, Type: casefile.EventSubmitted, At: now, Actor: "citizen"}},
	}
}

// TestReopen checks that data outlives Close, that reopening applies no
// migration twice, and that a database from a newer binary is refused.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "guichet.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sub := submission(t, uuid7.New(nil, nil))
	if err := s.SubmitCase(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CaseByRef(ctx, sub.Case.Ref); err != nil {
		t.Errorf("after reopening: %v", err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want, _ := loadMigrations(); n != len(want) {
		t.Errorf("schema_migrations holds %d rows, want %d", n, len(want))
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Error("a database at a newer version was opened")
	}
}

// TestCrash kills (SIGKILL) a process that is writing and checks that every
// submission it had acknowledged is in the database.
func TestCrash(t *testing.T) {
	if path := os.Getenv("GUICHET_CRASH_CHILD"); path != "" {
		crashChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "guichet.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GUICHET_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		if ref, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, ref)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d submissions", len(acked))
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ref := range acked {
		if _, _, err := s.CaseByRef(t.Context(), ref); err != nil {
			t.Errorf("acknowledged %s lost: %v", ref, err)
		}
	}
}

// crashChild submits cases until killed, printing each acknowledged one.
func crashChild(t *testing.T, path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ids := uuid7.New(nil, nil)
	for {
		sub := submission(t, ids)
		if err := s.SubmitCase(context.Background(), sub); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %s\n", sub.Case.Ref)
	}
}

func BenchmarkSubmitCase(b *testing.B) {
	storetest.BenchSubmitCase(b, func(b *testing.B) storetest.Store { return open(b) })
}

func TestNotifyContract(t *testing.T) {
	storetest.RunNotify(t, func(t *testing.T) storetest.NotifyStore { return open(t) })
}

func TestHubContract(t *testing.T) {
	storetest.RunHub(t, func(t *testing.T) storetest.HubStore { return open(t) })
}

func TestAccountContract(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return open(t) })
}

// TestFilesOwnerOnly: the database file and its -wal and -shm files are
// created 0600, and a file left broader by an earlier version is
// tightened on open.
func TestFilesOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "guichet.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A write, so that the WAL holds something while the store is open.
	if _, err := s.w.ExecContext(t.Context(), "DELETE FROM units WHERE id = 'none'"); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, name := range []string{"guichet.db", "guichet.db-wal", "guichet.db-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, name, m)
			}
		}
	}
	check("new store")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A database file an earlier version left 0644.
	old := filepath.Join(t.TempDir(), "guichet.db")
	s, err = Open(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Dir(old)
	s, err = Open(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("reopened")
}

func BenchmarkMatch(b *testing.B) {
	storetest.BenchMatch(b, 50_000, func(b *testing.B) storetest.SyntheticStore { return open(b) })
}

func TestAlertContract(t *testing.T) {
	storetest.RunAlert(t, func(t *testing.T) storetest.AlertStore { return open(t) })
}

func TestBulletinContract(t *testing.T) {
	storetest.RunBulletin(t, func(t *testing.T) storetest.BulletinStore { return open(t) })
}
