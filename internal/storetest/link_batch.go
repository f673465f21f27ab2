package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/report"
)

// testBatchSamePartition: reports filed in batches (SubmitReports, which
// links a batch in one pass) end in exactly the campaigns filing them one
// by one would make — the connected components over the keys that link —
// whatever the mix: batches whose reports share keys, bridge campaigns
// filed before, push a key past the threshold within the batch or across
// batches, hold known-good values, or repeat a content. Counts and times
// add up, the hub's degree counts every holder, and a rebuild from scratch
// afterwards finds nothing to change.
func testBatchSamePartition(t *testing.T, f *fixture) {
	ctx := f.ctx()
	const maxDegree = 4
	_, err := f.s.RebuildCampaigns(ctx, maxDegree)
	ok(t, err)
	p := f.newPartner("Batch")
	rng := rand.New(rand.NewPCG(7, 42))
	pool := []string{"domain:gmail.com"}
	for i := range 30 {
		pool = append(pool, fmt.Sprintf("phone:+336%08d", i))
	}
	knownGood := map[string]bool{"domain:gmail.com": true}
	var subs []report.Submission
	at := f.now
	newSub := func() report.Submission {
		var seen []report.Seen
		for range rng.IntN(4) {
			seen = append(seen, seenKey(pool[rng.IntN(len(pool))]))
		}
		sub := f.reportSubmission(report.LaneNormal, seen...)
		at = at.Add(time.Minute)
		sub.Case.SubmittedAt = at
		return sub
	}
	for round := range 20 {
		if round%4 == 3 {
			k := pool[1+rng.IntN(len(pool)-1)]
			if knownGood[k] {
				ok(t, f.s.RemoveKnownGood(ctx, k))
				delete(knownGood, k)
			} else {
				ok(t, f.s.AddKnownGood(ctx, report.KnownGood{Key: k, Kind: "phone", Canonical: strings.TrimPrefix(k, "phone:"),
					Category: report.KnownGoodOther, Label: "test", AddedBy: "S1", AddedAt: f.now}))
				knownGood[k] = true
			}
		}
		// A few one by one, then a batch.
		for range rng.IntN(3) {
			sub := newSub()
			ok(t, f.s.SubmitReport(ctx, sub))
			subs = append(subs, sub)
		}
		var entries []report.BatchEntry
		var fresh []report.Submission
		for j := range 1 + rng.IntN(12) {
			sub := newSub()
			e := report.BatchEntry{Sub: sub, ContentKey: fmt.Sprintf("content-%d-%d", round, j),
				Source: report.Source{PartnerID: p.ID, Channel: "api", ReceivedAt: sub.Case.SubmittedAt}}
			if j > 0 && rng.IntN(5) == 0 {
				e.ContentKey = entries[0].ContentKey // the same content again: no new report
			} else {
				fresh = append(fresh, sub)
			}
			entries = append(entries, e)
		}
		filed, err := f.s.SubmitReports(ctx, report.Batch{Entries: entries})
		ok(t, err)
		for i, fl := range filed {
			if fl.Duplicate != (entries[i].ContentKey == entries[0].ContentKey && i > 0) {
				t.Fatalf("round %d entry %d: duplicate %v", round, i, fl.Duplicate)
			}
		}
		subs = append(subs, fresh...)
		got, _ := f.partition(subs)
		same(t, fmt.Sprintf("campaigns after batch %d", round), got, referencePartition(subs, maxDegree, knownGood))
		if t.Failed() {
			return
		}
	}
	// Every holder counted, once per report.
	holders := map[string]int{}
	for _, s := range subs {
		seen := map[string]bool{}
		for _, v := range s.Seen {
			if !seen[v.Key] {
				seen[v.Key] = true
				holders[v.Key]++
			}
		}
	}
	states, err := f.s.KeyStates(ctx, pool)
	ok(t, err)
	for _, k := range pool {
		if states[k].Reports != holders[k] {
			t.Errorf("key %s: degree %d, %d reports hold it", k, states[k].Reports, holders[k])
		}
	}
	// Times: each campaign spans its reports' submission times.
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for _, s := range subs {
		c := f.campaignOf(s.Case.ID)
		if a := s.Case.SubmittedAt; first[c.ID].IsZero() || a.Before(first[c.ID]) {
			first[c.ID] = a
		}
		if a := s.Case.SubmittedAt; a.After(last[c.ID]) {
			last[c.ID] = a
		}
	}
	for id := range first {
		c, err := f.s.CampaignByID(ctx, id)
		ok(t, err)
		if !c.FirstSeen.Equal(first[id]) || !c.LastSeen.Equal(last[id]) {
			t.Errorf("campaign %s: seen %s–%s, its reports %s–%s", c.Ref, c.FirstSeen, c.LastSeen, first[id], last[id])
		}
	}
	// A large batch (statements of many rows, COPY on PostgreSQL): every
	// event has its outbox entry, once.
	before := len(f.pending())
	var big []report.BatchEntry
	for range 120 {
		sub := newSub()
		big = append(big, report.BatchEntry{Sub: sub, Source: report.Source{PartnerID: p.ID, Channel: "api", ReceivedAt: sub.Case.SubmittedAt}})
		subs = append(subs, sub)
	}
	_, err = f.s.SubmitReports(ctx, report.Batch{Entries: big})
	ok(t, err)
	pend := f.pending()
	if n := len(pend) - before; n != len(big) {
		t.Errorf("a batch of %d reports logged %d events", len(big), n)
	}
	ids := map[int64]bool{}
	for _, e := range pend {
		if ids[e.ID] {
			t.Errorf("outbox ID %d twice", e.ID)
		}
		ids[e.ID] = true
	}
	got, _ := f.partition(subs)
	same(t, "campaigns after a large batch", got, referencePartition(subs, maxDegree, knownGood))

	st, err := f.s.RebuildCampaigns(ctx, maxDegree)
	ok(t, err)
	if st.Moved != 0 || st.Created != 0 || st.Merged != 0 {
		t.Errorf("rebuilding after batches changed the index: %+v", st)
	}
}
