package casework

import (
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// FuzzDecodeCursor: the queue cursor comes back from the agent's browser.
// Anything decodes to a key or to ErrInvalid, never a panic, and a key
// re-encodes to a cursor that decodes to the same key.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(QueueKey{At: time.Date(2026, 3, 12, 14, 5, 0, 0, time.UTC), ID: "01a2"}))
	f.Add(encodeCursor(QueueKey{NoAppointment: true, At: time.Unix(0, 0), ID: "x.y"}))
	f.Add("")
	f.Add("MS4xLg")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, c string) {
		k, err := decodeCursor(c)
		if err != nil {
			if !errors.Is(err, guichet.ErrInvalid) {
				t.Fatalf("decodeCursor(%q): %v, want ErrInvalid", c, err)
			}
			return
		}
		if k.ID == "" {
			t.Fatalf("decodeCursor(%q): empty ID", c)
		}
		again, err := decodeCursor(encodeCursor(*k))
		if err != nil || *again != *k {
			t.Fatalf("round trip of %+v: %+v, %v", *k, again, err)
		}
	})
}
