package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet/internal/verifier"
)

// testCheckKeys: the public checker is told of published keys only, with
// their count and first and latest reports; unpublishing hides a key
// again; a known-good entry covering a key is told whether or not it was
// reported, and wins over reports.
func testCheckKeys(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const (
		scam    = "phone:+33199001234"
		other   = "url:https://lnk.example/c0lis-7Hq"
		bank    = "phone:+33892705705"               // seeded: the interbank card-blocking line
		home    = "url:https://www.impots.gouv.fr/"  // covered by domain:impots.gouv.fr
		short   = "url:https://bit.ly/3xYz"          // a short link: not covered by bit.ly
		nowhere = "iban:FR7630006000011234567890189" // never reported
	)
	t1, t2 := f.now.Add(-48*time.Hour), f.now.Add(-time.Hour)
	f.fileReport(t2, scam, other)
	f.fileReport(t1, scam)
	f.fileReport(t1, bank, short)

	check := func(keys ...string) map[string]verifier.Fact {
		t.Helper()
		got, err := f.s.CheckKeys(ctx, keys)
		ok(t, err)
		return got
	}
	all := []string{scam, other, bank, home, short, nowhere}
	got := check(all...)
	if _, told := got[scam]; told {
		t.Errorf("an unpublished key is told: %+v", got[scam])
	}
	for _, k := range []string{other, short, nowhere} {
		if _, told := got[k]; told {
			t.Errorf("%s: told %+v, want nothing", k, got[k])
		}
	}
	for k, label := range map[string]string{bank: "Serveur interbancaire d'opposition à carte bancaire", home: "impots.gouv.fr (DGFiP)"} {
		g := got[k].KnownGood
		if g == nil || g.Label != label || g.Category == "" {
			t.Errorf("%s: known-good %+v, want %q", k, g, label)
		}
		if got[k].Published != nil {
			t.Errorf("%s: told as published %+v", k, got[k].Published)
		}
	}

	ok(t, f.s.PublishKey(ctx, scam, "A7F2", f.now))
	ok(t, f.s.PublishKey(ctx, bank, "A7F2", f.now))
	got = check(all...)
	p := got[scam].Published
	if p == nil || p.Reports != 2 || !p.FirstSeen.Equal(t1) || !p.LastSeen.Equal(t2) {
		t.Errorf("published key: %+v, want 2 reports from %v to %v", p, t1, t2)
	}
	if _, told := got[other]; told {
		t.Errorf("a key of the same report, unpublished, is told: %+v", got[other])
	}
	res, err := verifier.New(verifier.Deps{Store: f.s}).Check(ctx, "01 99 00 12 34\n0 892 705 705\nFR76 3000 6000 0112 3456 7890 189")
	ok(t, err)
	want := []verifier.Verdict{verifier.Reported, verifier.Genuine, verifier.Unknown}
	for i, a := range res.Answers {
		if i >= len(want) || a.Verdict != want[i] {
			t.Errorf("answer %d (%s): %s, want %v", i, a.Input, a.Verdict, want)
		}
	}
	if len(res.Answers) != len(want) {
		t.Errorf("%d answers, want %d", len(res.Answers), len(want))
	}

	ok(t, f.s.UnpublishKey(ctx, scam))
	if got := check(scam); len(got) != 0 {
		t.Errorf("unpublished key still told: %+v", got)
	}
	if got := check(); len(got) != 0 {
		t.Errorf("no keys: %+v", got)
	}
}
