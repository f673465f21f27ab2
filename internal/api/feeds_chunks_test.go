package api

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/intake"
)

// TestMboxChunks: the runs of messages mboxChunks cuts, read one after
// the other, give what the mbox reader gives of the whole — the same
// messages, in order, with the same outcome — whatever the number of runs.
func TestMboxChunks(t *testing.T) {
	c := intake.Campaign{Subject: "%s, votre colis est bloqué", Link: "https://colis.example/p", Phone: "01 23 45 67 89",
		From: "Colis <suivi@colis.example>", Start: time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	for i := range 40 {
		switch i % 5 {
		case 1: // CRLF, and a "From " line in a body, not after a blank line
			fmt.Fprintf(&b, "From fbl@example.org Fri Mar 13 10:00:00 2026\r\n%s\r\n", strings.ReplaceAll(strings.Replace(c.Copy(i), "Bonjour", "Hello\nFrom the team,", 1), "\n", "\r\n"))
		case 2: // not a report
			fmt.Fprintf(&b, "From x@example.org Fri Mar 13 10:00:00 2026\nSubject: hi\n\n>From here on\n%s\n\n", strings.Repeat("y", 70<<10))
		default:
			if err := c.WriteMbox(&b, i, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	body := b.Bytes()
	outcome := func(rs []intake.ARFResult) string {
		var s []string
		for _, r := range rs {
			if r.Err != nil {
				s = append(s, "refused:"+r.Err.Error())
			} else {
				s = append(s, "ok:"+r.Item.ContentKey+":"+r.Item.Input.Description)
			}
		}
		return strings.Join(s, "\n")
	}
	now := c.Start.Add(48 * time.Hour)
	whole := intake.ReadARF(arf.Options{}, bytes.NewReader(body), now)
	if len(whole) != 40 {
		t.Fatalf("the reader found %d messages, want 40", len(whole))
	}
	for _, n := range []int{1, 2, 3, 7, 64} {
		chunks, count := mboxChunks(body, n)
		if count != 40 || len(chunks) > n || len(chunks) == 0 {
			t.Errorf("n=%d: %d chunks, %d messages counted", n, len(chunks), count)
		}
		var got []intake.ARFResult
		for _, ch := range chunks {
			got = append(got, intake.ReadARF(arf.Options{}, bytes.NewReader(ch), now)...)
		}
		// Indexes restart in each run; the outcomes must not differ.
		if a, b := outcome(whole), outcome(got); stripIndex(a) != stripIndex(b) {
			t.Errorf("n=%d: runs give\n%.2000s\nthe whole gives\n%.2000s", n, b, a)
		}
	}
	if _, count := mboxChunks([]byte("Subject: x\n\nno From line\n"), 4); count != 1 {
		t.Errorf("a lone message counted %d", count)
	}
}

// stripIndex drops the message numbers of refusals.
func stripIndex(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "message "); i >= 0 && strings.HasPrefix(l, "refused:") {
			if j := strings.Index(l[i:], ":"); j > 0 {
				l = l[:i] + l[i+j:]
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// FuzzMboxChunks: on any body, the runs put end to end are the body, there
// are between one and n of them, every run after the first starts at a
// "From " line that follows a blank line, and at least one message is
// counted.
func FuzzMboxChunks(f *testing.F) {
	f.Add([]byte("From a@example.org Fri Mar 13 10:00:00 2026\nSubject: x\n\nbody\n\nFrom b@example.org Fri Mar 13 10:00:01 2026\nSubject: y\n\n>From z\n"), 3)
	f.Add([]byte("Subject: x\r\n\r\nFrom the team\r\n"), 2)
	f.Add([]byte(""), 1)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		n = 1 + abs(n)%64
		chunks, count := mboxChunks(body, n)
		if len(chunks) < 1 || len(chunks) > n {
			t.Fatalf("%d runs for n=%d", len(chunks), n)
		}
		if count < 1 {
			t.Fatalf("%d messages counted", count)
		}
		if got := bytes.Join(chunks, nil); !bytes.Equal(got, body) {
			t.Fatalf("runs end to end differ from the body")
		}
		off := 0
		for i, ch := range chunks {
			if i > 0 {
				if len(ch) == 0 || !bytes.HasPrefix(ch, []byte("From ")) {
					t.Fatalf("run %d does not start with a From line: %.40q", i, ch)
				}
				before, ok := bytes.CutSuffix(body[:off], []byte("\n"))
				last := before[bytes.LastIndexByte(before, '\n')+1:]
				if !ok || len(bytes.TrimRight(last, "\r")) != 0 {
					t.Fatalf("run %d does not follow a blank line: %.40q", i, body[max(0, off-40):off])
				}
			}
			off += len(ch)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
