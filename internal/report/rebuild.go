package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// RebuildTx is what rebuilding campaigns from scratch needs from a store's
// write transaction.
type RebuildTx interface {
	// PrepareRebuild takes the locks that keep anyone else from filing
	// reports in campaigns or changing the index until the transaction
	// ends, records maxDegree as the index's threshold, recounts every
	// key's degree from the values reports hold, and labels each key with
	// the known-good entry covering it (Covers), if any.
	PrepareRebuild(ctx context.Context, maxDegree int) error
	// ScanReports calls fn for each key of each report, a report's rows
	// together (a report holding no key comes once, with Key ""), with the
	// campaign it is in ("" for none).
	ScanReports(ctx context.Context, fn func(RebuildRow) error) error
	// AllCampaigns returns every campaign, live or merged.
	AllCampaigns(ctx context.Context) ([]Campaign, error)
	// WriteCampaigns stores the campaigns insert (new, with their ID and
	// reference) then writes the counts, times and MergedInto of update.
	WriteCampaigns(ctx context.Context, update, insert []Campaign) error
	// WriteAssignments files each report in its campaign.
	WriteAssignments(ctx context.Context, a []Assignment) error
}

// RebuildRow is one key of one report, as ScanReports reads it.
type RebuildRow struct {
	CaseID   string
	At       time.Time
	Campaign string
	Key      string
	State    KeyState
}

// Assignment files a report in a campaign.
type Assignment struct{ CaseID, CampaignID string }

// RebuildOptions are the inputs of Rebuild besides the store.
type RebuildOptions struct {
	// MaxDegree is the threshold the index is rebuilt with (≥ 1).
	MaxDegree int
	// NewID makes the ID of a new campaign (UUIDv7).
	NewID func() string
	// Rand draws new campaigns' references (whose year is that of their
	// first report).
	Rand io.Reader
}

// RebuildStats says what a rebuild found and did.
type RebuildStats struct {
	Reports     int // reports
	Values      int // (report, key) pairs: the indicators of the index
	Keys        int // distinct keys
	LinkingKeys int // distinct keys that link
	Campaigns   int // campaigns of two reports or more
	Alone       int // reports linked to no other
	Largest     int // reports in the largest campaign
	Kept        int // campaigns whose reference was kept
	Created     int // campaigns created
	Merged      int // live campaigns merged into another one
	Moved       int // reports whose campaign changed
}

// Rebuild recomputes every campaign from the values reports hold, under
// opts.MaxDegree and the current known-good list: the connected
// components over the keys that link, as incremental linking keeps them.
// References are kept where they can be: each component, largest first,
// keeps the campaign that held most of its reports, unless a larger
// component took it; the others are new. A campaign left with no report is
// marked merged into the one holding most of its former reports. Only
// reports whose campaign changes are written again.
func Rebuild(ctx context.Context, tx RebuildTx, opts RebuildOptions) (RebuildStats, error) {
	var st RebuildStats
	if opts.MaxDegree < 1 {
		return st, fmt.Errorf("report: rebuild: the threshold must be at least 1, not %d", opts.MaxDegree)
	}
	if err := tx.PrepareRebuild(ctx, opts.MaxDegree); err != nil {
		return st, err
	}
	var p Partition
	old := map[string]string{}
	keys := map[string]struct{}{}
	err := tx.ScanReports(ctx, func(r RebuildRow) error {
		links := r.Key != "" && r.State.Links(opts.MaxDegree)
		p.Add(r.CaseID, r.At, r.Key, links)
		if r.Campaign != "" {
			old[r.CaseID] = r.Campaign
		}
		if r.Key != "" {
			st.Values++
			keys[r.Key] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Reports, st.Keys, st.LinkingKeys = p.Reports(), len(keys), p.LinkingKeys()
	clear(keys)
	comps := p.Components()

	existing, err := tx.AllCampaigns(ctx)
	if err != nil {
		return st, err
	}
	byID := make(map[string]Campaign, len(existing))
	refs := make(map[string]bool, len(existing))
	for _, c := range existing {
		byID[c.ID] = c
		refs[c.Ref] = true
	}
	claimed := map[string]bool{}
	var update, insert []Campaign
	var moves []Assignment
	// formerly[old][new] counts the reports of campaign old now in new.
	formerly := map[string]map[string]int{}
	for _, comp := range comps {
		if len(comp.CaseIDs) > 1 {
			st.Campaigns++
		} else {
			st.Alone++
		}
		st.Largest = max(st.Largest, len(comp.CaseIDs))
		tally := map[string]int{}
		for _, id := range comp.CaseIDs {
			if o := old[id]; o != "" && !claimed[o] {
				tally[o]++
			}
		}
		best := ""
		for id, n := range tally {
			if best == "" || n > tally[best] || (n == tally[best] && id < best) {
				best = id
			}
		}
		c := comp.Campaign()
		if b, ok := byID[best]; ok {
			claimed[best] = true
			c.ID, c.Ref = b.ID, b.Ref
			update = append(update, c)
			st.Kept++
		} else {
			ref, err := freshRef(opts, RefYear(c.FirstSeen), refs)
			if err != nil {
				return st, err
			}
			c.ID, c.Ref = opts.NewID(), ref
			insert = append(insert, c)
			st.Created++
		}
		for _, id := range comp.CaseIDs {
			o := old[id]
			if o == c.ID {
				continue
			}
			moves = append(moves, Assignment{CaseID: id, CampaignID: c.ID})
			if o != "" {
				if formerly[o] == nil {
					formerly[o] = map[string]int{}
				}
				formerly[o][c.ID]++
			}
		}
	}
	st.Moved = len(moves)
	for _, c := range existing {
		if claimed[c.ID] || c.MergedInto != "" {
			continue
		}
		into := ""
		for id, n := range formerly[c.ID] {
			if into == "" || n > formerly[c.ID][into] || (n == formerly[c.ID][into] && id < into) {
				into = id
			}
		}
		if into == "" {
			continue // it held no report
		}
		c.Reports, c.MergedInto = 0, into
		update = append(update, c)
		st.Merged++
	}
	slices.SortFunc(update, func(a, b Campaign) int { return cmp.Compare(a.ID, b.ID) })
	if err := tx.WriteCampaigns(ctx, update, insert); err != nil {
		return st, err
	}
	if err := tx.WriteAssignments(ctx, moves); err != nil {
		return st, err
	}
	return st, nil
}

// freshRef draws a campaign reference not in taken, and adds it.
func freshRef(opts RebuildOptions, year int, taken map[string]bool) (string, error) {
	for range 64 {
		ref, err := NewCampaignRef(opts.Rand, year)
		if err != nil {
			return "", err
		}
		if !taken[ref] {
			taken[ref] = true
			return ref, nil
		}
	}
	return "", fmt.Errorf("report: rebuild: 64 reference collisions in a row")
}

// RefYear is the year in the reference of a campaign first seen at t: its
// year, or 2000 for a time before (a report without a submission time).
func RefYear(t time.Time) int { return min(max(t.Year(), 2000), 9999) }

// SyntheticKeys are the keys of synthetic report i, as the stores'
// benchmark generators (guichet bench reports) write them: a phone number
// shared by the four reports 4k…4k+3; every tenth report also holds the
// next four's number, chaining them into campaigns of a few to a few
// dozen reports; every fiftieth holds gmail.com (known-good) and every
// ninety-seventh one URL held by about 1% of reports (a hub). About 1.13
// keys a report.
func SyntheticKeys(i int) []string {
	keys := []string{fmt.Sprintf("phone:+336%08d", i/4)}
	if i%10 == 0 {
		keys = append(keys, fmt.Sprintf("phone:+336%08d", i/4+1))
	}
	if i%50 == 0 {
		keys = append(keys, "domain:gmail.com")
	}
	if i%97 == 0 {
		keys = append(keys, "url:https://hub.example/")
	}
	return keys
}
