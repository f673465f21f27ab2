package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet"
)

// LinkTx is what filing reports in campaigns needs from a store's write
// transaction. Link, Unlinked and Relinked hold the algorithm; a store
// implements these steps in its own SQL and calls them inside the
// transaction that makes the change, so a report joins its campaign in the
// transaction that files it and a crash never leaves one unlinked.
//
// Concurrency: a store on which several transactions write at once MUST
// lock the index rows of the keys HoldKeys touches, and the campaign rows
// LockCampaigns names, until the transaction ends. Whoever moves a report
// from one campaign to another holds both campaigns' locks; the algorithm
// reads campaigns again once it holds their locks and starts over when
// they changed, so concurrent filings that bridge the same campaigns merge
// them correctly.
type LinkTx interface {
	// MaxDegree returns the degree threshold the index is built with.
	MaxDegree(ctx context.Context) (int, error)
	// PeekKeys returns the states of keys (distinct, sorted) without
	// locking anything: a key the index does not know has degree 0.
	PeekKeys(ctx context.Context, keys []string) ([]KeyState, error)
	// HoldKeys records one more report holding each of keys (distinct,
	// sorted), seen at at, and returns their states afterwards, in the
	// same order. A key new to the index takes the label of the known-good
	// entry covering it, if any (CoveredBy).
	HoldKeys(ctx context.Context, keys []string, at time.Time) ([]KeyState, error)
	// CampaignsHolding returns the IDs, sorted, of the campaigns of the
	// reports other than except holding any of keys.
	CampaignsHolding(ctx context.Context, keys []string, except string) ([]string, error)
	// LockCampaigns locks the campaigns ids (sorted) and returns them as
	// they are once locked, in the same order.
	LockCampaigns(ctx context.Context, ids []string) ([]Campaign, error)
	// CampaignMembers returns every report of a campaign with the state of
	// each key it holds (a report holding none comes once, with Key "").
	CampaignMembers(ctx context.Context, id string) ([]Member, error)
	// NewCampaign stores a new live campaign holding c.Reports reports,
	// with a fresh ID and reference, and returns it.
	NewCampaign(ctx context.Context, c Campaign) (Campaign, error)
	// PutReports files the reports caseIDs in campaign id (whatever
	// campaign they were in).
	PutReports(ctx context.Context, caseIDs []string, id string) error
	// MergeCampaign moves every report of campaign from into campaign into
	// and marks from merged into into, with no reports left.
	MergeCampaign(ctx context.Context, from, into string) error
	// SaveCampaign writes c's report count and first and last times.
	SaveCampaign(ctx context.Context, c Campaign) error
	// ReportCampaign returns the campaign report caseID is in.
	ReportCampaign(ctx context.Context, caseID string) (Campaign, error)
}

// Member is one key of one report of a campaign (or a report holding no
// key, with Key empty).
type Member struct {
	CaseID string
	At     time.Time // the report's submission time
	Key    string
	State  KeyState
}

// attemptsToLock bounds how often linking starts over because campaigns
// changed under it before their locks were held.
const attemptsToLock = 16

// Link files the new report caseID, submitted at at and holding keys
// (invalid values have none; duplicates are ignored), in its campaign: the
// keys' degrees rise, a key that thereby passes the threshold splits the
// campaign it held together, and the campaigns of the reports sharing a
// key that links with this one are merged into the largest, which the
// report joins; a report sharing no such key founds a campaign of its own.
// It returns the report's campaign.
//
// Keys that link nothing whatever this report does — known-good ones, and
// hubs already past the threshold — are counted last, so that the
// transactions of the many reports holding them (gmail.com) wait for each
// other only for the end of the transaction; if, their rows once held,
// such a key turns out to link (taken off the list meanwhile), the report
// is linked through it then.
func Link(ctx context.Context, tx LinkTx, caseID string, at time.Time, keys []string) (Campaign, error) {
	keys = distinctKeys(keys)
	if len(keys) == 0 {
		return join(ctx, tx, nil, &Member{CaseID: caseID, At: at})
	}
	peek, err := tx.PeekKeys(ctx, keys)
	if err != nil {
		return Campaign{}, err
	}
	maxDegree, err := tx.MaxDegree(ctx)
	if err != nil {
		return Campaign{}, err
	}
	var now, later []string
	for i, k := range keys {
		if p := peek[i]; p.KnownGood != nil || p.Reports > maxDegree {
			later = append(later, k)
		} else {
			now = append(now, k)
		}
	}
	var states []KeyState
	if len(now) > 0 {
		if states, err = tx.HoldKeys(ctx, now, at); err != nil {
			return Campaign{}, err
		}
		// Once these rows are held, a rebuild in progress has committed:
		// read the threshold it set.
		if maxDegree, err = tx.MaxDegree(ctx); err != nil {
			return Campaign{}, err
		}
	}
	linking, crossed := sortKeys(now, states, maxDegree)
	if len(crossed) > 0 {
		if err := splitHolding(ctx, tx, crossed, caseID, maxDegree); err != nil {
			return Campaign{}, err
		}
	}
	c, err := join(ctx, tx, linking, &Member{CaseID: caseID, At: at})
	if err != nil || len(later) == 0 {
		return c, err
	}
	if states, err = tx.HoldKeys(ctx, later, at); err != nil {
		return Campaign{}, err
	}
	linking, crossed = sortKeys(later, states, maxDegree)
	if len(linking)+len(crossed) == 0 {
		return c, nil
	}
	// The list or the threshold changed since the peek: link as if this
	// report had been there all along.
	if len(crossed) > 0 {
		if err := splitHolding(ctx, tx, crossed, "", maxDegree); err != nil {
			return Campaign{}, err
		}
	}
	if err := Relinked(ctx, tx, linking); err != nil {
		return Campaign{}, err
	}
	return tx.ReportCampaign(ctx, caseID)
}

// sortKeys returns which of keys (with their states after this report)
// link, and which just passed the threshold.
func sortKeys(keys []string, states []KeyState, maxDegree int) (linking, crossed []string) {
	for i, st := range states {
		switch {
		case st.KnownGood != nil:
		case st.Reports <= maxDegree:
			linking = append(linking, keys[i])
		case st.Reports == maxDegree+1:
			// It linked its holders until this report: no more.
			crossed = append(crossed, keys[i])
		}
	}
	return linking, crossed
}

// Relinked merges the campaigns of the reports holding keys that link
// again (taken off the known-good list). The caller passes only keys that
// now link.
func Relinked(ctx context.Context, tx LinkTx, keys []string) error {
	for _, k := range distinctKeys(keys) {
		// One key at a time: two keys linking again tie their own
		// holders, not each other's.
		if _, err := join(ctx, tx, []string{k}, nil); err != nil {
			return err
		}
	}
	return nil
}

// join merges the campaigns of the reports holding keys (other than
// newcomer's) into the largest, and files newcomer there; with no such
// campaign, newcomer founds its own. newcomer may be nil.
func join(ctx context.Context, tx LinkTx, keys []string, newcomer *Member) (Campaign, error) {
	except := ""
	if newcomer != nil {
		except = newcomer.CaseID
	}
	for range attemptsToLock {
		var ids []string
		if len(keys) > 0 {
			var err error
			if ids, err = tx.CampaignsHolding(ctx, keys, except); err != nil {
				return Campaign{}, err
			}
		}
		if len(ids) == 0 {
			if newcomer == nil {
				return Campaign{}, nil
			}
			c, err := tx.NewCampaign(ctx, Campaign{Reports: 1, FirstSeen: newcomer.At, LastSeen: newcomer.At})
			if err != nil {
				return Campaign{}, err
			}
			return c, tx.PutReports(ctx, []string{newcomer.CaseID}, c.ID)
		}
		cs, err := tx.LockCampaigns(ctx, ids)
		if err != nil {
			return Campaign{}, err
		}
		// Once the locks are held nothing moves these reports; check that
		// nothing did before.
		again, err := tx.CampaignsHolding(ctx, keys, except)
		if err != nil {
			return Campaign{}, err
		}
		if !slices.Equal(again, ids) || slices.ContainsFunc(cs, func(c Campaign) bool { return c.MergedInto != "" }) {
			continue
		}
		slices.SortFunc(cs, larger)
		into := cs[0]
		for _, c := range cs[1:] {
			if err := tx.MergeCampaign(ctx, c.ID, into.ID); err != nil {
				return Campaign{}, err
			}
			into = absorb(into, c)
		}
		if newcomer != nil {
			if err := tx.PutReports(ctx, []string{newcomer.CaseID}, into.ID); err != nil {
				return Campaign{}, err
			}
			into = absorb(into, Campaign{Reports: 1, FirstSeen: newcomer.At, LastSeen: newcomer.At})
		}
		if len(cs) > 1 || newcomer != nil {
			if err := tx.SaveCampaign(ctx, into); err != nil {
				return Campaign{}, err
			}
		}
		return into, nil
	}
	return Campaign{}, fmt.Errorf("report: campaigns kept changing while linking: %w", guichet.ErrUnavailable)
}

// larger orders campaigns largest first, then oldest, then by ID: the
// first absorbs the others.
func larger(a, b Campaign) int {
	if c := cmp.Compare(b.Reports, a.Reports); c != 0 {
		return c
	}
	if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// absorb returns into with c's reports and times added.
func absorb(into, c Campaign) Campaign {
	into.Reports += c.Reports
	if into.FirstSeen.IsZero() || (!c.FirstSeen.IsZero() && c.FirstSeen.Before(into.FirstSeen)) {
		into.FirstSeen = c.FirstSeen
	}
	if c.LastSeen.After(into.LastSeen) {
		into.LastSeen = c.LastSeen
	}
	return into
}

// splitHolding splits the campaigns of the reports (but except) holding
// keys into their connected components.
func splitHolding(ctx context.Context, tx LinkTx, keys []string, except string, maxDegree int) error {
	done := map[string]bool{}
	for range attemptsToLock {
		ids, err := tx.CampaignsHolding(ctx, keys, except)
		if err != nil {
			return err
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return done[id] })
		if len(ids) == 0 {
			return nil
		}
		cs, err := tx.LockCampaigns(ctx, ids)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.MergedInto != "" {
				continue // its reports moved: look again
			}
			made, err := split(ctx, tx, c, maxDegree)
			if err != nil {
				return err
			}
			// Its parts are components already: no need to look again.
			done[c.ID] = true
			for _, id := range made {
				done[id] = true
			}
		}
	}
	return fmt.Errorf("report: campaigns kept changing while splitting: %w", guichet.ErrUnavailable)
}

// split makes campaign c (locked) the connected components of its reports
// over the keys that link: the largest keeps c, each other one becomes a
// new campaign, whose IDs it returns.
func split(ctx context.Context, tx LinkTx, c Campaign, maxDegree int) ([]string, error) {
	members, err := tx.CampaignMembers(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var p Partition
	for _, m := range members {
		p.Add(m.CaseID, m.At, m.Key, m.Key != "" && m.State.Links(maxDegree))
	}
	comps := p.Components()
	var made []string
	for i, comp := range comps {
		cc := comp.Campaign()
		if i == 0 {
			cc.ID, cc.Ref = c.ID, c.Ref
			if err := tx.SaveCampaign(ctx, cc); err != nil {
				return nil, err
			}
			continue
		}
		nc, err := tx.NewCampaign(ctx, cc)
		if err != nil {
			return nil, err
		}
		if err := tx.PutReports(ctx, comp.CaseIDs, nc.ID); err != nil {
			return nil, err
		}
		made = append(made, nc.ID)
	}
	return made, nil
}

// distinctKeys returns the non-empty keys of keys, sorted, once each.
func distinctKeys(keys []string) []string {
	out := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// Partition computes campaigns from scratch: reports added with the keys
// they hold fall into the connected components of the graph in which two
// reports are joined when they hold a common key that links. The zero
// value is empty and ready to use. It is not safe for concurrent use.
type Partition struct {
	index  map[string]int32 // case ID → report
	ids    []string
	at     []time.Time
	parent []int32
	size   []int32
	keys   map[string]int32 // linking key → first report holding it
}

// Add records that report caseID, submitted at at, holds key (which links
// or not); key may be empty to add a report holding none. Adding the same
// report again adds its key.
func (p *Partition) Add(caseID string, at time.Time, key string, links bool) {
	if p.index == nil {
		p.index, p.keys = map[string]int32{}, map[string]int32{}
	}
	r, ok := p.index[caseID]
	if !ok {
		r = int32(len(p.ids))
		p.index[caseID] = r
		p.ids = append(p.ids, caseID)
		p.at = append(p.at, at)
		p.parent = append(p.parent, r)
		p.size = append(p.size, 1)
	}
	if key == "" || !links {
		return
	}
	if first, ok := p.keys[key]; ok {
		p.union(first, r)
	} else {
		p.keys[key] = r
	}
}

// Reports returns how many reports were added.
func (p *Partition) Reports() int { return len(p.ids) }

// LinkingKeys returns how many distinct linking keys were added.
func (p *Partition) LinkingKeys() int { return len(p.keys) }

func (p *Partition) find(x int32) int32 {
	for p.parent[x] != x {
		p.parent[x] = p.parent[p.parent[x]] // path halving
		x = p.parent[x]
	}
	return x
}

func (p *Partition) union(a, b int32) {
	a, b = p.find(a), p.find(b)
	if a == b {
		return
	}
	if p.size[a] < p.size[b] {
		a, b = b, a
	}
	p.parent[b] = a
	p.size[a] += p.size[b]
}

// Component is one connected set of reports.
type Component struct {
	CaseIDs             []string // in the order added
	FirstSeen, LastSeen time.Time
}

// Campaign returns a campaign (without ID or reference) holding c.
func (c Component) Campaign() Campaign {
	return Campaign{Reports: len(c.CaseIDs), FirstSeen: c.FirstSeen, LastSeen: c.LastSeen}
}

// Components returns the connected components, largest first, then
// oldest, then in the order their first report was added.
func (p *Partition) Components() []Component {
	byRoot := map[int32]int{}
	var out []Component
	for r := range p.ids {
		root := p.find(int32(r))
		i, ok := byRoot[root]
		if !ok {
			i = len(out)
			byRoot[root] = i
			out = append(out, Component{FirstSeen: p.at[r], LastSeen: p.at[r]})
		}
		c := &out[i]
		c.CaseIDs = append(c.CaseIDs, p.ids[r])
		if p.at[r].Before(c.FirstSeen) {
			c.FirstSeen = p.at[r]
		}
		if p.at[r].After(c.LastSeen) {
			c.LastSeen = p.at[r]
		}
	}
	slices.SortStableFunc(out, func(a, b Component) int {
		if c := cmp.Compare(len(b.CaseIDs), len(a.CaseIDs)); c != 0 {
			return c
		}
		return a.FirstSeen.Compare(b.FirstSeen)
	})
	return out
}

// KnownGoodTx is what editing the known-good list needs besides LinkTx.
type KnownGoodTx interface {
	LinkTx
	// KnownGoodKeys returns which of keys are entries of the known-good
	// list.
	KnownGoodKeys(ctx context.Context, keys []string) (map[string]bool, error)
	// LabelKeys sets, for each key of entries, the key of the known-good
	// entry covering it ("" for none), creating index rows of degree 0
	// for keys no report holds yet, and returns the keys' states from
	// before. It locks the keys' rows as HoldKeys does, in key order.
	LabelKeys(ctx context.Context, entries map[string]string) (map[string]KeyState, error)
}

// Relabel brings the index in line with the known-good list after the
// entry entryKey was added to or removed from it (in the same
// transaction): every key the entry covers takes the entry now covering it,
// if any; campaigns held together by keys that stopped linking are split,
// and those of reports holding keys that link again are merged.
func Relabel(ctx context.Context, tx KnownGoodTx, entryKey string) error {
	maxDegree, err := tx.MaxDegree(ctx)
	if err != nil {
		return err
	}
	covered := Covers(entryKey)
	var candidates []string
	for _, k := range covered {
		candidates = append(candidates, CoveredBy(k)...)
	}
	entries, err := tx.KnownGoodKeys(ctx, distinctKeys(candidates))
	if err != nil {
		return err
	}
	labels := make(map[string]string, len(covered))
	for _, k := range covered {
		labels[k] = ""
		for _, e := range CoveredBy(k) {
			if entries[e] {
				labels[k] = e
				break
			}
		}
	}
	before, err := tx.LabelKeys(ctx, labels)
	if err != nil {
		return err
	}
	var stopped, started []string
	for _, k := range distinctKeys(covered) {
		b := before[k]
		if b.Reports == 0 {
			continue
		}
		was, now := b.Links(maxDegree), labels[k] == "" && b.Reports <= maxDegree
		switch {
		case was && !now:
			stopped = append(stopped, k)
		case !was && now:
			started = append(started, k)
		}
	}
	if len(stopped) > 0 {
		if err := splitHolding(ctx, tx, stopped, "", maxDegree); err != nil {
			return err
		}
	}
	return Relinked(ctx, tx, started)
}
