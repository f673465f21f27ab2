package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// testRules: a store starts with the default routing rules; a save adds a
// version and keeps the old one; saving from a stale version, or a new
// rule under a used ID, is refused.
func testRules(t *testing.T, f *fixture) {
	ctx := f.ctx()
	rules, err := f.s.Rules(ctx)
	ok(t, err)
	if len(rules) == 0 {
		t.Fatal("no default routing rule")
	}
	for _, r := range rules {
		if r.Version != 1 || !r.Active || len(r.Services) == 0 || r.WhyFR == "" || r.WhyEN == "" {
			t.Errorf("default rule %+v", r)
		}
	}
	nr := report.Rule{ID: "r-test", Version: 1, Name: "Test", Active: true, Categories: []report.Category{report.CatSpam},
		Kinds: []string{"email"}, Domains: []string{"example.fr"}, Services: []string{report.SvcSpam},
		WhyFR: "pourquoi", WhyEN: "why", Author: "S1", SavedAt: f.now}
	ok(t, f.s.SaveRule(ctx, nr))
	is(t, f.s.SaveRule(ctx, nr), guichet.ErrConflict)
	v2 := nr
	v2.Version, v2.Active, v2.Services, v2.SavedAt = 2, false, []string{report.SvcSpam, report.SvcCyber}, f.now.Add(time.Hour)
	ok(t, f.s.SaveRule(ctx, v2))
	stale := nr
	stale.Version = 2
	is(t, f.s.SaveRule(ctx, stale), guichet.ErrConflict)
	skip := nr
	skip.Version = 4
	is(t, f.s.SaveRule(ctx, skip), guichet.ErrConflict)

	rules2, err := f.s.Rules(ctx)
	ok(t, err)
	if len(rules2) != len(rules)+1 {
		t.Fatalf("%d rules after adding one to %d", len(rules2), len(rules))
	}
	for _, r := range rules2 {
		if r.ID == v2.ID {
			same(t, "the latest version listed", r, v2)
		}
	}
	vs, err := f.s.RuleVersions(ctx, "r-test")
	ok(t, err)
	same(t, "versions", vs, []report.Rule{nr, v2})
	_, err = f.s.RuleVersions(ctx, "no-such-rule")
	is(t, err, guichet.ErrNotFound)
}

// testReportRoutes: routes written with the report, replaced by a guarded
// change with its events; the queue by priority; search by key; recent
// reports for a dry run.
func testReportRoutes(t *testing.T, f *fixture) {
	ctx := f.ctx()
	at := f.now
	sent := report.Route{Service: report.SvcCyber, Status: report.RouteSent, RuleID: "r-scams", RuleVersion: 1,
		WhyFR: "fr", WhyEN: "en", By: "system", At: at}
	spam := sent
	spam.Service, spam.RuleID = report.SvcSpam, "r-spam"
	a := f.reportSubmission(report.LaneNormal, seenURL("http://bit.ly/x"))
	a.Case.Status, a.Routes = casefile.StatusReferred, []report.Route{spam, sent}
	ok(t, f.s.SubmitReport(ctx, a))
	routes, err := f.s.ReportRoutes(ctx, a.Case.ID)
	ok(t, err)
	same(t, "routes, in service order", routes, []report.Route{sent, spam})

	// A wrong status guard writes nothing.
	done := sent
	done.Status, done.Outcome, done.By, done.At = report.RouteDone, report.OutcomeSiteBlocked, "agent:A1", at.Add(time.Hour)
	ev := f.event(a.Case.ID, "report.outcome", at.Add(time.Hour), map[string]string{"service": "cyber", "outcome": "site_blocked"})
	before := len(f.pending())
	is(t, f.s.ChangeRoutes(ctx, report.RouteChange{CaseID: a.Case.ID, Allowed: []casefile.Status{casefile.StatusSubmitted},
		Status: casefile.StatusClosed, Routes: []report.Route{done}, At: done.At, Events: []casefile.Event{ev}}), guichet.ErrConflict)
	routes, err = f.s.ReportRoutes(ctx, a.Case.ID)
	ok(t, err)
	same(t, "routes after a refused change", routes, []report.Route{sent, spam})
	if n := len(f.pending()); n != before {
		t.Errorf("a refused change wrote %d outbox rows", n-before)
	}
	ok(t, f.s.ChangeRoutes(ctx, report.RouteChange{CaseID: a.Case.ID, Allowed: []casefile.Status{casefile.StatusReferred},
		Status: casefile.StatusClosed, Routes: []report.Route{done}, At: done.At, Events: []casefile.Event{ev}}))
	routes, err = f.s.ReportRoutes(ctx, a.Case.ID)
	ok(t, err)
	same(t, "routes after the outcome", routes, []report.Route{done, spam})
	c, _, err := f.s.CaseByRef(ctx, a.Case.Ref)
	ok(t, err)
	if c.Status != casefile.StatusClosed || !c.UpdatedAt.Equal(done.At) {
		t.Errorf("case after the change: %s at %s", c.Status, c.UpdatedAt)
	}
	f.checkLeaves(f.pending(), a.Secrets.LedgerSalt, a.Case.Ref, append(a.Events, ev))

	// The queue: by the priority given, then oldest first.
	old := f.reportSubmission(report.LaneReview, seenURL("http://bit.ly/x"))
	old.Case.Category, old.Case.SubmittedAt = "spam", at.Add(-2*time.Hour)
	urgent := f.reportSubmission(report.LaneNormal)
	urgent.Case.Category, urgent.Case.SubmittedAt = "child_abuse", at.Add(time.Minute)
	for _, s := range []report.Submission{old, urgent} {
		ok(t, f.s.SubmitReport(ctx, s))
	}
	q, err := f.s.ReportQueue(ctx, report.QueueQuery{Statuses: []casefile.Status{casefile.StatusSubmitted},
		Priority: map[report.Category]int{"child_abuse": 0, "spam": 3}, Limit: 10})
	ok(t, err)
	if len(q) != 2 || q[0].Case.Ref != urgent.Case.Ref || q[1].Case.Ref != old.Case.Ref {
		t.Fatalf("queue %+v", q)
	}
	if q[1].Lane != report.LaneReview || q[1].Seen != 1 || q[1].Links != 1 || q[0].Seen != 0 {
		t.Errorf("queue rows: %+v", q)
	}
	q, err = f.s.ReportQueue(ctx, report.QueueQuery{Lane: report.LaneReview, Limit: 10})
	ok(t, err)
	if len(q) != 1 || q[0].Case.Ref != old.Case.Ref {
		t.Errorf("review lane: %+v", q)
	}
	_, err = f.s.ReportQueue(ctx, report.QueueQuery{})
	is(t, err, guichet.ErrInvalid)

	w, err := f.s.ReportsWithKey(ctx, "url:http://bit.ly/x", 10)
	ok(t, err)
	if len(w) != 2 || w[0].Case.Ref != a.Case.Ref || w[1].Case.Ref != old.Case.Ref {
		t.Errorf("reports with the key: %+v", w)
	}
	recent, err := f.s.RecentReports(ctx, at.Add(-time.Hour), 10)
	ok(t, err)
	if len(recent) != 2 || recent[0].Ref != urgent.Case.Ref || recent[1].Ref != a.Case.Ref || len(recent[1].Routes) != 2 || len(recent[1].Seen) != 1 {
		t.Errorf("recent reports: %+v", recent)
	}
}
