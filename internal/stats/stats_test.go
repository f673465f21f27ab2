package stats

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/report"
)

// gridOf rebuilds the audit's view of a published table.
func gridOf(t Table) *grid {
	body := make([][]int, len(t.Rows))
	for i := range t.Rows {
		for _, c := range t.Cells[i] {
			body[i] = append(body[i], c.Value)
		}
	}
	g := newGrid(body, len(t.Cols))
	for i := range t.Rows {
		for j, c := range t.Cells[i] {
			g.h[i][j] = c.Hidden
		}
		g.h[i][g.c] = t.RowTotals[i].Hidden
	}
	for j, c := range t.ColTotals {
		g.h[g.r][j] = c.Hidden
	}
	g.h[g.r][g.c] = t.Total.Hidden
	return g
}

func randomRaw(r *rand.Rand, from time.Time, scale int) Raw {
	var raw Raw
	deps := report.Departements()
	for _, k := range Kinds {
		n := r.IntN(scale)
		if k == KindAlert {
			n /= 20
		}
		for range n {
			day := from.AddDate(0, 0, r.IntN(7*Weeks))
			raw.Days = append(raw.Days, Row{Kind: k, Day: day, N: 1})
			cat := map[string][]string{KindPreComplaint: {"theft", "fraud", "burglary"}, KindReport: {"phishing", "fake_shop", "hate"}, KindAlert: {"assault", "other"}}[k]
			raw.Categories = append(raw.Categories, Row{Kind: k, Value: cat[r.IntN(len(cat))], N: 1})
			if k == KindReport {
				raw.Channels = append(raw.Channels, Row{Kind: k, Value: report.Channels[r.IntN(3)], N: 1})
				raw.Places = append(raw.Places, Row{Kind: k, Value: string(deps[r.IntN(12)]), N: 1})
			} else {
				raw.Places = append(raw.Places, Row{Kind: k, Value: []string{"69008", "75005", "13001", ""}[r.IntN(4)], N: 1})
			}
		}
	}
	return raw
}

// TestPublishedNothingDerivable: over random activity, from a quiet
// instance to a busy one, no published table shows a count below 5, no
// hidden cell of any table can be worked out from what the table shows
// (every one has an alternative table, verified), and the totals the
// tables share are hidden in all of them or in none.
func TestPublishedNothingDerivable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	from := time.Date(2025, 12, 8, 0, 0, 0, 0, time.UTC)
	for n, scale := range []int{3, 12, 40, 150, 600, 3000} {
		p, err := Build(randomRaw(r, from, scale), from, from.AddDate(1, 0, 0))
		if err != nil {
			t.Fatalf("scale %d: %v", scale, err)
		}
		tables := map[string]Table{"weeks": p.Weeks, "places": p.Places, "channels": p.Channels}
		for k, c := range p.Categories {
			tables["categories "+k] = c
		}
		for name, tab := range tables {
			g := gridOf(tab)
			for i := range g.r + 1 {
				for j := range g.c + 1 {
					if g.h[i][j] == Shown && g.v[i][j] < MinCount {
						t.Errorf("%d: %s shows %d at %d,%d", n, name, g.v[i][j], i, j)
					}
				}
			}
			if bad := g.derivable(); len(bad) > 0 {
				t.Errorf("%d: %s: cells %v derivable", n, name, bad)
			}
		}
		for j, k := range Kinds {
			hw, hp, hc := p.Weeks.ColTotals[j].Hidden != Shown, p.Places.ColTotals[j].Hidden != Shown, p.Categories[k].Total.Hidden != Shown
			if hw != hp || hw != hc || (k == KindReport && hw != (p.Channels.Total.Hidden != Shown)) {
				t.Errorf("%d: the total of %s is hidden in some tables only (weeks %v, places %v, categories %v)", n, k, hw, hp, hc)
			}
			if !hw && (p.Weeks.ColTotals[j].Value != p.Places.ColTotals[j].Value || p.Weeks.ColTotals[j].Value != p.Categories[k].Total.Value) {
				t.Errorf("%d: the totals of %s differ between tables", n, k)
			}
		}
		if (p.Weeks.Total.Hidden != Shown) != (p.Places.Total.Hidden != Shown) {
			t.Errorf("%d: the grand total is hidden in one table only", n)
		}
	}
}

type rawStore struct {
	mu    sync.Mutex
	raw   Raw
	calls int
}

func (s *rawStore) StatsCounts(context.Context, time.Time, time.Time) (Raw, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.raw, nil
}

func (s *rawStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// TestCurrentCached: the tables are computed once per TTL.
func TestCurrentCached(t *testing.T) {
	st := &rawStore{}
	c := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	s := New(Deps{Store: st, Clock: c, TTL: 5 * time.Minute})
	for range 3 {
		if _, err := s.Current(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := s.Current(t.Context())
	c.mu.Lock()
	c.t = c.t.Add(6 * time.Minute)
	c.mu.Unlock()
	// Stale: served at once, recomputed in the background.
	if p, err := s.Current(t.Context()); err != nil || p != first {
		t.Fatalf("stale tables not served at once: %v", err)
	}
	var p *Published
	for range 200 {
		var err error
		if p, err = s.Current(t.Context()); err != nil {
			t.Fatal(err)
		}
		if p != first {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p == first || st.count() != 2 {
		t.Errorf("%d computations, want 2 (new tables: %v)", st.count(), p != first)
	}
	if !p.To.After(c.Now()) || p.To.Sub(p.From) != Weeks*7*24*time.Hour || p.From.Weekday() != time.Monday {
		t.Errorf("weeks from %v to %v at %v", p.From, p.To, c.t)
	}
}
