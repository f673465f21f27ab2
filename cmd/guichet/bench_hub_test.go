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
