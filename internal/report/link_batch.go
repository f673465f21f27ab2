package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/guichet/guichet"
)

// BatchLinkTx is what filing many new reports in campaigns at once needs
// from a store's write transaction: the steps of LinkTx, set-based, so that
// a batch costs a few statements rather than a few per report. The locking
// rules of LinkTx hold: HoldKeysN locks the index rows of its keys in key
// order, LockCampaigns the campaign rows in ID order.
type BatchLinkTx interface {
	// PeekKeys returns the degree threshold and the states of keys
	// (distinct, sorted) without locking anything, as LinkTx's MaxDegree
	// and PeekKeys.
	PeekKeys(ctx context.Context, keys []string) (maxDegree int, states []KeyState, err error)
	// HoldKeysN records n[i] more reports holding keys[i] (keys distinct,
	// sorted; n[i] ≥ 1), seen at at, and returns their states afterwards,
	// in the same order, and the threshold read once their rows are
	// held. A key new to the index takes the label of the known-good entry
	// covering it, if any (CoveredBy).
	HoldKeysN(ctx context.Context, keys []string, n []int, at time.Time) (states []KeyState, maxDegree int, err error)
	// KeyCampaigns returns, for each of keys held by a report filed in a
	// campaign, the IDs of those campaigns, sorted; a key no filed report
	// holds is absent.
	KeyCampaigns(ctx context.Context, keys []string) (map[string][]string, error)
	// LockCampaigns locks the campaigns ids (sorted) and returns them as
	// they are once locked, in the same order, and KeyCampaigns(keys) read
	// once they are.
	LockCampaigns(ctx context.Context, ids, keys []string) ([]Campaign, map[string][]string, error)
	// CampaignMembers is LinkTx's.
	CampaignMembers(ctx context.Context, id string) ([]Member, error)
	// CampaignRefsTaken returns which of refs campaigns hold already.
	CampaignRefsTaken(ctx context.Context, refs []string) (map[string]bool, error)
	// WriteLinks writes w: the new campaigns first, then the merges, the
	// reports filed, and the campaigns updated.
	WriteLinks(ctx context.Context, w LinkWrites) error
}

// LinkWrites are the writes of one LinkBatch.
type LinkWrites struct {
	// Insert are new live campaigns, each with its ID, reference, count
	// and times.
	Insert []Campaign
	// From[i] is merged into Into[i]: its reports move there and it is
	// marked merged, with no reports left.
	From, Into []string
	// Files files each report in its campaign (whatever campaign it was
	// in).
	Files []Assignment
	// Update are campaigns whose counts, times and MergedInto change.
	Update []Campaign
}

// NewReport is one report of a batch as LinkBatch files it.
type NewReport struct {
	CaseID string
	At     time.Time // its submission time
	Keys   []string  // the keys of its valid values (duplicates ignored)
}

// LinkBatch files the new reports of one transaction in their campaigns at
// once, so that the campaigns afterwards are exactly those Link would
// leave filing them one after the other: the connected components over the
// keys that link once every report is counted. Keys' degrees rise by the
// number of reports of the batch holding each; a key that thereby passes
// the threshold splits the campaigns it held together; campaigns joined
// through the batch are merged into the one holding most of their reports
// (as Link: the largest, then the oldest), which keeps its reference;
// reports joined to no campaign found new ones. newID makes a new
// campaign's ID; rand draws its reference.
func LinkBatch(ctx context.Context, tx BatchLinkTx, reports []NewReport, newID func() string, rand io.Reader) error {
	if len(reports) == 0 {
		return nil
	}
	holders := map[string]int{}
	reportKeys := make([][]string, len(reports))
	for i, r := range reports {
		reportKeys[i] = distinctKeys(r.Keys)
		for _, k := range reportKeys[i] {
			holders[k]++
		}
	}
	keys := slices.Sorted(maps.Keys(holders))
	maxDegree, peek, err := tx.PeekKeys(ctx, keys)
	if err != nil {
		return err
	}
	states := make(map[string]KeyState, len(keys))
	if len(keys) > 0 {
		latest := reports[0].At
		for _, r := range reports {
			if r.At.After(latest) {
				latest = r.At
			}
		}
		// As Link: the keys that link nothing (known-good, hubs) are
		// counted last, so that filings holding them wait for each
		// other's end only.
		var now, later []string
		for i, k := range keys {
			if p := peek[i]; p.KnownGood != nil || p.Reports > maxDegree {
				later = append(later, k)
			} else {
				now = append(now, k)
			}
		}
		for step, ks := range [][]string{now, later} {
			if len(ks) == 0 {
				continue
			}
			n := make([]int, len(ks))
			for i, k := range ks {
				n[i] = holders[k]
			}
			// Once these rows are held, a rebuild in progress has
			// committed: the threshold read then is the one it set.
			got, md, err := tx.HoldKeysN(ctx, ks, n, latest)
			if err != nil {
				return err
			}
			for i, st := range got {
				states[ks[i]] = st
			}
			if step == 0 {
				maxDegree = md
			}
		}
	}
	// The keys whose holders must be looked at: those that link, and
	// those that linked before this batch and no longer do (their
	// campaigns split).
	var look []string
	crossed := map[string]bool{}
	for _, k := range keys {
		st := states[k]
		switch before := st.Reports - holders[k]; {
		case st.Links(maxDegree):
			look = append(look, k)
		case st.KnownGood == nil && before >= 1 && before <= maxDegree:
			look = append(look, k)
			crossed[k] = true
		}
	}
	held, camps, err := lockHolding(ctx, tx, look)
	if err != nil {
		return err
	}

	// The graph: campaigns untouched by a split are one node each; the
	// reports of campaigns that split, and the batch's, are a node each.
	splitting := map[string]bool{}
	for k := range crossed {
		for _, id := range held[k] {
			splitting[id] = true
		}
	}
	const campaignNode = "campaign\x00"
	var p Partition
	memberOf := map[string]string{}
	at := map[string]time.Time{}
	for _, id := range slices.Sorted(maps.Keys(splitting)) {
		members, err := tx.CampaignMembers(ctx, id)
		if err != nil {
			return err
		}
		for _, m := range members {
			p.Add(m.CaseID, m.At, m.Key, m.Key != "" && m.State.Links(maxDegree))
			memberOf[m.CaseID] = id
			at[m.CaseID] = m.At
		}
	}
	for _, k := range look {
		if crossed[k] {
			continue
		}
		for _, id := range held[k] {
			if !splitting[id] {
				p.Add(campaignNode+id, camps[id].FirstSeen, k, true)
			}
		}
	}
	for i, r := range reports {
		at[r.CaseID] = r.At
		if len(reportKeys[i]) == 0 {
			p.Add(r.CaseID, r.At, "", false)
		}
		for _, k := range reportKeys[i] {
			p.Add(r.CaseID, r.At, k, states[k].Links(maxDegree))
		}
	}

	// Each component is a campaign: the one that held most of its
	// reports keeps its reference, unless a larger component took it.
	type part struct {
		Campaign
		nodes   []string
		holding map[string]int // campaign → its reports here
	}
	var parts []part
	for _, comp := range p.Components() {
		pt := part{nodes: comp.CaseIDs, holding: map[string]int{}}
		for _, node := range comp.CaseIDs {
			var c Campaign
			if id, ok := cutPrefix(node, campaignNode); ok {
				c = camps[id]
				pt.holding[id] += c.Reports
			} else {
				c = Campaign{Reports: 1, FirstSeen: at[node], LastSeen: at[node]}
				if id := memberOf[node]; id != "" {
					pt.holding[id]++
				}
			}
			pt.Campaign = absorb(pt.Campaign, c)
		}
		parts = append(parts, pt)
	}
	slices.SortStableFunc(parts, func(a, b part) int {
		if c := cmp.Compare(b.Reports, a.Reports); c != 0 {
			return c
		}
		return a.FirstSeen.Compare(b.FirstSeen)
	})
	claimed := map[string]bool{}
	var (
		insert, update []Campaign
		from, into     []string
		files          []Assignment
	)
	formerly := map[string]map[string]int{} // split campaign → new home → reports
	for _, pt := range parts {
		best := ""
		for id, n := range pt.holding {
			if claimed[id] {
				continue
			}
			if best == "" || n > pt.holding[best] || n == pt.holding[best] && larger(camps[id], camps[best]) < 0 {
				best = id
			}
		}
		c := pt.Campaign
		if best == "" {
			c.ID = newID()
			insert = append(insert, c)
		} else {
			claimed[best] = true
			c.ID, c.Ref = best, camps[best].Ref
			update = append(update, c)
		}
		for _, node := range pt.nodes {
			if id, ok := cutPrefix(node, campaignNode); ok {
				if id != c.ID {
					from, into = append(from, id), append(into, c.ID)
				}
				continue
			}
			old := memberOf[node]
			if old == c.ID {
				continue
			}
			files = append(files, Assignment{CaseID: node, CampaignID: c.ID})
			if old != "" {
				if formerly[old] == nil {
					formerly[old] = map[string]int{}
				}
				formerly[old][c.ID]++
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(splitting)) {
		if claimed[id] {
			continue
		}
		home := ""
		for h, n := range formerly[id] {
			if home == "" || n > formerly[id][home] || n == formerly[id][home] && h < home {
				home = h
			}
		}
		if home == "" {
			continue
		}
		c := camps[id]
		c.Reports, c.MergedInto = 0, home
		update = append(update, c)
	}
	if err := drawRefs(ctx, tx, insert, rand); err != nil {
		return err
	}
	slices.SortFunc(update, func(a, b Campaign) int { return cmp.Compare(a.ID, b.ID) })
	return tx.WriteLinks(ctx, LinkWrites{Insert: insert, From: from, Into: into, Files: files, Update: update})
}

// lockHolding returns the campaigns holding each of keys, and those
// campaigns locked, read again until nothing moved between the look and
// the locks.
func lockHolding(ctx context.Context, tx BatchLinkTx, keys []string) (map[string][]string, map[string]Campaign, error) {
	if len(keys) == 0 {
		return map[string][]string{}, map[string]Campaign{}, nil
	}
	for range attemptsToLock {
		held, err := tx.KeyCampaigns(ctx, keys)
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, cs := range held {
			ids = append(ids, cs...)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) == 0 {
			return held, map[string]Campaign{}, nil
		}
		cs, again, err := tx.LockCampaigns(ctx, ids, keys)
		if err != nil {
			return nil, nil, err
		}
		if !maps.EqualFunc(held, again, slices.Equal) || slices.ContainsFunc(cs, func(c Campaign) bool { return c.MergedInto != "" }) {
			continue
		}
		camps := make(map[string]Campaign, len(cs))
		for _, c := range cs {
			camps[c.ID] = c
		}
		return held, camps, nil
	}
	return nil, nil, fmt.Errorf("report: campaigns kept changing while linking a batch: %w", guichet.ErrUnavailable)
}

// drawRefs gives each of cs a reference no campaign holds.
func drawRefs(ctx context.Context, tx BatchLinkTx, cs []Campaign, rand io.Reader) error {
	todo := make([]int, len(cs))
	for i := range cs {
		todo[i] = i
	}
	mine := map[string]bool{}
	for range 16 {
		if len(todo) == 0 {
			return nil
		}
		refs := make([]string, 0, len(todo))
		for _, i := range todo {
			ref, err := NewCampaignRef(rand, RefYear(cs[i].FirstSeen))
			if err != nil {
				return err
			}
			cs[i].Ref = ref
			refs = append(refs, ref)
		}
		taken, err := tx.CampaignRefsTaken(ctx, refs)
		if err != nil {
			return err
		}
		var again []int
		for _, i := range todo {
			if r := cs[i].Ref; taken[r] || mine[r] {
				again = append(again, i)
			} else {
				mine[r] = true
			}
		}
		todo = again
	}
	return fmt.Errorf("report: new campaigns: 16 reference collisions: %w", guichet.ErrConflict)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
