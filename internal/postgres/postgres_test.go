package postgres

import (
	"sync"
	"testing"

	"github.com/guichet/guichet/internal/postgres/pgtest"
	"github.com/guichet/guichet/internal/storetest"
)

// freshDatabase creates an empty database on the test server, dropped when
// tb ends, and returns its URL.
func freshDatabase(tb testing.TB) string { return pgtest.Database(tb, "guichet_test") }

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

func TestHubContract(t *testing.T) {
	storetest.RunHub(t, func(t *testing.T) storetest.HubStore { return open(t) })
}

func TestAccountContract(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return open(t) })
}

func TestHubAcrossNodes(t *testing.T) {
	storetest.RunHubNodes(t, func(t *testing.T) (a, b storetest.NodeStore) {
		url := freshDatabase(t)
		sa, err := Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sa.Close() })
		sb, err := Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sb.Close() })
		return sa, sb
	})
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
