package report_test

import (
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// fileAt files a report of category cat holding seen, received at at.
func fileAt(t *testing.T, s *report.Service, cat report.Category, at time.Time, seen ...report.SeenInput) *report.Filed {
	t.Helper()
	f, err := s.Submit(t.Context(), report.Input{Category: cat, Seen: seen, Lane: report.LaneNormal, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func campaignRef(t *testing.T, s *report.Service, ref string) string {
	t.Helper()
	m, err := s.Matches(t.Context(), analyst, ref)
	if err != nil {
		t.Fatal(err)
	}
	return m.Campaign.Ref
}

func routeOf(t *testing.T, s *report.Service, ref, service string) (report.Route, bool) {
	t.Helper()
	v, err := s.View(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range v.Routes {
		if r.Service == service {
			return r, true
		}
	}
	return report.Route{}, false
}

func eventOf(t *testing.T, s *report.Service, ref, typ string) (casefile.Event, bool) {
	t.Helper()
	d, err := s.Report(t.Context(), analyst, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Events {
		if e.Type == typ {
			return e, true
		}
	}
	return casefile.Event{}, false
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// TestRouteCampaignAndOutcome: routing a campaign sends each of its open
// reports to the service with the reason, as one report's routing does,
// and says what it left alone; the outcome then reaches every reporter
// whose report went there.
func TestRouteCampaignAndOutcome(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	phone := report.SeenInput{Channel: "phone", Value: "01 99 00 12 34"}
	a := fileAt(t, s, report.CatPhishing, t0, phone)
	b := fileAt(t, s, report.CatPhishing, t0.Add(time.Hour), phone)
	c := fileAt(t, s, report.CatPhishing, t0.Add(2*time.Hour), phone)
	// c is dealt with and closed; b already went to the DGCCRF.
	for _, svc := range []string{report.SvcCyber, report.SvcSpam} {
		if err := s.RecordOutcome(ctx, analyst, c.Ref, svc, report.OutcomeNumberCut); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRoute(ctx, analyst, b.Ref, report.SvcDGCCRF, "vu"); err != nil {
		t.Fatal(err)
	}
	ref := campaignRef(t, s, a.Ref)

	res, err := s.RouteCampaign(ctx, analyst, ref, report.SvcDGCCRF, "  Campagne de faux colis  ")
	if err != nil {
		t.Fatal(err)
	}
	want := report.BulkResult{Campaign: ref, Read: 3, Changed: 1, Already: 1, Final: 1}
	if res != want {
		t.Fatalf("route: %+v, want %+v", res, want)
	}
	rt, ok := routeOf(t, s, a.Ref, report.SvcDGCCRF)
	if !ok || rt.Status != report.RouteSent || rt.WhyFR != "Campagne de faux colis" || rt.By != "agent:"+analyst.Pseudonym {
		t.Errorf("a's route: %+v %v", rt, ok)
	}
	if _, ok := routeOf(t, s, c.Ref, report.SvcDGCCRF); ok {
		t.Errorf("the closed report was routed")
	}
	d, err := s.Report(ctx, analyst, a.Ref)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range d.Events {
		found = found || (e.Type == report.EventRouted && e.Data["campaign"] == ref && e.Data["services"] == report.SvcDGCCRF)
	}
	if !found {
		t.Errorf("no routed event naming the campaign on a: %+v", d.Events)
	}
	again, err := s.RouteCampaign(ctx, supervisor, ref, report.SvcDGCCRF, "encore")
	if err != nil || again.Changed != 0 || again.Already != 2 || again.Final != 1 {
		t.Errorf("routing again: %+v, %v", again, err)
	}

	out, err := s.RecordCampaignOutcome(ctx, analyst, ref, report.SvcDGCCRF, report.OutcomeSiteBlocked)
	if err != nil {
		t.Fatal(err)
	}
	want = report.BulkResult{Campaign: ref, Read: 3, Changed: 2, Final: 1}
	if out != want {
		t.Fatalf("outcome: %+v, want %+v", out, want)
	}
	for _, r := range []string{a.Ref, b.Ref} {
		rt, _ := routeOf(t, s, r, report.SvcDGCCRF)
		if rt.Status != report.RouteDone || rt.Outcome != report.OutcomeSiteBlocked {
			t.Errorf("%s: the reporter reads %+v", r, rt)
		}
		if e, ok := eventOf(t, s, r, report.EventOutcome); !ok || e.Data["service"] != report.SvcDGCCRF || e.Data["campaign"] != ref {
			t.Errorf("%s: outcome event %+v", r, e)
		}
	}
	out, err = s.RecordCampaignOutcome(ctx, analyst, ref, report.SvcDGCCRF, report.OutcomeSiteBlocked)
	if err != nil || out.Changed != 0 || out.Already != 2 {
		t.Errorf("outcome again: %+v %v", out, err)
	}
	out, err = s.RecordCampaignOutcome(ctx, analyst, ref, report.SvcLocal, report.OutcomeSiteBlocked)
	if err != nil || out.Changed != 0 || out.Other != 2 || out.Final != 1 {
		t.Errorf("outcome of a service holding none: %+v %v", out, err)
	}

	// Field errors, and who may.
	_, err = s.RouteCampaign(ctx, analyst, ref, "nowhere", " ")
	var v *guichet.ValidationError
	if !errors.As(err, &v) || !has(v, "service") || !has(v, "reason") {
		t.Errorf("bad route: %v", err)
	}
	_, err = s.RecordCampaignOutcome(ctx, analyst, ref, report.SvcCyber, "gone")
	if !errors.As(err, &v) || !has(v, "outcome") {
		t.Errorf("bad outcome: %v", err)
	}
	admin := account.Principal{Pseudonym: "AD01", Role: account.RoleAdmin}
	for _, p := range []account.Principal{agent, admin} {
		if _, err := s.RouteCampaign(ctx, p, ref, report.SvcCyber, "x"); !errors.Is(err, guichet.ErrForbidden) {
			t.Errorf("%s routes a campaign: %v", p.Role, err)
		}
		if _, err := s.RecordCampaignOutcome(ctx, p, ref, report.SvcCyber, report.OutcomeRemoved); !errors.Is(err, guichet.ErrForbidden) {
			t.Errorf("%s records a campaign's outcome: %v", p.Role, err)
		}
		if _, err := s.CloseDuplicates(ctx, p, ref); !errors.Is(err, guichet.ErrForbidden) {
			t.Errorf("%s closes duplicates: %v", p.Role, err)
		}
	}
	if _, err := s.RouteCampaign(ctx, analyst, "C-2026-0000-0000", report.SvcCyber, "x"); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("an unknown campaign: %v", err)
	}
}

// TestCloseDuplicates: a report not yet routed that says nothing an
// earlier report of its campaign does not is closed, naming the earliest
// such report; its reporter reads that it was joined with an earlier
// identical report, not which.
func TestCloseDuplicates(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	acct := func(h string) report.SeenInput { return report.SeenInput{Channel: "account", Platform: "X", Value: h} }
	// Spam holding only accounts: no rule routes it.
	r1 := fileAt(t, s, report.CatSpam, t0, acct("@a"), acct("@b"))
	r2 := fileAt(t, s, report.CatSpam, t0.Add(time.Hour), acct("@a"))
	r3 := fileAt(t, s, report.CatSpam, t0.Add(2*time.Hour), acct("@b"), acct("@a"), acct("@b"))
	r4 := fileAt(t, s, report.CatSpam, t0.Add(3*time.Hour), acct("@a"), acct("@c"))
	r5 := fileAt(t, s, report.CatSpam, t0.Add(4*time.Hour), acct("@b"))
	r6 := fileAt(t, s, report.CatSpam, t0.Add(5*time.Hour), acct("@c"))
	if err := s.AddRoute(ctx, analyst, r5.Ref, report.SvcSpam, "à voir"); err != nil {
		t.Fatal(err)
	}
	ref := campaignRef(t, s, r1.Ref)
	if campaignRef(t, s, r6.Ref) != ref {
		t.Fatal("the six reports are not one campaign")
	}
	res, err := s.CloseDuplicates(ctx, analyst, ref)
	if err != nil {
		t.Fatal(err)
	}
	// r2, r3 duplicate r1; r6 duplicates r4; r5 is routed; r1, r4 are
	// originals.
	want := report.BulkResult{Campaign: ref, Read: 6, Changed: 3, Other: 3}
	if res != want {
		t.Fatalf("duplicates: %+v, want %+v", res, want)
	}
	for _, tc := range []struct {
		dup, orig *report.Filed
	}{{r2, r1}, {r3, r1}, {r6, r4}} {
		e, ok := eventOf(t, s, tc.dup.Ref, report.EventDuplicate)
		if !ok || e.Data["duplicate_of"] != tc.orig.Ref || e.Data["campaign"] != ref {
			t.Errorf("%s: event %+v, want duplicate of %s", tc.dup.Ref, e, tc.orig.Ref)
		}
		v, err := s.View(ctx, tc.dup.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Joined || v.Case.Status != casefile.StatusClosed {
			t.Errorf("%s: the reporter's view %+v", tc.dup.Ref, v.Case.Status)
		}
		for _, e := range v.Events {
			for _, val := range e.Data {
				if val == tc.orig.Ref {
					t.Errorf("%s: the reporter's view names the other report", tc.dup.Ref)
				}
			}
		}
	}
	for _, r := range []*report.Filed{r1, r4, r5} {
		v, _ := s.View(ctx, r.Ref)
		if v.Joined || v.Case.Status == casefile.StatusClosed {
			t.Errorf("%s was closed", r.Ref)
		}
	}
	again, err := s.CloseDuplicates(ctx, supervisor, ref)
	if err != nil || again.Changed != 0 || again.Final != 3 || again.Other != 3 {
		t.Errorf("again: %+v %v", again, err)
	}

	// The original is routed, then has its outcome: the duplicate's
	// reporter reads both, since their own report went nowhere.
	if v, _ := s.View(ctx, r2.Ref); len(v.JoinedRoutes) != 0 {
		t.Errorf("routes of the original before it went anywhere: %+v", v.JoinedRoutes)
	}
	if err := s.AddRoute(ctx, analyst, r1.Ref, report.SvcSpam, "campagne de spam"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, analyst, r1.Ref, report.SvcSpam, report.OutcomeNumberCut); err != nil {
		t.Fatal(err)
	}
	v, err := s.View(ctx, r3.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.JoinedRoutes) != 1 || v.JoinedRoutes[0].Service != report.SvcSpam || v.JoinedRoutes[0].Outcome != report.OutcomeNumberCut {
		t.Errorf("the duplicate's reporter reads %+v, want the original's outcome", v.JoinedRoutes)
	}
}

// TestBulkStopsEarly: an action changes at most so many reports per run,
// says it stopped, and the next run does the rest.
func TestBulkStopsEarly(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	report.SetBulkMax(s, 2)
	phone := report.SeenInput{Channel: "phone", Value: "01 99 00 45 67"}
	var first *report.Filed
	for i := range 5 {
		f := fileAt(t, s, report.CatPhishing, t0.Add(time.Duration(i)*time.Minute), phone)
		if first == nil {
			first = f
		}
	}
	ref := campaignRef(t, s, first.Ref)
	total := 0
	for run := 1; ; run++ {
		res, err := s.RouteCampaign(ctx, analyst, ref, report.SvcLocal, "local")
		if err != nil {
			t.Fatal(err)
		}
		total += res.Changed
		if res.Changed > 2 {
			t.Fatalf("run %d changed %d", run, res.Changed)
		}
		if !res.Stopped {
			if total != 5 || res.Already != 5-res.Changed {
				t.Errorf("last run %+v, %d routed in all", res, total)
			}
			break
		}
		if run > 5 {
			t.Fatal("never finished")
		}
	}
}

func has(v *guichet.ValidationError, field string) bool { _, ok := v.For(field); return ok }
