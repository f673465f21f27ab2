package uuid7

import (
	"testing"
	"time"
)

func TestOrderedAndVersioned(t *testing.T) {
	fixed := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	g := New(func() time.Time { return fixed }, nil)
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := g.New()
		if len(id) != 36 || id[14] != '7' {
			t.Fatalf("not a v7 UUID: %q", id)
		}
		if c := id[19]; c != '8' && c != '9' && c != 'a' && c != 'b' {
			t.Fatalf("bad variant: %q", id)
		}
		if id <= prev {
			t.Fatalf("not increasing: %q after %q", id, prev)
		}
		if seen[id] {
			t.Fatalf("duplicate %q", id)
		}
		seen[id] = true
		prev = id
	}
}
