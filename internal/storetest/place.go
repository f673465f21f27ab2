package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// testReportPlace: a report's place (a département, abroad, or none) is
// stored with it and read back, also by a dry run's RecentReports; a
// place finer than a département or otherwise invalid is refused with
// guichet.ErrInvalid and writes nothing.
func testReportPlace(t *testing.T, f *fixture) {
	ctx := f.ctx()
	places := []report.Place{"69", "2A", "974", report.PlaceAbroad, ""}
	refs := map[string]report.Place{}
	for i, p := range places {
		sub := f.reportSubmission(report.LaneNormal, seenURL("http://place.example/"))
		sub.Place = p
		sub.Case.SubmittedAt = f.now.Add(time.Duration(i) * time.Minute)
		ok(t, f.s.SubmitReport(ctx, sub))
		got, err := f.s.ReportPlace(ctx, sub.Case.ID)
		ok(t, err)
		if got != p {
			t.Errorf("place %q stored as %q", p, got)
		}
		refs[sub.Case.Ref] = p
	}
	recent, err := f.s.RecentReports(ctx, f.now.Add(-time.Second), 100)
	ok(t, err)
	found := 0
	for _, r := range recent {
		if p, ok := refs[r.Ref]; ok {
			found++
			if r.Place != p {
				t.Errorf("recent report %s: place %q, want %q", r.Ref, r.Place, p)
			}
		}
	}
	if found != len(places) {
		t.Errorf("%d of %d reports with a place among the recent ones", found, len(places))
	}
	for _, bad := range []report.Place{"69003", "20", "99", "Rhône", "ABROAD"} {
		sub := f.reportSubmission(report.LaneNormal)
		sub.Place = bad
		is(t, f.s.SubmitReport(ctx, sub), guichet.ErrInvalid)
		_, err := f.s.ReportLane(ctx, sub.Case.ID)
		is(t, err, guichet.ErrNotFound)
	}
	_, err = f.s.ReportPlace(ctx, "no-such-report")
	is(t, err, guichet.ErrNotFound)
}

// testRulePlaces: the default rules include one with a place condition;
// a rule's places are stored with its version; rules stored before
// places existed read as having none.
func testRulePlaces(t *testing.T, f *fixture) {
	ctx := f.ctx()
	rules, err := f.s.Rules(ctx)
	ok(t, err)
	i := slices.IndexFunc(rules, func(r report.Rule) bool { return r.ID == "r-abroad" })
	if i < 0 {
		t.Fatal("no default rule r-abroad")
	}
	if !slices.Equal(rules[i].Places, []string{report.PlaceTokenForeign}) || !slices.Equal(rules[i].Services, []string{report.SvcInterpol}) {
		t.Errorf("r-abroad: %+v", rules[i])
	}
	for _, r := range rules {
		if r.ID == "r-minors" && r.Places != nil {
			t.Errorf("an old rule reads with places %q", r.Places)
		}
	}
	nr := report.Rule{ID: "r-place", Version: 1, Name: "Rhône", Active: true, Places: []string{"69", "2A", "BE", "abroad"},
		Categories: []report.Category{}, Kinds: []string{}, Domains: []string{},
		Services: []string{report.SvcLocal}, WhyFR: "pourquoi", WhyEN: "why", Author: "S1", SavedAt: f.now}
	ok(t, f.s.SaveRule(ctx, nr))
	v2 := nr
	v2.Version, v2.Places, v2.SavedAt = 2, nil, f.now.Add(time.Hour)
	ok(t, f.s.SaveRule(ctx, v2))
	vs, err := f.s.RuleVersions(ctx, "r-place")
	ok(t, err)
	same(t, "versions with and without places", vs, []report.Rule{nr, v2})
}
