package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/stats"
)

// testStatsCounts: the statistics count the cases submitted in the range
// per kind and day, category, first channel (reports) and place (a
// report's département, the postcode of a pre-complaint's unit); cases
// outside the range are not counted.
func testStatsCounts(t *testing.T, f *fixture) {
	ctx := f.ctx()
	day := f.now.Truncate(24 * time.Hour)
	for i := range 3 {
		d := f.newDraft(f.now.Add(time.Hour))
		s := f.submission(d.ID, "")
		s.Case.SubmittedAt = f.now.Add(time.Duration(i) * time.Minute)
		ok(t, f.s.SubmitCase(ctx, s))
	}
	file := func(at time.Time, cat report.Category, place report.Place, seen ...report.Seen) {
		sub := f.reportSubmission(report.LaneNormal, seen...)
		sub.Case.SubmittedAt, sub.Case.Category, sub.Place = at, string(cat), place
		ok(t, f.s.SubmitReport(ctx, sub))
	}
	file(f.now, report.CatPhishing, "69", seenURL("http://a.example/"))
	file(f.now.Add(-24*time.Hour), report.CatPhishing, "69", seenURL("http://b.example/"))
	fs := seenURL("http://shop.example/")
	fs.Channel = "url"
	file(f.now, report.CatFakeShop, "", fs)
	file(f.now.AddDate(0, 0, -30), report.CatPhishing, "75", seenURL("http://old.example/")) // out of range

	raw, err := f.s.StatsCounts(ctx, day.AddDate(0, 0, -7), day.AddDate(0, 0, 1))
	ok(t, err)
	sum := func(rows []stats.Row) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			k := r.Kind + "/" + r.Value
			if !r.Day.IsZero() {
				k += r.Day.Format(time.DateOnly)
			}
			m[k] += r.N
		}
		return m
	}
	want := map[string]map[string]int{
		"days": {"PP/" + day.Format(time.DateOnly): 3, "SG/" + day.Format(time.DateOnly): 2,
			"SG/" + day.AddDate(0, 0, -1).Format(time.DateOnly): 1},
		"categories": {"PP/theft": 3, "SG/phishing": 2, "SG/fake_shop": 1},
		"channels":   {"SG/sms": 2, "SG/url": 1},
		"places":     {"PP/69008": 3, "SG/69": 2, "SG/": 1},
	}
	for name, rows := range map[string][]stats.Row{"days": raw.Days, "categories": raw.Categories, "channels": raw.Channels, "places": raw.Places} {
		got := sum(rows)
		if len(got) != len(want[name]) {
			t.Errorf("%s: %v, want %v", name, got, want[name])
			continue
		}
		for k, n := range want[name] {
			if got[k] != n {
				t.Errorf("%s: %v, want %v", name, got, want[name])
				break
			}
		}
	}
	empty, err := f.s.StatsCounts(ctx, day.AddDate(1, 0, 0), day.AddDate(1, 0, 7))
	ok(t, err)
	if len(empty.Days)+len(empty.Categories)+len(empty.Channels)+len(empty.Places) != 0 {
		t.Errorf("an empty range counts %+v", empty)
	}
}
