package storetest

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
)

// reportSubmission builds (without storing) a report holding seen.
func (f *fixture) reportSubmission(lane report.Lane, seen ...report.Seen) report.Submission {
	f.t.Helper()
	r, err := caseref.New(caseref.Report, 2026, rand.Reader)
	ok(f.t, err)
	c := casefile.Case{
		ID: f.ids.New(), Ref: r.String(), Kind: caseref.Report, Category: "phishing",
		Status: casefile.StatusSubmitted, CreatedAt: f.now, SubmittedAt: f.now, UpdatedAt: f.now,
	}
	return report.Submission{
		Case: c, Lane: lane, Seen: seen,
		Secrets:  casefile.Secrets{TrackingHash: randBytes(32), LedgerSalt: randBytes(32)},
		Personal: casefile.Sealed{WrappedKey: randBytes(60), Ciphertext: randBytes(300)},
		Events:   []casefile.Event{f.event(c.ID, casefile.EventSubmitted, f.now, map[string]string{"category": "phishing", "lane": string(lane)})},
	}
}

func seenURL(canonical string) report.Seen {
	return report.Seen{Channel: "sms", Kind: "url", Input: canonical + "?utm=x", Valid: true, Canonical: canonical,
		Display: canonical, Domain: "example.fr", Key: "url:" + canonical}
}

// testSubmitReport: a report is stored whole — case of kind SG without a
// unit, its lane, its values in order (an invalid one kept with its
// reason, never matched), its event with the leaf; a reference already
// used writes nothing.
func testSubmitReport(t *testing.T, f *fixture) { checkSubmitReport(t, f, f.s.SubmitReport) }

// testSubmitReportsOne: a report of the form written by the batch writer
// (as report.Service's group commit writes it: no content key, no
// source, a screenshot, a tracking code) is stored exactly as
// SubmitReport stores it, and a reference taken is refused alike when
// the entry cannot draw another.
func testSubmitReportsOne(t *testing.T, f *fixture) {
	checkSubmitReport(t, f, func(ctx context.Context, sub report.Submission) error {
		filed, err := f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{{Sub: sub}}})
		if err == nil && (len(filed) != 1 || filed[0].Ref != sub.Case.Ref || filed[0].CaseID != sub.Case.ID || filed[0].Duplicate) {
			t.Errorf("filed %+v for %s", filed, sub.Case.Ref)
		}
		return err
	})
}

func checkSubmitReport(t *testing.T, f *fixture, submit func(context.Context, report.Submission) error) {
	ctx := f.ctx()
	before := len(f.pending())
	bad := report.Seen{Channel: "iban", Kind: "iban", Input: "FR76 1234", Reason: "iban.length"}
	phone := report.Seen{Channel: "phone", Kind: "phone", Input: "06 12 34 56 78", Valid: true,
		Canonical: "+33612345678", Display: "+33 6 12 34 56 78", Key: "phone:+33612345678"}
	sub := f.reportSubmission(report.LaneReview, seenURL("http://bit.ly/x"), bad, phone)
	shot := casefile.Evidence{ID: f.ids.New(), OwnerID: sub.Case.ID, BlobKey: "evidence/x", ContentType: "image/png", Size: 42,
		SHA256: "ab", CreatedAt: f.now}
	sub.Evidence = []casefile.Evidence{shot}
	ok(t, submit(ctx, sub))
	var (
		c   casefile.Case
		sec casefile.Secrets
	)
	ev, err := f.s.ListEvidence(ctx, sub.Case.ID)
	ok(t, err)
	same(t, "screenshots", ev, []casefile.Evidence{shot})

	c, sec, err = f.s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	if c.Kind != caseref.Report || c.UnitID != "" || c.Status != casefile.StatusSubmitted {
		t.Errorf("stored case %+v", c)
	}
	same(t, "secrets", sec.TrackingHash, sub.Secrets.TrackingHash)
	lane, err := f.s.ReportLane(ctx, c.ID)
	ok(t, err)
	if lane != report.LaneReview {
		t.Errorf("lane %q", lane)
	}
	seen, err := f.s.ReportSeen(ctx, c.ID)
	ok(t, err)
	same(t, "values", seen, sub.Seen)
	p, err := f.s.CasePersonal(ctx, c.ID)
	ok(t, err)
	same(t, "personal", p, sub.Personal)
	pend := f.pending()
	if len(pend) != before+1 {
		t.Fatalf("%d outbox rows, want 1", len(pend)-before)
	}
	f.checkLeaves(pend, sub.Secrets.LedgerSalt, sub.Case.Ref, sub.Events)

	// The same reference again: refused, nothing written.
	dup := f.reportSubmission(report.LaneNormal, seenURL("http://dup.example/"))
	dup.Case.Ref = sub.Case.Ref
	is(t, submit(ctx, dup), guichet.ErrConflict)
	_, err = f.s.ReportLane(ctx, dup.Case.ID)
	is(t, err, guichet.ErrNotFound)
	if shared, err := f.s.SharedKeys(ctx, sub.Case.ID, []string{"url:http://dup.example/"}); err != nil || len(shared) != 0 {
		t.Errorf("a refused report left values: %v %v", shared, err)
	}
	if n := len(f.pending()); n != before+1 {
		t.Errorf("a refused report wrote %d outbox rows", n-before-1)
	}
	// A report with no value at all (every one unreadable is still kept).
	empty := f.reportSubmission(report.LaneNormal)
	ok(t, submit(ctx, empty))
	seen, err = f.s.ReportSeen(ctx, empty.Case.ID)
	ok(t, err)
	if seen == nil || len(seen) != 0 {
		t.Errorf("values of a report without any: %#v", seen)
	}
	_, err = f.s.ReportLane(ctx, "no-such-report")
	is(t, err, guichet.ErrNotFound)
}

// testSharedKeys: how many other reports hold each key; invalid values
// never count, nor the report itself, nor a key held twice by one report.
func testSharedKeys(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const k = "url:http://bit.ly/x"
	a := f.reportSubmission(report.LaneNormal, seenURL("http://bit.ly/x"), seenURL("http://bit.ly/x"))
	b := f.reportSubmission(report.LaneNormal, seenURL("http://bit.ly/x"), seenURL("http://other.example/"))
	c := f.reportSubmission(report.LaneNormal, seenURL("http://bit.ly/x"),
		report.Seen{Channel: "url", Kind: "url", Input: "http://other.example/", Reason: "url.malformed"})
	for _, s := range []report.Submission{a, b, c} {
		ok(t, f.s.SubmitReport(ctx, s))
	}
	got, err := f.s.SharedKeys(ctx, a.Case.ID, []string{k, "url:http://other.example/", "url:http://nobody.example/"})
	ok(t, err)
	same(t, "shared with a", got, map[string]int{k: 2, "url:http://other.example/": 1})
	got, err = f.s.SharedKeys(ctx, b.Case.ID, []string{"url:http://other.example/"})
	ok(t, err)
	same(t, "shared with b", got, map[string]int{})
	got, err = f.s.SharedKeys(ctx, "a new one", nil)
	ok(t, err)
	same(t, "no keys", got, map[string]int{})
}
