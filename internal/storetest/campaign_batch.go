package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// testCampaignBatch: a campaign is read in batches in submission order
// (then by ID for reports of the same instant), each report once, with
// its status, routes and distinct valid keys; its reports list where they
// went; its tally counts reports per UTC day and per service routed to.
func testCampaignBatch(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const (
		phone = "phone:+33612345678"
		url   = "url:http://colis-b.example/"
	)
	day := time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC)
	sent := report.Route{Service: report.SvcCyber, Status: report.RouteSent, RuleID: "r", RuleVersion: 1,
		WhyFR: "fr", WhyEN: "en", By: "system", At: day}
	spam := sent
	spam.Service = report.SvcSpam
	withdrawn := sent
	withdrawn.Service, withdrawn.Status = report.SvcLocal, report.RouteWithdrawn

	file := func(at time.Time, routes []report.Route, keys ...string) report.Submission {
		seen := make([]report.Seen, 0, len(keys)+1)
		for _, k := range keys {
			seen = append(seen, seenKey(k))
		}
		// The same value twice, and an unreadable one: keys are distinct
		// and valid.
		if len(keys) > 0 {
			seen = append(seen, seenKey(keys[0]))
		}
		seen = append(seen, report.Seen{Channel: "phone", Kind: "phone", Input: "12", Reason: "phone.short"})
		sub := f.reportSubmission(report.LaneNormal, seen...)
		sub.Case.SubmittedAt, sub.Routes = at, routes
		if len(routes) > 0 {
			sub.Case.Status = casefile.StatusReferred
		}
		ok(t, f.s.SubmitReport(ctx, sub))
		return sub
	}
	a := file(day, []report.Route{spam, sent, withdrawn}, url, phone)
	b := file(day.Add(time.Hour), nil, phone)
	c := file(day.Add(time.Hour), []report.Route{sent}, phone)
	d := file(day.Add(-time.Hour), nil, url)
	other := file(day, nil, "phone:+33699999999")
	camp := f.campaignOf(a.Case.ID)
	same(t, "reports in the campaign", camp.Reports, 4)

	// Order: d, a, then b and c (the same instant) by ID.
	tie := []report.Submission{b, c}
	if c.Case.ID < b.Case.ID {
		tie = []report.Submission{c, b}
	}
	want := append([]report.Submission{d, a}, tie...)
	var got []report.BatchReport
	var cur report.BatchCursor
	for range 10 {
		batch, err := f.s.CampaignBatch(ctx, camp.ID, cur, 3)
		ok(t, err)
		if len(batch) == 0 {
			break
		}
		if len(batch) > 3 {
			t.Fatalf("a batch of %d, limit 3", len(batch))
		}
		got = append(got, batch...)
		cur = batch[len(batch)-1].Cursor()
	}
	if len(got) != len(want) {
		t.Fatalf("read %d reports in batches, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.CaseID != w.Case.ID || g.Ref != w.Case.Ref || g.Status != w.Case.Status || !g.SubmittedAt.Equal(w.Case.SubmittedAt) {
			t.Errorf("batch report %d: %+v, want %s (%s)", i, g, w.Case.Ref, w.Case.Status)
		}
		if g.CaseID == other.Case.ID {
			t.Errorf("a report of another campaign was read")
		}
	}
	same(t, "a's keys", got[1].Keys, []string{phone, url})
	same(t, "d's keys", got[0].Keys, []string{url})
	same(t, "d's routes", got[0].Routes, []report.Route{})
	same(t, "a's routes, in service order", got[1].Routes, []report.Route{sent, withdrawn, spam})

	empty, err := f.s.CampaignBatch(ctx, camp.ID, got[len(got)-1].Cursor(), 3)
	ok(t, err)
	same(t, "after the last", empty, []report.BatchReport{})
	_, err = f.s.CampaignBatch(ctx, camp.ID, report.BatchCursor{}, 0)
	is(t, err, guichet.ErrInvalid)

	reps, err := f.s.CampaignReports(ctx, camp.ID, 10)
	ok(t, err)
	svcs := map[string][]string{}
	for _, r := range reps {
		svcs[r.Ref] = r.Services
	}
	same(t, "where the reports went", svcs, map[string][]string{
		a.Case.Ref: {report.SvcCyber, report.SvcSpam}, b.Case.Ref: {}, c.Case.Ref: {report.SvcCyber}, d.Case.Ref: {}})

	tally, err := f.s.CampaignTally(ctx, camp.ID)
	ok(t, err)
	same(t, "reports per day", tally.Days, []report.DayCount{
		{Day: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), Reports: 2},
		{Day: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), Reports: 2}})
	same(t, "reports per service", tally.Services, []report.Count{{Value: report.SvcCyber, Reports: 2}, {Value: report.SvcSpam, Reports: 1}})
}
