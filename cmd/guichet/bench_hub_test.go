package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/postgres/pgtest"
)

// TestBenchHub runs the hub benchmark briefly: it fails by itself when a
// commit is not delivered to the in-process subscriber, and on PostgreSQL
// it must also report node B's deliveries.
func TestBenchHub(t *testing.T) {
	args := []string{"bench", "hub", "--rate", "200", "--duration", "300ms"}
	want := []string{"floor: write", "in process: start → subscriber"}
	t.Run("postgres", func(t *testing.T) {
		var out, errb bytes.Buffer
		if err := run(t.Context(), append(args, "--database", pgtest.Database(t, "guichet_bench")), os.Getenv, strings.NewReader(""), &out, &errb); err != nil {
			t.Fatalf("bench hub: %v\n%s", err, errb.String())
		}
		for _, w := range append(want, "node A → node B") {
			if !strings.Contains(out.String(), w) || strings.Contains(out.String(), "none delivered") {
				t.Errorf("output lacks %q:\n%s", w, out.String())
			}
		}
	})
	var out, errb bytes.Buffer
	if err := run(t.Context(), args, os.Getenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("bench hub: %v\n%s", err, errb.String())
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestBenchIntakeNodesNeedsSharedParts: several nodes need PostgreSQL and a
// shared log bucket, and say so instead of measuring something else.
func TestBenchIntakeNodesNeedsSharedParts(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "intake", "--nodes", "2"},
		{"bench", "intake", "--nodes", "2", "--database", "postgres://nowhere/db"},
	} {
		var out, errb bytes.Buffer
		err := run(t.Context(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "--nodes: needs") {
			t.Errorf("%v: %v, want a usage error naming what is missing", args, err)
		}
	}
}
