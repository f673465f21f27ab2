package report

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// memIndex is an in-memory store of the index, campaigns and known-good
// list: what LinkTx, KnownGoodTx and RebuildTx describe, without SQL, so
// the algorithm can be checked on its own against a reference.
type memIndex struct {
	maxDegree int
	keys      map[string]*KeyState
	entries   map[string]bool
	reports   []memReport // in submission order
	campaigns map[string]*Campaign
	in        map[string]string // case → campaign
	n         int
}

type memReport struct {
	id   string
	at   time.Time
	keys []string
}

func newMemIndex(maxDegree int) *memIndex {
	return &memIndex{maxDegree: maxDegree, keys: map[string]*KeyState{}, entries: map[string]bool{},
		campaigns: map[string]*Campaign{}, in: map[string]string{}}
}

func (m *memIndex) MaxDegree(context.Context) (int, error) { return m.maxDegree, nil }

func (m *memIndex) PeekKeys(_ context.Context, keys []string) ([]KeyState, error) {
	out := make([]KeyState, len(keys))
	for i, k := range keys {
		out[i] = KeyState{Key: k}
		if st := m.keys[k]; st != nil {
			out[i] = *st
		}
	}
	return out, nil
}

func (m *memIndex) ReportCampaign(_ context.Context, caseID string) (Campaign, error) {
	c, ok := m.campaigns[m.in[caseID]]
	if !ok {
		return Campaign{}, guichet.ErrNotFound
	}
	return *c, nil
}

func (m *memIndex) HoldKeys(_ context.Context, keys []string, _ time.Time) ([]KeyState, error) {
	out := make([]KeyState, len(keys))
	for i, k := range keys {
		st := m.keys[k]
		if st == nil {
			st = &KeyState{Key: k}
			for _, e := range CoveredBy(k) {
				if m.entries[e] {
					st.KnownGood = &KnownGood{Key: e}
					break
				}
			}
			m.keys[k] = st
		}
		st.Reports++
		out[i] = *st
	}
	return out, nil
}

func (m *memIndex) CampaignsHolding(_ context.Context, keys []string, except string) ([]string, error) {
	set := map[string]bool{}
	for _, r := range m.reports {
		if r.id == except || m.in[r.id] == "" {
			continue
		}
		for _, k := range r.keys {
			if slices.Contains(keys, k) {
				set[m.in[r.id]] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

func (m *memIndex) LockCampaigns(_ context.Context, ids []string) ([]Campaign, error) {
	out := make([]Campaign, len(ids))
	for i, id := range ids {
		c, ok := m.campaigns[id]
		if !ok {
			return nil, guichet.ErrNotFound
		}
		out[i] = *c
	}
	return out, nil
}

func (m *memIndex) CampaignMembers(_ context.Context, id string) ([]Member, error) {
	var out []Member
	for _, r := range m.reports {
		if m.in[r.id] != id {
			continue
		}
		if len(r.keys) == 0 {
			out = append(out, Member{CaseID: r.id, At: r.at})
		}
		for _, k := range r.keys {
			out = append(out, Member{CaseID: r.id, At: r.at, Key: k, State: *m.keys[k]})
		}
	}
	return out, nil
}

func (m *memIndex) NewCampaign(_ context.Context, c Campaign) (Campaign, error) {
	m.n++
	c.ID = fmt.Sprintf("c%06d", m.n)
	ref, err := NewCampaignRef(crand.Reader, 2026)
	if err != nil {
		return Campaign{}, err
	}
	c.Ref = ref
	m.campaigns[c.ID] = &c
	return c, nil
}

func (m *memIndex) PutReports(_ context.Context, caseIDs []string, id string) error {
	if _, ok := m.campaigns[id]; !ok {
		return guichet.ErrNotFound
	}
	for _, c := range caseIDs {
		m.in[c] = id
	}
	return nil
}

func (m *memIndex) MergeCampaign(_ context.Context, from, into string) error {
	for c, id := range m.in {
		if id == from {
			m.in[c] = into
		}
	}
	f := m.campaigns[from]
	f.Reports, f.MergedInto = 0, into
	return nil
}

func (m *memIndex) SaveCampaign(_ context.Context, c Campaign) error {
	old, ok := m.campaigns[c.ID]
	if !ok {
		return guichet.ErrNotFound
	}
	old.Reports, old.FirstSeen, old.LastSeen = c.Reports, c.FirstSeen, c.LastSeen
	return nil
}

func (m *memIndex) KnownGoodKeys(_ context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range keys {
		if m.entries[k] {
			out[k] = true
		}
	}
	return out, nil
}

func (m *memIndex) LabelKeys(_ context.Context, entries map[string]string) (map[string]KeyState, error) {
	before := map[string]KeyState{}
	for k, e := range entries {
		st := m.keys[k]
		if st == nil {
			st = &KeyState{Key: k}
			m.keys[k] = st
		}
		before[k] = *st
		st.KnownGood = nil
		if e != "" {
			st.KnownGood = &KnownGood{Key: e}
		}
	}
	return before, nil
}

func (m *memIndex) PrepareRebuild(_ context.Context, maxDegree int) error {
	m.maxDegree = maxDegree
	return nil
}

func (m *memIndex) ScanReports(_ context.Context, fn func(RebuildRow) error) error {
	for _, r := range m.reports {
		if len(r.keys) == 0 {
			if err := fn(RebuildRow{CaseID: r.id, At: r.at, Campaign: m.in[r.id]}); err != nil {
				return err
			}
		}
		for _, k := range r.keys {
			if err := fn(RebuildRow{CaseID: r.id, At: r.at, Campaign: m.in[r.id], Key: k, State: *m.keys[k]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memIndex) AllCampaigns(context.Context) ([]Campaign, error) {
	var out []Campaign
	for _, c := range m.campaigns {
		out = append(out, *c)
	}
	return out, nil
}

func (m *memIndex) WriteCampaigns(_ context.Context, update, insert []Campaign) error {
	for _, c := range insert {
		m.campaigns[c.ID] = &c
	}
	for _, c := range update {
		m.campaigns[c.ID] = &c
	}
	return nil
}

func (m *memIndex) WriteAssignments(_ context.Context, a []Assignment) error {
	for _, x := range a {
		m.in[x.CaseID] = x.CampaignID
	}
	return nil
}

// file submits a report holding keys.
func (m *memIndex) file(t *testing.T, at time.Time, keys ...string) string {
	t.Helper()
	id := fmt.Sprintf("r%06d", len(m.reports))
	m.reports = append(m.reports, memReport{id: id, at: at, keys: distinctKeys(keys)})
	if _, err := Link(t.Context(), m, id, at, keys); err != nil {
		t.Fatal(err)
	}
	return id
}

func (m *memIndex) setKnownGood(t *testing.T, key string, on bool) {
	t.Helper()
	if on {
		m.entries[key] = true
	} else {
		delete(m.entries, key)
	}
	if err := Relabel(t.Context(), m, key); err != nil {
		t.Fatal(err)
	}
}

// partition returns the campaigns as sorted lists of sorted case IDs.
func (m *memIndex) partition() [][]string {
	by := map[string][]string{}
	for _, r := range m.reports {
		by[m.in[r.id]] = append(by[m.in[r.id]], r.id)
	}
	return canonical(slices.Collect(maps.Values(by)))
}

func canonical(sets [][]string) [][]string {
	for _, s := range sets {
		slices.Sort(s)
	}
	slices.SortFunc(sets, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return sets
}

// reference computes the partition the hard way: a breadth-first search
// over reports sharing a key that is not known-good and is held by at most
// maxDegree reports.
func (m *memIndex) reference() [][]string {
	holders := map[string][]int{}
	for i, r := range m.reports {
		for _, k := range r.keys {
			holders[k] = append(holders[k], i)
		}
	}
	links := func(k string) bool {
		if len(holders[k]) > m.maxDegree {
			return false
		}
		for _, e := range CoveredBy(k) {
			if m.entries[e] {
				return false
			}
		}
		return true
	}
	seen := make([]bool, len(m.reports))
	var out [][]string
	for i := range m.reports {
		if seen[i] {
			continue
		}
		var comp []string
		queue := []int{i}
		seen[i] = true
		for len(queue) > 0 {
			j := queue[0]
			queue = queue[1:]
			comp = append(comp, m.reports[j].id)
			for _, k := range m.reports[j].keys {
				if !links(k) {
					continue
				}
				for _, h := range holders[k] {
					if !seen[h] {
						seen[h] = true
						queue = append(queue, h)
					}
				}
			}
		}
		out = append(out, comp)
	}
	return canonical(out)
}

// check verifies the campaigns against the reference partition, and each
// live campaign's count and times.
func (m *memIndex) check(t *testing.T, what string) {
	t.Helper()
	got, want := m.partition(), m.reference()
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("%s: campaigns\n got %v\nwant %v", what, got, want)
	}
	members := map[string][]memReport{}
	for _, r := range m.reports {
		members[m.in[r.id]] = append(members[m.in[r.id]], r)
	}
	for id, c := range m.campaigns {
		rs := members[id]
		if c.MergedInto != "" {
			if len(rs) != 0 || c.Reports != 0 {
				t.Fatalf("%s: merged campaign %s holds %d reports (count %d)", what, id, len(rs), c.Reports)
			}
			continue
		}
		if c.Reports != len(rs) {
			t.Fatalf("%s: campaign %s counts %d reports, holds %d", what, id, c.Reports, len(rs))
		}
		if len(rs) == 0 {
			continue
		}
		first, last := rs[0].at, rs[0].at
		for _, r := range rs {
			if r.at.Before(first) {
				first = r.at
			}
			if r.at.After(last) {
				last = r.at
			}
		}
		if !c.FirstSeen.Equal(first) || !c.LastSeen.Equal(last) {
			t.Fatalf("%s: campaign %s seen %v–%v, its reports %v–%v", what, id, c.FirstSeen, c.LastSeen, first, last)
		}
	}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestLinkJoinsAndSplits(t *testing.T) {
	m := newMemIndex(3)
	a := m.file(t, t0, "phone:+33612345678", "url:http://a.example/")
	b := m.file(t, t0.Add(time.Hour), "phone:+33612345678")
	c := m.file(t, t0.Add(2*time.Hour), "url:http://c.example/")
	m.check(t, "three reports")
	if m.in[a] != m.in[b] || m.in[a] == m.in[c] {
		t.Fatalf("a and b share a number, c nothing: %v", m.in)
	}
	// d bridges the campaigns of a and c: merged into the larger, whose
	// reference stays; the other one leads to it.
	big := m.in[a]
	small := m.in[c]
	d := m.file(t, t0.Add(3*time.Hour), "url:http://a.example/", "url:http://c.example/")
	m.check(t, "a bridge")
	if m.in[d] != big || m.campaigns[small].MergedInto != big || m.campaigns[big].Reports != 4 {
		t.Fatalf("after the bridge: %v, %+v", m.in, m.campaigns[small])
	}
	// The number reaches 4 holders > 3: it stops linking; a and b stay
	// together through nothing else: b is split off.
	m.file(t, t0.Add(4*time.Hour), "phone:+33612345678")
	m.file(t, t0.Add(5*time.Hour), "phone:+33612345678")
	m.check(t, "a hub")
	if m.in[a] == m.in[b] {
		t.Fatal("a hub still ties a and b")
	}
	if m.in[a] != big {
		t.Fatal("the largest part lost the campaign's reference")
	}
}

func TestKnownGoodSplitsAndMerges(t *testing.T) {
	m := newMemIndex(DefaultMaxDegree)
	a := m.file(t, t0, "domain:gmail.com", "url:http://a.example/")
	b := m.file(t, t0.Add(time.Minute), "url:https://www.gmail.com/")
	m.check(t, "before")
	if m.in[a] == m.in[b] {
		t.Fatal("a domain and its home page are different keys: not linked")
	}
	c := m.file(t, t0.Add(2*time.Minute), "domain:gmail.com")
	if m.in[a] != m.in[c] {
		t.Fatal("a and c share gmail.com before it is listed")
	}
	m.setKnownGood(t, "domain:gmail.com", true)
	m.check(t, "listed")
	if m.in[a] == m.in[c] {
		t.Fatal("a known-good domain still links")
	}
	d := m.file(t, t0.Add(3*time.Minute), "domain:gmail.com", "url:https://gmail.com/")
	m.check(t, "after listing")
	if m.in[d] == m.in[a] || m.in[d] == m.in[c] {
		t.Fatal("a new report joined through a known-good domain")
	}
	// A short link on a shortener whose home page is listed still links.
	m.setKnownGood(t, "domain:bit.ly", true)
	e := m.file(t, t0.Add(4*time.Minute), "url:http://bit.ly/3xYz", "url:https://bit.ly/")
	f := m.file(t, t0.Add(5*time.Minute), "url:http://bit.ly/3xYz", "url:https://bit.ly/")
	m.check(t, "short links")
	if m.in[e] != m.in[f] {
		t.Fatal("a short link did not link")
	}
	m.setKnownGood(t, "domain:gmail.com", false)
	m.check(t, "unlisted")
	if m.in[a] != m.in[c] || m.in[a] != m.in[d] {
		t.Fatal("taken off the list, gmail.com links again")
	}
}

func TestCoversIsCoveredByInverse(t *testing.T) {
	keys := []string{"domain:gmail.com", "domain:www.gmail.com", "url:https://gmail.com/", "url:http://www.gmail.com/",
		"url:https://gmail.com/mail", "url:https://gmail.com/?a=1", "url:https://gmail.com:8443/", "email:a@gmail.com",
		"phone:+33892705705", "domain:www.", "url:https://www.www.gmail.com/"}
	for _, e := range keys {
		for _, k := range Covers(e) {
			if !slices.Contains(CoveredBy(k), e) {
				t.Errorf("%s covers %s, which CoveredBy does not name it for", e, k)
			}
		}
		for _, k := range keys {
			if slices.Contains(CoveredBy(k), e) && !slices.Contains(Covers(e), k) {
				t.Errorf("%s is covered by %s, which Covers does not list", k, e)
			}
		}
	}
	for _, k := range []string{"url:https://gmail.com/mail", "email:a@gmail.com", "url:http://bit.ly/abc"} {
		if len(CoveredBy(k)) != 1 {
			t.Errorf("%s is a specific value, covered by %v", k, CoveredBy(k))
		}
	}
}

// TestIncrementalIsRebuild: over random reports, known-good changes and
// thresholds, the campaigns kept incrementally are the connected
// components, and a rebuild from scratch finds the same partition and
// keeps every reference.
func TestIncrementalIsRebuild(t *testing.T) {
	for seed := range uint64(300) {
		incrementalIsRebuild(t, seed)
	}
}

// FuzzIncrementalIsRebuild explores more histories than the test does:
// go test -fuzz FuzzIncrementalIsRebuild ./internal/report
func FuzzIncrementalIsRebuild(f *testing.F) {
	f.Add(uint64(1))
	f.Fuzz(func(t *testing.T, seed uint64) { incrementalIsRebuild(t, seed) })
}

func incrementalIsRebuild(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := newMemIndex(1 + rng.IntN(6))
	pool := make([]string, 3+rng.IntN(25))
	for i := range pool {
		pool[i] = fmt.Sprintf("url:http://s%d.example/", i)
	}
	pool = append(pool, "domain:gmail.com", "url:https://gmail.com/")
	for i := range 10 + rng.IntN(60) {
		if rng.IntN(12) == 0 {
			k := pool[rng.IntN(len(pool))]
			if k == "url:https://gmail.com/" {
				k = "domain:gmail.com"
			}
			m.setKnownGood(t, k, !m.entries[k])
			m.check(t, fmt.Sprintf("seed %d, step %d, known-good %s", seed, i, k))
			continue
		}
		var keys []string
		for range rng.IntN(4) {
			keys = append(keys, pool[rng.IntN(len(pool))])
		}
		m.file(t, t0.Add(time.Duration(rng.IntN(1000))*time.Minute), keys...)
		m.check(t, fmt.Sprintf("seed %d, step %d", seed, i))
	}
	before := m.partition()
	refs := map[string]string{}
	for id, c := range m.campaigns {
		refs[id] = c.Ref
	}
	st, err := Rebuild(t.Context(), m, RebuildOptions{MaxDegree: m.maxDegree, NewID: func() string { return "never" }, Rand: crand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 0 || st.Moved != 0 || st.Merged != 0 {
		t.Fatalf("seed %d: a rebuild of a consistent index changed it: %+v", seed, st)
	}
	m.check(t, fmt.Sprintf("seed %d, rebuilt", seed))
	if !slices.EqualFunc(before, m.partition(), slices.Equal) {
		t.Fatalf("seed %d: rebuild changed the partition", seed)
	}
	// A rebuild under another threshold gives the reference partition
	// of that threshold.
	m2 := m.maxDegree + 1 + rng.IntN(3)
	n := 0
	if _, err := Rebuild(t.Context(), m, RebuildOptions{MaxDegree: m2, NewID: func() string { n++; return fmt.Sprintf("n%06d", n) }, Rand: crand.Reader}); err != nil {
		t.Fatal(err)
	}
	m.check(t, fmt.Sprintf("seed %d, rebuilt at %d", seed, m2))
}

func TestCampaignRef(t *testing.T) {
	ref, err := NewCampaignRef(crand.Reader, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref) != len("C-2026-7KQ3-M9TX") || !strings.HasPrefix(ref, "C-2026-") {
		t.Fatalf("ref %q", ref)
	}
	got, err := ParseCampaignRef(strings.ToLower(strings.ReplaceAll(ref, "-", " ")))
	if err != nil || got != ref {
		t.Fatalf("parse %q: %q, %v", ref, got, err)
	}
	// Every change of one symbol is caught.
	for i := 7; i < len(ref); i++ {
		if ref[i] == '-' {
			continue
		}
		for _, c := range crockford {
			if byte(c) == ref[i] {
				continue
			}
			typo := ref[:i] + string(c) + ref[i+1:]
			if _, err := ParseCampaignRef(typo); err == nil {
				t.Fatalf("typo %q of %q accepted", typo, ref)
			}
		}
	}
	for _, bad := range []string{"", "C-2026", "SG-2026-7KQ3-M9TX", "C-1999-7KQ3-M9TX", "C-2026-7KQ3-M9TXX"} {
		if _, err := ParseCampaignRef(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// stalePeek shows Link a key as known-good when it no longer is: a
// supervisor took it off the list between the peek and the lock.
type stalePeek struct {
	*memIndex
	key string
}

func (s stalePeek) PeekKeys(ctx context.Context, keys []string) ([]KeyState, error) {
	out, err := s.memIndex.PeekKeys(ctx, keys)
	for i := range out {
		if out[i].Key == s.key {
			out[i].KnownGood = &KnownGood{Key: s.key}
		}
	}
	return out, err
}

func TestLinkRechecksWhatItPeeked(t *testing.T) {
	m := newMemIndex(3)
	const k = "phone:+33612345678"
	a := m.file(t, t0, k)
	b := m.file(t, t0, k, "url:http://b.example/")
	id := "late"
	m.reports = append(m.reports, memReport{id: id, at: t0, keys: []string{k, "url:http://late.example/"}})
	c, err := Link(t.Context(), stalePeek{m, k}, id, t0, []string{k, "url:http://late.example/"})
	if err != nil {
		t.Fatal(err)
	}
	m.check(t, "stale peek")
	if m.in[id] != m.in[a] || m.in[id] != m.in[b] || c.ID != m.in[a] || c.Reports != 3 {
		t.Fatalf("a key that links after all did not link: %v, %+v", m.in, c)
	}
	// And when it makes the key pass the threshold, it splits.
	id2 := "late2"
	m.reports = append(m.reports, memReport{id: id2, at: t0, keys: []string{k}})
	if _, err := Link(t.Context(), stalePeek{m, k}, id2, t0, []string{k}); err != nil {
		t.Fatal(err)
	}
	m.check(t, "stale peek past the threshold")
}
