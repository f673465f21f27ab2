// Package stats publishes live statistics of guichet's activity —
// pre-complaints, reports and silent alerts per week, category, channel
// and département — safely: no count below MinCount is ever shown, and
// cells are hidden so that no hidden count can be worked out from the
// totals (complementary suppression, see Suppress), across every table
// published together.
package stats

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
)

// The kinds of cases counted, as cases.kind holds them.
const (
	KindPreComplaint = "PP"
	KindReport       = "SG"
	KindAlert        = "AL"
)

// Kinds are the kinds counted, in the order tables show them.
var Kinds = []string{KindPreComplaint, KindReport, KindAlert}

// Row is one count of cases of a kind: per day (Day set, midnight UTC) or
// per value of a dimension (Value: a category, a channel, a postcode or a
// place).
type Row struct {
	Kind  string
	Day   time.Time
	Value string
	N     int
}

// Raw are the counts a store returns for cases submitted in [from, to).
type Raw struct {
	// Days counts cases per kind and day of submission (UTC).
	Days []Row
	// Categories counts cases per kind and category.
	Categories []Row
	// Channels counts reports per channel of their first value ("" for
	// a report without one).
	Channels []Row
	// Places counts reports per place (report.Place: a département,
	// "abroad" or ""), and pre-complaints and alerts per postcode of the
	// unit they went to ("" without one); Kind tells which.
	Places []Row
}

// Store is what the statistics need from storage.
type Store interface {
	// StatsCounts counts the cases of Kinds submitted in [from, to). It
	// MUST read no personal data, and SHOULD take well under a second
	// over a year of a million cases.
	StatsCounts(ctx context.Context, from, to time.Time) (Raw, error)
}

// Weeks is how many weeks the statistics cover (the current one last).
const Weeks = 52

// Published is one consistent set of published tables.
type Published struct {
	// From and To bound the weeks covered; At is when it was computed.
	From, To, At time.Time
	// Weeks: rows are the weeks (Monday, UTC), columns Kinds.
	Weeks Table
	// WeekStarts are the weeks' Mondays, one per row of Weeks.
	WeekStarts []time.Time
	// Places: rows are the départements, then "abroad", then "" (not
	// said); columns Kinds.
	Places Table
	// Categories holds one list per kind (rows its categories).
	Categories map[string]Table
	// Channels: reports per channel of their first value ("" none).
	Channels Table
	// Trends per kind: the last four full weeks against the four
	// before, when all eight are shown.
	Trends map[string]Trend
}

// Trend compares two periods of four weeks.
type Trend struct {
	Known          bool // false when a week of either period is hidden
	Recent, Before int
}

// Change is the relative change from Before to Recent (0.25 for +25 %).
func (t Trend) Change() float64 {
	if t.Before == 0 {
		return 0
	}
	return float64(t.Recent-t.Before) / float64(t.Before)
}

// Deps are what a Service is built from.
type Deps struct {
	Store Store         // required
	Clock guichet.Clock // nil: the system clock
	// TTL is how long a computed set of tables is served before it is
	// recomputed (default 5 min).
	TTL time.Duration
	// Logger receives the failures of background refreshes; nil
	// discards them.
	Logger *slog.Logger
}

// Service computes and caches the published tables. It is safe for
// concurrent use; at most one computation runs at a time.
type Service struct {
	d          Deps
	compute    sync.Mutex // held while computing
	mu         sync.Mutex // guards last and refreshing
	last       *Published
	refreshing bool
}

// New returns a Service.
func New(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	if d.TTL <= 0 {
		d.TTL = 5 * time.Minute
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

// Current returns the latest tables. The first call computes them; after
// that a call never waits: tables older than TTL are returned while one
// recomputation runs in the background (counting a year of a million
// cases takes seconds), and the next calls get the new ones.
func (s *Service) Current(ctx context.Context) (*Published, error) {
	s.mu.Lock()
	last := s.last
	if last != nil {
		now := s.d.Clock.Now()
		if (now.Sub(last.At) >= s.d.TTL || now.Before(last.At)) && !s.refreshing {
			s.refreshing = true
			go s.refresh(context.WithoutCancel(ctx))
		}
		s.mu.Unlock()
		return last, nil
	}
	s.mu.Unlock()
	s.compute.Lock()
	defer s.compute.Unlock()
	s.mu.Lock()
	last = s.last
	s.mu.Unlock()
	if last != nil { // computed while this call waited
		return last, nil
	}
	p, err := s.Compute(ctx, s.d.Clock.Now())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.last = p
	s.mu.Unlock()
	return p, nil
}

func (s *Service) refresh(ctx context.Context) {
	s.compute.Lock()
	p, err := s.Compute(ctx, s.d.Clock.Now())
	s.compute.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshing = false
	if err != nil {
		s.d.Logger.ErrorContext(ctx, "statistics: refresh failed; the previous tables stay", "err", err)
		return
	}
	s.last = p
}

// monday returns the Monday 00:00 UTC of t's week.
func monday(t time.Time) time.Time {
	t = t.UTC()
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, time.UTC)
}

// Compute counts and suppresses the tables as of now (uncached).
func (s *Service) Compute(ctx context.Context, now time.Time) (*Published, error) {
	to := monday(now).AddDate(0, 0, 7)
	from := to.AddDate(0, 0, -7*Weeks)
	raw, err := s.d.Store.StatsCounts(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return Build(raw, from, now)
}

// Build turns raw counts of the Weeks weeks from from into published
// tables.
func Build(raw Raw, from, at time.Time) (p *Published, err error) {
	p = &Published{From: from, To: from.AddDate(0, 0, 7*Weeks), At: at, Categories: map[string]Table{}, Trends: map[string]Trend{}}
	kindCol := map[string]int{}
	for j, k := range Kinds {
		kindCol[k] = j
	}
	// Weeks.
	weeks := make([]string, Weeks)
	weekBody := make([][]int, Weeks)
	for i := range Weeks {
		p.WeekStarts = append(p.WeekStarts, from.AddDate(0, 0, 7*i))
		weeks[i] = p.WeekStarts[i].Format(time.DateOnly)
		weekBody[i] = make([]int, len(Kinds))
	}
	for _, r := range raw.Days {
		j, ok := kindCol[r.Kind]
		i := int(r.Day.Sub(from) / (7 * 24 * time.Hour))
		if ok && !r.Day.Before(from) && i < Weeks {
			weekBody[i][j] += r.N
		}
	}
	// Places.
	places := []string{}
	for _, d := range report.Departements() {
		places = append(places, string(d))
	}
	places = append(places, string(report.PlaceAbroad), "")
	placeRow := map[string]int{}
	for i, pl := range places {
		placeRow[pl] = i
	}
	placeBody := make([][]int, len(places))
	for i := range placeBody {
		placeBody[i] = make([]int, len(Kinds))
	}
	for _, r := range raw.Places {
		j, ok := kindCol[r.Kind]
		if !ok {
			continue
		}
		pl := r.Value
		if r.Kind != KindReport {
			pl = report.DepartementOfPostcode(r.Value)
		}
		i, ok := placeRow[pl]
		if !ok {
			i = placeRow[""]
		}
		placeBody[i][j] += r.N
	}
	// Categories, per kind.
	catRows := map[string][]string{}
	for _, c := range complaint.Categories {
		catRows[KindPreComplaint] = append(catRows[KindPreComplaint], string(c))
	}
	for _, c := range report.Categories {
		catRows[KindReport] = append(catRows[KindReport], string(c))
	}
	for _, c := range alert.Types {
		catRows[KindAlert] = append(catRows[KindAlert], string(c))
	}
	catBody := map[string][][]int{}
	for _, k := range Kinds {
		if !slices.Contains(catRows[k], "other") {
			catRows[k] = append(catRows[k], "other")
		}
		catBody[k] = make([][]int, len(catRows[k]))
		for i := range catBody[k] {
			catBody[k][i] = []int{0}
		}
	}
	for _, r := range raw.Categories {
		rows, ok := catRows[r.Kind]
		if !ok {
			continue
		}
		i := slices.Index(rows, r.Value)
		if i < 0 {
			i = len(rows) - 1
		}
		catBody[r.Kind][i][0] += r.N
	}
	// Channels of reports.
	chans := append(slices.Clone(report.Channels), "")
	chanBody := make([][]int, len(chans))
	for i := range chanBody {
		chanBody[i] = []int{0}
	}
	for _, r := range raw.Channels {
		i := slices.Index(chans, r.Value)
		if i < 0 {
			i = len(chans) - 1
		}
		chanBody[i][0] += r.N
	}

	// Suppress every table, hiding in each the margins any other hides:
	// the kinds' totals (each table's column or grand total) and the
	// grand total of all kinds are the same numbers everywhere.
	hiddenKind := map[string]bool{}
	hiddenAll := false
	for range len(Kinds) + 2 {
		force := map[string]bool{"total": hiddenAll}
		for j, k := range Kinds {
			force[fmt.Sprint("col:", j)] = hiddenKind[k]
		}
		if p.Weeks, err = Suppress(weeks, Kinds, weekBody, force); err != nil {
			return nil, err
		}
		if p.Places, err = Suppress(places, Kinds, placeBody, force); err != nil {
			return nil, err
		}
		for _, k := range Kinds {
			if p.Categories[k], err = Suppress(catRows[k], []string{k}, catBody[k], map[string]bool{"total": hiddenKind[k], "col:0": hiddenKind[k]}); err != nil {
				return nil, err
			}
		}
		if p.Channels, err = Suppress(chans, []string{KindReport}, chanBody, map[string]bool{"total": hiddenKind[KindReport], "col:0": hiddenKind[KindReport]}); err != nil {
			return nil, err
		}
		changed := false
		for j, k := range Kinds {
			h := p.Weeks.ColTotals[j].Hidden != Shown || p.Places.ColTotals[j].Hidden != Shown || p.Categories[k].Total.Hidden != Shown ||
				(k == KindReport && p.Channels.Total.Hidden != Shown)
			if h && !hiddenKind[k] {
				hiddenKind[k], changed = true, true
			}
		}
		if h := p.Weeks.Total.Hidden != Shown || p.Places.Total.Hidden != Shown; h && !hiddenAll {
			hiddenAll, changed = true, true
		}
		if !changed {
			break
		}
	}
	// Trends from shown weeks only: the current week is partial, so the
	// last four full weeks are the four before it.
	for j, k := range Kinds {
		var t Trend
		t.Known = true
		for i := Weeks - 9; i < Weeks-1; i++ {
			c := p.Weeks.Cells[i][j]
			if c.Hidden != Shown {
				t.Known = false
				break
			}
			if i >= Weeks-5 {
				t.Recent += c.Value
			} else {
				t.Before += c.Value
			}
		}
		if !t.Known {
			t = Trend{}
		}
		p.Trends[k] = t
	}
	return p, nil
}
