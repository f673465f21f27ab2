package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// seenKey is a harmonised value holding key ("kind:canonical").
func seenKey(key string) report.Seen {
	kind, canon, _ := strings.Cut(key, ":")
	return report.Seen{Channel: kind, Kind: kind, Input: canon, Valid: true, Canonical: canon, Display: canon, Key: key}
}

// fileReport stores a report submitted at at holding keys.
func (f *fixture) fileReport(at time.Time, keys ...string) report.Submission {
	f.t.Helper()
	seen := make([]report.Seen, len(keys))
	for i, k := range keys {
		seen[i] = seenKey(k)
	}
	sub := f.reportSubmission(report.LaneNormal, seen...)
	sub.Case.SubmittedAt = at
	ok(f.t, f.s.SubmitReport(f.ctx(), sub))
	return sub
}

// campaignOf returns the campaign of report caseID.
func (f *fixture) campaignOf(caseID string) report.Campaign {
	f.t.Helper()
	c, err := f.s.ReportCampaign(f.ctx(), caseID)
	ok(f.t, err)
	return c
}

func (f *fixture) keyState(key string) report.KeyState {
	f.t.Helper()
	st, err := f.s.KeyStates(f.ctx(), []string{key})
	ok(f.t, err)
	return st[key]
}

// testKnownGoodSeed: the list comes seeded with real public values, each
// in canonical form.
func testKnownGoodSeed(t *testing.T, f *fixture) {
	list, err := f.s.KnownGoodList(f.ctx())
	ok(t, err)
	byKey := map[string]report.KnownGood{}
	for _, g := range list {
		byKey[g.Key] = g
		if g.Key != g.Kind+":"+g.Canonical {
			t.Errorf("entry %q is not kind:canonical (%s, %s)", g.Key, g.Kind, g.Canonical)
		}
		if n := indicator.Normalize(indicator.Kind(g.Kind), g.Canonical); n.Key() != g.Key {
			t.Errorf("entry %q is not canonical: it reads as %q", g.Key, n.Key())
		}
		if !slices.Contains(report.KnownGoodCategories, g.Category) || g.Label == "" || g.AddedBy != "seed" || g.AddedAt.IsZero() {
			t.Errorf("entry %+v", g)
		}
	}
	for _, k := range []string{"domain:gmail.com", "domain:hotmail.fr", "domain:laposte.net", "domain:bit.ly",
		"domain:leboncoin.fr", "domain:societegenerale.fr", "phone:+33892705705"} {
		if _, found := byKey[k]; !found {
			t.Errorf("%s is not seeded", k)
		}
	}
	if len(list) < 50 {
		t.Errorf("%d seeded entries", len(list))
	}
	n, err := f.s.MaxDegree(f.ctx())
	ok(t, err)
	if n != report.DefaultMaxDegree {
		t.Errorf("threshold %d, want %d", n, report.DefaultMaxDegree)
	}
}

// testCampaigns: reports sharing a key are one campaign at once; a report
// bridging two campaigns merges the smaller into the larger, whose
// reference leads on; an analyst reads a campaign's reports, shared keys,
// categories and channels.
func testCampaigns(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const (
		phone = "phone:+33612345678"
		urlA  = "url:http://colis-a.example/"
		urlC  = "url:http://colis-c.example/"
	)
	a := f.fileReport(f.now, phone, urlA)
	b := f.fileReport(f.now.Add(time.Hour), phone)
	c := f.fileReport(f.now.Add(2*time.Hour), urlC)
	ca, cb, cc := f.campaignOf(a.Case.ID), f.campaignOf(b.Case.ID), f.campaignOf(c.Case.ID)
	if ca.ID != cb.ID || ca.ID == cc.ID {
		t.Fatalf("a and b share a number, c nothing: %s %s %s", ca.Ref, cb.Ref, cc.Ref)
	}
	if ca.Reports != 2 || !ca.FirstSeen.Equal(f.now.Truncate(time.Microsecond)) || !ca.LastSeen.Equal(f.now.Add(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("campaign of a: %+v", ca)
	}
	if _, err := report.ParseCampaignRef(ca.Ref); err != nil {
		t.Errorf("reference %q: %v", ca.Ref, err)
	}
	if cc.Reports != 1 {
		t.Errorf("c's campaign holds %d reports", cc.Reports)
	}
	same(t, "degree of the number", f.keyState(phone).Reports, 2)

	d := f.fileReport(f.now.Add(3*time.Hour), urlA, urlC)
	cd := f.campaignOf(d.Case.ID)
	if cd.ID != ca.ID || cd.Reports != 4 || !cd.LastSeen.Equal(f.now.Add(3*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("the bridge's campaign: %+v, want a's (%s) with 4 reports", cd, ca.Ref)
	}
	for _, s := range []report.Submission{a, b, c} {
		if got := f.campaignOf(s.Case.ID); got.ID != ca.ID {
			t.Errorf("report %s is in %s, not %s", s.Case.Ref, got.Ref, ca.Ref)
		}
	}
	old, err := f.s.CampaignByRef(ctx, cc.Ref)
	ok(t, err)
	if old.MergedInto != ca.ID || old.Reports != 0 {
		t.Errorf("c's old campaign: %+v, want merged into %s", old, ca.ID)
	}
	byID, err := f.s.CampaignByID(ctx, ca.ID)
	ok(t, err)
	same(t, "by ID", byID, cd)

	reps, err := f.s.CampaignReports(ctx, ca.ID, 3)
	ok(t, err)
	var refs []string
	for _, r := range reps {
		refs = append(refs, r.Ref)
		if r.Category != "phishing" || r.Status == "" {
			t.Errorf("report %+v", r)
		}
	}
	same(t, "latest three reports", refs, []string{d.Case.Ref, c.Case.Ref, b.Case.Ref})
	keys, err := f.s.CampaignKeys(ctx, ca.ID, 10)
	ok(t, err)
	got := map[string][2]int{}
	for _, k := range keys {
		got[k.Key] = [2]int{k.InCampaign, k.Reports}
		if k.Display == "" || k.Kind == "" {
			t.Errorf("key %+v", k)
		}
	}
	same(t, "shared keys", got, map[string][2]int{phone: {2, 2}, urlA: {2, 2}, urlC: {2, 2}})
	tally, err := f.s.CampaignTally(ctx, ca.ID)
	ok(t, err)
	same(t, "categories", tally.Categories, []report.Count{{Value: "phishing", Reports: 4}})
	same(t, "channels", tally.Channels, []report.Count{{Value: "url", Reports: 3}, {Value: "phone", Reports: 2}})

	list, err := f.s.ListCampaigns(ctx, report.CampaignFilter{MinReports: 2, Limit: 10})
	ok(t, err)
	same(t, "campaigns of two reports or more", len(list), 1)
	if len(list) == 1 && list[0].ID != ca.ID {
		t.Errorf("listed %+v", list[0])
	}
	list, err = f.s.ListCampaigns(ctx, report.CampaignFilter{MinReports: 2, Category: "romance", Limit: 10})
	ok(t, err)
	same(t, "romance campaigns", list, []report.Campaign{})
	_, err = f.s.ListCampaigns(ctx, report.CampaignFilter{MinReports: 0, Limit: 10})
	is(t, err, guichet.ErrInvalid)
	_, err = f.s.CampaignByRef(ctx, "C-2026-0000-0000")
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.ReportCampaign(ctx, "no-such-report")
	is(t, err, guichet.ErrNotFound)

	// A report holding nothing valid is a campaign of its own.
	e := f.fileReport(f.now)
	if ce := f.campaignOf(e.Case.ID); ce.Reports != 1 || ce.ID == ca.ID {
		t.Errorf("an empty report's campaign: %+v", ce)
	}
}

// testKnownGoodEdits: a known-good value never links; listing a value
// splits the campaign it held together, taking it off merges again; a
// domain entry covers its home pages, not a specific page nor an address.
func testKnownGoodEdits(t *testing.T, f *fixture) {
	ctx := f.ctx()
	// Seeded: gmail.com links nothing, a crook's gmail address does.
	g1 := f.fileReport(f.now, "domain:gmail.com")
	g2 := f.fileReport(f.now, "domain:gmail.com", "url:https://gmail.com/")
	g3 := f.fileReport(f.now, "email:faux.conseiller@gmail.com")
	g4 := f.fileReport(f.now, "email:faux.conseiller@gmail.com")
	if f.campaignOf(g1.Case.ID).ID == f.campaignOf(g2.Case.ID).ID {
		t.Error("a seeded known-good domain linked two reports")
	}
	if f.campaignOf(g3.Case.ID).ID != f.campaignOf(g4.Case.ID).ID {
		t.Error("an address at a known-good webmail did not link")
	}
	st := f.keyState("url:https://gmail.com/")
	if st.KnownGood == nil || st.KnownGood.Key != "domain:gmail.com" || st.KnownGood.Label == "" || st.KnownGood.Category != report.KnownGoodWebmail {
		t.Errorf("gmail's home page: %+v", st)
	}
	if why := st.WhyNot(report.DefaultMaxDegree); why.Code != report.NoLinkKnownGood || !strings.Contains(why.String(), "Gmail") {
		t.Errorf("why gmail's home page does not link: %q", why)
	}

	const shop = "domain:boutique-exemple.fr"
	a := f.fileReport(f.now, shop, "url:http://a.example/")
	b := f.fileReport(f.now.Add(time.Minute), shop)
	c := f.fileReport(f.now.Add(2*time.Minute), "url:https://www.boutique-exemple.fr/")
	d := f.fileReport(f.now.Add(3*time.Minute), "url:https://www.boutique-exemple.fr/", "url:https://www.boutique-exemple.fr/compte")
	e := f.fileReport(f.now.Add(4*time.Minute), "url:https://www.boutique-exemple.fr/compte")
	before := f.campaignOf(a.Case.ID)
	if before.ID != f.campaignOf(b.Case.ID).ID || f.campaignOf(c.Case.ID).ID != f.campaignOf(e.Case.ID).ID {
		t.Fatal("not linked before listing")
	}
	entry := report.KnownGood{Key: shop, Kind: "domain", Canonical: "boutique-exemple.fr", Category: report.KnownGoodPlatform,
		Label: "Boutique Exemple", AddedBy: "S1", AddedAt: f.now}
	ok(t, f.s.AddKnownGood(ctx, entry))
	is(t, f.s.AddKnownGood(ctx, entry), guichet.ErrConflict)
	ca, cb := f.campaignOf(a.Case.ID), f.campaignOf(b.Case.ID)
	if ca.ID == cb.ID {
		t.Error("listed known-good, the domain still ties a and b")
	}
	if ca.ID != before.ID && cb.ID != before.ID {
		t.Error("neither part kept the campaign")
	}
	if ca.Reports+cb.Reports != 2 {
		t.Errorf("counts after the split: %d + %d", ca.Reports, cb.Reports)
	}
	cc, cd, ce := f.campaignOf(c.Case.ID), f.campaignOf(d.Case.ID), f.campaignOf(e.Case.ID)
	if cc.ID == cd.ID || cd.ID != ce.ID || cd.Reports != 2 {
		t.Errorf("the home page is covered, a page is not: %s %s %s", cc.Ref, cd.Ref, ce.Ref)
	}
	// A new report holding the domain joins nobody.
	n := f.fileReport(f.now.Add(5*time.Minute), shop)
	if cn := f.campaignOf(n.Case.ID); cn.Reports != 1 {
		t.Errorf("a new report joined through a known-good domain: %+v", cn)
	}
	list, err := f.s.KnownGoodList(ctx)
	ok(t, err)
	if i := slices.IndexFunc(list, func(g report.KnownGood) bool { return g.Key == shop }); i < 0 {
		t.Error("the entry is not listed")
	} else {
		same(t, "stored entry", list[i], report.KnownGood{Key: shop, Kind: "domain", Canonical: "boutique-exemple.fr",
			Category: report.KnownGoodPlatform, Label: "Boutique Exemple", AddedBy: "S1", AddedAt: f.now.Truncate(time.Microsecond)})
	}

	ok(t, f.s.RemoveKnownGood(ctx, shop))
	is(t, f.s.RemoveKnownGood(ctx, shop), guichet.ErrNotFound)
	all := f.campaignOf(a.Case.ID)
	if all.ID != f.campaignOf(b.Case.ID).ID || all.ID != f.campaignOf(n.Case.ID).ID || all.Reports != 3 {
		t.Errorf("off the list, the domain links a, b and n again: %+v", all)
	}
	if f.campaignOf(c.Case.ID).ID != f.campaignOf(d.Case.ID).ID {
		t.Error("off the list, the home page links c and d again")
	}
	if st := f.keyState(shop); st.KnownGood != nil {
		t.Errorf("still known-good: %+v", st)
	}
}

// testHubThreshold: a key held by more reports than the threshold stops
// linking them, and the campaign it held together is split; the reason is
// given.
func testHubThreshold(t *testing.T, f *fixture) {
	ctx := f.ctx()
	_, err := f.s.RebuildCampaigns(ctx, 3)
	ok(t, err)
	n, err := f.s.MaxDegree(ctx)
	ok(t, err)
	same(t, "threshold", n, 3)
	const hub = "phone:+33700000000"
	var subs []report.Submission
	for i := range 3 {
		subs = append(subs, f.fileReport(f.now.Add(time.Duration(i)*time.Minute), hub, fmt.Sprintf("url:http://r%d.example/", i)))
	}
	if c := f.campaignOf(subs[0].Case.ID); c.Reports != 3 {
		t.Fatalf("three holders of a key under the threshold: %+v", c)
	}
	kept := f.campaignOf(subs[0].Case.ID)
	subs = append(subs, f.fileReport(f.now.Add(time.Hour), hub))
	for _, s := range subs {
		if c := f.campaignOf(s.Case.ID); c.Reports != 1 {
			t.Errorf("report %s after the key became a hub: %+v", s.Case.Ref, c)
		}
	}
	if c, err := f.s.CampaignByID(ctx, kept.ID); err != nil || (c.Reports != 1 || c.MergedInto != "") {
		t.Errorf("the split campaign: %+v %v", c, err)
	}
	st := f.keyState(hub)
	if st.Reports != 4 || st.Links(3) {
		t.Errorf("the hub: %+v", st)
	}
	if why := st.WhyNot(3); why.Code != report.NoLinkHub || why.String() != "links more than 3 reports (4)" {
		t.Errorf("why the hub does not link: %q", why)
	}
	// Reports still link through their own keys.
	x := f.fileReport(f.now.Add(2*time.Hour), "url:http://r0.example/", "url:http://r1.example/", hub)
	if c := f.campaignOf(x.Case.ID); c.Reports != 3 || c.ID != f.campaignOf(subs[0].Case.ID).ID || c.ID != f.campaignOf(subs[1].Case.ID).ID {
		t.Errorf("linking through other keys: %+v", c)
	}
}

// testPublishKey: an analyst publishes a key the index knows.
func testPublishKey(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const k = "phone:+33611111111"
	is(t, f.s.PublishKey(ctx, k, "A7F2", f.now), guichet.ErrNotFound)
	f.fileReport(f.now, k)
	ok(t, f.s.PublishKey(ctx, k, "A7F2", f.now))
	if !f.keyState(k).Published {
		t.Error("not published")
	}
	ok(t, f.s.UnpublishKey(ctx, k))
	if f.keyState(k).Published {
		t.Error("still published")
	}
	is(t, f.s.UnpublishKey(ctx, "phone:+33622222222"), guichet.ErrNotFound)
}

// partition returns the campaigns of subs as sorted sets of references,
// and each report's campaign reference.
func (f *fixture) partition(subs []report.Submission) ([][]string, map[string]string) {
	f.t.Helper()
	by := map[string][]string{}
	refs := map[string]string{}
	for _, s := range subs {
		c := f.campaignOf(s.Case.ID)
		by[c.ID] = append(by[c.ID], s.Case.Ref)
		refs[s.Case.Ref] = c.Ref
		if c.MergedInto != "" {
			f.t.Errorf("report %s is in merged campaign %s", s.Case.Ref, c.Ref)
		}
	}
	var out [][]string
	for id, p := range by {
		slices.Sort(p)
		out = append(out, p)
		if c, err := f.s.CampaignByID(f.ctx(), id); err != nil || c.Reports != len(p) {
			f.t.Errorf("campaign %s counts %d reports, holds %d (%v)", c.Ref, c.Reports, len(p), err)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out, refs
}

// referencePartition computes the campaigns the hard way.
func referencePartition(subs []report.Submission, maxDegree int, knownGood map[string]bool) [][]string {
	holders := map[string][]int{}
	for i, s := range subs {
		seen := map[string]bool{}
		for _, v := range s.Seen {
			if v.Key != "" && !seen[v.Key] {
				seen[v.Key] = true
				holders[v.Key] = append(holders[v.Key], i)
			}
		}
	}
	links := func(k string) bool {
		if len(holders[k]) > maxDegree {
			return false
		}
		for _, e := range report.CoveredBy(k) {
			if knownGood[e] {
				return false
			}
		}
		return true
	}
	done := make([]bool, len(subs))
	var out [][]string
	for i := range subs {
		if done[i] {
			continue
		}
		done[i] = true
		var comp []string
		for q := []int{i}; len(q) > 0; q = q[1:] {
			j := q[0]
			comp = append(comp, subs[j].Case.Ref)
			for _, v := range subs[j].Seen {
				if v.Key == "" || !links(v.Key) {
					continue
				}
				for _, h := range holders[v.Key] {
					if !done[h] {
						done[h] = true
						q = append(q, h)
					}
				}
			}
		}
		slices.Sort(comp)
		out = append(out, comp)
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// testRebuildSamePartition: over random reports and known-good edits, the
// campaigns kept at each filing are the connected components, and a
// rebuild from scratch finds the same ones and keeps every reference.
func testRebuildSamePartition(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const maxDegree = 4
	_, err := f.s.RebuildCampaigns(ctx, maxDegree)
	ok(t, err)
	rng := rand.New(rand.NewPCG(42, 7))
	pool := []string{"domain:gmail.com", "url:https://www.gmail.com/"}
	for i := range 24 {
		pool = append(pool, fmt.Sprintf("phone:+336%08d", i))
	}
	knownGood := map[string]bool{"domain:gmail.com": true}
	var subs []report.Submission
	for i := range 90 {
		if i%30 == 29 {
			k := pool[2+rng.IntN(len(pool)-2)]
			if knownGood[k] {
				ok(t, f.s.RemoveKnownGood(ctx, k))
				delete(knownGood, k)
			} else {
				ok(t, f.s.AddKnownGood(ctx, report.KnownGood{Key: k, Kind: "phone", Canonical: strings.TrimPrefix(k, "phone:"),
					Category: report.KnownGoodOther, Label: "test", AddedBy: "S1", AddedAt: f.now}))
				knownGood[k] = true
			}
		}
		var keys []string
		for range rng.IntN(4) {
			keys = append(keys, pool[rng.IntN(len(pool))])
		}
		subs = append(subs, f.fileReport(f.now.Add(time.Duration(i)*time.Minute), keys...))
	}
	got, refs := f.partition(subs)
	same(t, "incremental campaigns", got, referencePartition(subs, maxDegree, knownGood))

	st, err := f.s.RebuildCampaigns(ctx, maxDegree)
	ok(t, err)
	if st.Reports != len(subs) || st.Moved != 0 || st.Created != 0 || st.Merged != 0 {
		t.Errorf("rebuilding a consistent index: %+v", st)
	}
	again, refs2 := f.partition(subs)
	same(t, "rebuilt campaigns", again, got)
	same(t, "references after a rebuild", refs2, refs)

	_, err = f.s.RebuildCampaigns(ctx, 2)
	ok(t, err)
	at2, _ := f.partition(subs)
	same(t, "campaigns rebuilt at threshold 2", at2, referencePartition(subs, 2, knownGood))
}

// testRaceBridge: reports filed at once that bridge the same campaigns
// (from several nodes on PostgreSQL) merge them all, once, with counts that
// add up; reports filed at once holding one new key end in one campaign.
func testRaceBridge(t *testing.T, f *fixture) {
	const islands = 8
	var subs []report.Submission
	for i := range islands {
		k := fmt.Sprintf("url:http://ile%d.example/", i)
		subs = append(subs, f.fileReport(f.now, k), f.fileReport(f.now, k))
	}
	bridges := make([]report.Submission, 2*islands)
	for i := range bridges {
		j := i % islands
		seen := []report.Seen{seenKey(fmt.Sprintf("url:http://ile%d.example/", j)), seenKey(fmt.Sprintf("url:http://ile%d.example/", (j+1)%islands))}
		if i >= islands { // the other way round: lock order must not matter
			slices.Reverse(seen)
		}
		bridges[i] = f.reportSubmission(report.LaneNormal, seen...)
	}
	errs := race(len(bridges), func(i int) error { return f.s.SubmitReport(f.ctx(), bridges[i]) })
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bridge %d: %v", i, err)
		}
	}
	subs = append(subs, bridges...)
	got, _ := f.partition(subs)
	if len(got) != 1 || len(got[0]) != len(subs) {
		t.Errorf("bridged islands: %d campaigns, want one of %d reports", len(got), len(subs))
	}
	list, err := f.s.ListCampaigns(f.ctx(), report.CampaignFilter{MinReports: 1, Limit: 100})
	ok(t, err)
	if len(list) != 1 || list[0].Reports != len(subs) {
		t.Errorf("live campaigns after the race: %+v", list)
	}

	one := make([]report.Submission, 24)
	for i := range one {
		one[i] = f.reportSubmission(report.LaneNormal, seenKey("phone:+33698765432"), seenKey(fmt.Sprintf("url:http://seul%d.example/", i)))
	}
	errs = race(len(one), func(i int) error { return f.s.SubmitReport(f.ctx(), one[i]) })
	for i, err := range errs {
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	if got, _ := f.partition(one); len(got) != 1 {
		t.Errorf("reports of one new key filed at once: %d campaigns", len(got))
	}
}

// testTenThousandDoNotCollapse: 10,000 reports each with its own URL, all
// sharing a known-good domain and a hub number, are 10,000 campaigns, not
// one (hubReports of them under the race detector).
func testTenThousandDoNotCollapse(t *testing.T, f *fixture) {
	const n = hubReports
	const hub = "phone:+33755555555"
	// A threshold of 200 rather than 1000: the hub links its first 200
	// reports, then is a hub for 9,800; the first holders of a key are
	// filed one after the other, and 1000 of them would make the test
	// long on PostgreSQL for nothing more.
	const maxDegree = 200
	_, err := f.s.RebuildCampaigns(f.ctx(), maxDegree)
	ok(t, err)
	subs := make([]report.Submission, n)
	for i := range subs {
		subs[i] = f.reportSubmission(report.LaneNormal,
			seenKey(fmt.Sprintf("url:http://site%05d.example/", i)), seenKey("domain:gmail.com"), seenKey(hub))
	}
	start := time.Now()
	var next sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, 32)
	for range 32 {
		next.Go(func() {
			for i := range work {
				if err := f.s.SubmitReport(f.ctx(), subs[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range subs {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			next.Wait()
			t.Fatal(err)
		}
	}
	close(work)
	next.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	t.Logf("%d reports filed in %s", n, time.Since(start).Round(time.Millisecond))
	list, err := f.s.ListCampaigns(f.ctx(), report.CampaignFilter{MinReports: 2, Limit: 10})
	ok(t, err)
	if len(list) != 0 {
		t.Errorf("campaigns of two reports or more: %d, the largest of %d", len(list), list[0].Reports)
	}
	all, err := f.s.ListCampaigns(f.ctx(), report.CampaignFilter{MinReports: 1, Limit: 2 * n})
	ok(t, err)
	same(t, "campaigns", len(all), n)
	states, err := f.s.KeyStates(f.ctx(), []string{"domain:gmail.com", hub})
	ok(t, err)
	if g := states["domain:gmail.com"]; g.Reports != n || g.KnownGood == nil {
		t.Errorf("gmail.com: %+v", g)
	}
	if h := states[hub]; h.Reports != n || h.WhyNot(maxDegree).Code != report.NoLinkHub {
		t.Errorf("the hub: %+v", h)
	}
}

// SyntheticStore is a store that generates synthetic reports for
// benchmarks (guichet bench reports).
type SyntheticStore interface {
	Store
	GenerateSyntheticReports(ctx context.Context, n int, start time.Time) error
	IndexBytes(ctx context.Context) (map[string]int64, error)
}

// testSyntheticReports: the benchmark's generator writes the keys
// report.SyntheticKeys gives, and a rebuild files them in the campaigns
// they make.
func testSyntheticReports(t *testing.T, f *fixture) {
	g, isGen := f.s.(SyntheticStore)
	if !isGen {
		t.Skip("the store generates no synthetic reports")
	}
	ctx := f.ctx()
	const n, maxDegree = 700, 5
	ok(t, g.GenerateSyntheticReports(ctx, n, f.now))
	st, err := f.s.RebuildCampaigns(ctx, maxDegree)
	ok(t, err)
	subs := make([]report.Submission, n)
	for i := range subs {
		id := fmt.Sprintf("bench-%010d", i)
		seen, err := f.s.ReportSeen(ctx, id)
		ok(t, err)
		var keys []string
		for _, v := range seen {
			keys = append(keys, v.Key)
		}
		same(t, fmt.Sprintf("keys of synthetic report %d", i), keys, report.SyntheticKeys(i))
		subs[i].Case.ID, subs[i].Case.Ref, subs[i].Seen = id, fmt.Sprintf("SG-BENCH-%010d", i), seen
	}
	got, _ := f.partition(subs)
	same(t, "synthetic campaigns", got, referencePartition(subs, maxDegree, map[string]bool{"domain:gmail.com": true}))
	if st.Reports != n || st.Campaigns == 0 || st.Largest < 4 {
		t.Errorf("rebuild: %+v", st)
	}
	sizes, err := g.IndexBytes(ctx)
	ok(t, err)
	if sizes["indicator_keys"] <= 0 || sizes["report_campaign"] <= 0 {
		t.Errorf("index sizes %v", sizes)
	}
	is(t, g.GenerateSyntheticReports(ctx, 1, f.now), guichet.ErrConflict)
}
