// Package pgtest gives tests a throwaway PostgreSQL database on the server
// named by GUICHET_TEST_POSTGRES (scripts/pg-test-cluster.sh starts one).
// Without it a test is skipped, or fails when GUICHET_REQUIRE_POSTGRES=1
// (as in CI), so that a missing server never passes silently there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ServerURL returns the URL of the test server, or skips (fails in CI).
func ServerURL(tb testing.TB) string {
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

// Database creates an empty database named prefix_<random> on the test
// server, dropped (forcibly) when tb ends, and returns its URL.
func Database(tb testing.TB, prefix string) string {
	tb.Helper()
	base := ServerURL(tb)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
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
