package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/storetest"
)

// serverURL returns the URL of the test server from GUICHET_TEST_POSTGRES.
// Without it the test is skipped, or fails when GUICHET_REQUIRE_POSTGRES=1
// (CI), so that a missing server never passes silently there.
func serverURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("GUICHET_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("GUICHET_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("GUICHET_REQUIRE_POSTGRES=1 but GUICHET_TEST_POSTGRES is not set (see scripts/pg-test-cluster.sh)")
		}
		tb.Skip("GUICHET_TEST_POSTGRES is not set (see scripts/pg-test-cluster.sh)")
	}
	return u
}

// freshDatabase creates an empty database on the test server, dropped when
// tb ends, and returns its URL.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	base := serverURL(tb)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "guichet_test_" + hex.EncodeToString(b[:])
	admin := func(sql string) error {
		ctx := context.Background() // also at cleanup, when tb's context is done
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if err := admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("GUICHET_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// open opens a store on a fresh database, closed when tb ends.
func open(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), freshDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

func TestCaseworkContract(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) storetest.CaseworkStore { return open(t) })
}

// TestMigrateConcurrently starts several nodes on one new database at once:
// each must come up, and the migrations must be applied once.
func TestMigrateConcurrently(t *testing.T) {
	dbURL := freshDatabase(t)
	const nodes = 4
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), dbURL) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want, _ := loadMigrations(); n != len(want) {
		t.Errorf("schema_migrations holds %d rows, want %d", n, len(want))
	}

	// A database migrated by a newer binary is refused.
	if _, err := stores[0].pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), dbURL); err == nil {
		s.Close()
		t.Error("a database at a newer version was opened")
	}
}

func BenchmarkSubmitCase(b *testing.B) {
	storetest.BenchSubmitCase(b, func(b *testing.B) storetest.Store { return open(b) })
}

func TestNotifyContract(t *testing.T) {
	storetest.RunNotify(t, func(t *testing.T) storetest.NotifyStore { return open(t) })
}

func TestAccountContract(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return open(t) })
}
