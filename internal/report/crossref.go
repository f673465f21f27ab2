package report

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/guichet/guichet"
	agents "github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/indicator"
)

// Who may do what with cross-referencing.
//   - Analysts, supervisors and admins read matches and campaigns.
//   - Analysts and supervisors publish a key to reporters.
//   - Supervisors and admins edit the known-good list.

func canRead(p agents.Principal) bool {
	return p.Role == agents.RoleAnalyst || p.Role == agents.RoleSupervisor || p.Role == agents.RoleAdmin
}

func canPublish(p agents.Principal) bool {
	return p.Role == agents.RoleAnalyst || p.Role == agents.RoleSupervisor
}

func canEditKnownGood(p agents.Principal) bool {
	return p.Role == agents.RoleSupervisor || p.Role == agents.RoleAdmin
}

func forbidden(p agents.Principal, what string) error {
	return fmt.Errorf("report: %s: role %q: %w", what, p.Role, guichet.ErrForbidden)
}

// Match is what the index says of one value of a report.
type Match struct {
	// Seen is the value as the report gives it (its first occurrence).
	Seen Seen
	// Reports is how many reports hold the value, this one included.
	Reports int
	// Links reports whether the value ties this report to the others
	// holding it; NoLink says why not.
	Links  bool
	NoLink NoLink
	// Published is set when an analyst published the value to reporters.
	Published bool
}

// Others is how many other reports hold the value.
func (m Match) Others() int { return max(m.Reports-1, 0) }

// Matching is what an analyst sees of a report's cross-referencing: "this
// number appears in 312 reports, campaign C-2026-…".
type Matching struct {
	Ref string // the report's
	// Campaign is the report's campaign (of one report when it is linked
	// to no other).
	Campaign Campaign
	// MaxDegree is the threshold the index holds keys to.
	MaxDegree int
	// Matches lists the report's valid values, once each, in the order
	// the report gives them; invalid values are never matched.
	Matches []Match
}

// Matches returns the cross-referencing of report ref for an analyst.
func (s *Service) Matches(ctx context.Context, p agents.Principal, ref string) (*Matching, error) {
	if !canRead(p) {
		return nil, forbidden(p, "matches")
	}
	id, err := s.reportID(ctx, ref)
	if err != nil {
		return nil, err
	}
	seen, err := s.d.Store.ReportSeen(ctx, id)
	if err != nil {
		return nil, err
	}
	m := &Matching{Ref: ref}
	if m.MaxDegree, err = s.d.Store.MaxDegree(ctx); err != nil {
		return nil, err
	}
	if m.Campaign, err = s.d.Store.ReportCampaign(ctx, id); err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return nil, err
	}
	states, err := s.d.Store.KeyStates(ctx, keysOf(seen))
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, v := range seen {
		if v.Key == "" || done[v.Key] {
			continue
		}
		done[v.Key] = true
		st, ok := states[v.Key]
		if !ok {
			st = KeyState{Key: v.Key, Reports: 1}
		}
		m.Matches = append(m.Matches, Match{Seen: v, Reports: st.Reports, Links: st.Links(m.MaxDegree),
			NoLink: st.WhyNot(m.MaxDegree), Published: st.Published})
	}
	return m, nil
}

// reportID returns the case ID of report ref (a typed reference).
func (s *Service) reportID(ctx context.Context, ref string) (string, error) {
	r, err := caseref.Parse(ref)
	if err != nil || r.Kind != caseref.Report {
		return "", fmt.Errorf("report %q: %w", ref, guichet.ErrNotFound)
	}
	c, _, err := s.d.Store.CaseByRef(ctx, r.String())
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// CampaignView is a campaign as an analyst reads it.
type CampaignView struct {
	Campaign
	// Asked is the reference asked for when it was that of a campaign
	// since merged into this one; "" otherwise.
	Asked string
	// Reports lists its latest reports (up to CampaignReportsShown).
	Reports []CampaignReport
	// Keys lists the values two reports or more of it share, most shared
	// first, each with why it does not link when it does not.
	Keys []CampaignViewKey
	// Categories and Channels count its reports; Days counts them per day
	// of submission (UTC, oldest first), Services per service routed to.
	Categories, Channels []Count
	Days                 []DayCount
	Services             []Count
	MaxDegree            int
}

// CampaignViewKey is one value a campaign's reports share.
type CampaignViewKey struct {
	CampaignKey
	Links  bool
	NoLink NoLink
}

// How much of a campaign one page shows.
const (
	CampaignReportsShown = 200
	CampaignKeysShown    = 100
)

// maxMergeChain bounds how many merges are followed from a reference.
const maxMergeChain = 64

// Campaign returns campaign ref for an analyst; the reference of a campaign
// merged into another leads to the one it is part of now.
func (s *Service) Campaign(ctx context.Context, p agents.Principal, ref string) (*CampaignView, error) {
	if !canRead(p) {
		return nil, forbidden(p, "campaign")
	}
	c, asked, err := s.liveCampaign(ctx, ref)
	if err != nil {
		return nil, err
	}
	v := &CampaignView{Campaign: c, Asked: asked}
	if v.MaxDegree, err = s.d.Store.MaxDegree(ctx); err != nil {
		return nil, err
	}
	if v.Reports, err = s.d.Store.CampaignReports(ctx, c.ID, CampaignReportsShown); err != nil {
		return nil, err
	}
	keys, err := s.d.Store.CampaignKeys(ctx, c.ID, CampaignKeysShown)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		v.Keys = append(v.Keys, CampaignViewKey{CampaignKey: k, Links: k.Links(v.MaxDegree), NoLink: k.WhyNot(v.MaxDegree)})
	}
	t, err := s.d.Store.CampaignTally(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	v.Categories, v.Channels, v.Days, v.Services = t.Categories, t.Channels, t.Days, t.Services
	return v, nil
}

// CampaignSummary is one line of the list of campaigns.
type CampaignSummary struct {
	Campaign
	Categories []Count
}

// MaxCampaignsListed bounds one page of the list of campaigns.
const MaxCampaignsListed = 200

// Campaigns lists live campaigns for an analyst, largest first. A zero
// MinReports means 2 (campaigns linking reports); a zero Limit means 50.
func (s *Service) Campaigns(ctx context.Context, p agents.Principal, f CampaignFilter) ([]CampaignSummary, error) {
	if !canRead(p) {
		return nil, forbidden(p, "campaigns")
	}
	if f.MinReports == 0 {
		f.MinReports = 2
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.MinReports < 1 || f.Limit < 0 || f.Limit > MaxCampaignsListed || f.Offset < 0 || (f.Category != "" && !f.Category.Valid()) {
		return nil, fmt.Errorf("campaigns: filter %+v: %w", f, guichet.ErrInvalid)
	}
	cs, err := s.d.Store.ListCampaigns(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]CampaignSummary, len(cs))
	for i, c := range cs {
		t, err := s.d.Store.CampaignTally(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out[i] = CampaignSummary{Campaign: c, Categories: t.Categories}
	}
	return out, nil
}

// KnownGood returns the known-good list, for the analysts who read why a
// value does not link and the supervisors who edit it.
func (s *Service) KnownGood(ctx context.Context, p agents.Principal) ([]KnownGood, error) {
	if !canRead(p) {
		return nil, forbidden(p, "known-good list")
	}
	return s.d.Store.KnownGoodList(ctx)
}

// MaxLabelLen bounds a known-good entry's label, in bytes.
const MaxLabelLen = 200

// AddKnownGood lists value, read as kind, as known-good with its category
// and label; the campaigns it held together are split at once. It returns
// the field errors as a *guichet.ValidationError (fields "kind", "value",
// "category", "label"; a value already listed is an error of "value").
func (s *Service) AddKnownGood(ctx context.Context, p agents.Principal, kind, value, category, label string) (KnownGood, error) {
	if !canEditKnownGood(p) {
		return KnownGood{}, forbidden(p, "add known-good")
	}
	var v guichet.ValidationError
	k, ok := indicator.ParseKind(kind)
	if !ok || k == indicator.KindAuto {
		v.Add("kind", "report.err.known_good_kind")
	}
	var x indicator.Indicator
	if ok && k != indicator.KindAuto {
		if x = indicator.Normalize(k, value); !x.Valid {
			v.Add("value", "report.err.known_good_value")
		}
	}
	if !validKnownGoodCategory(category) {
		v.Add("category", "report.err.known_good_category")
	}
	label = strings.TrimSpace(label)
	if label == "" || len(label) > MaxLabelLen {
		v.Add("label", "report.err.known_good_label")
	}
	if err := v.Err(); err != nil {
		return KnownGood{}, err
	}
	e := KnownGood{Key: x.Key(), Kind: string(x.Kind), Canonical: x.Canonical, Category: category, Label: label,
		AddedBy: p.Pseudonym, AddedAt: s.d.Clock.Now()}
	if err := s.d.Store.AddKnownGood(ctx, e); errors.Is(err, guichet.ErrConflict) {
		v.Add("value", "report.err.known_good_listed")
		return KnownGood{}, &v
	} else if err != nil {
		return KnownGood{}, err
	}
	s.d.Logger.InfoContext(ctx, "known-good entry added", "key_kind", e.Kind, "category", e.Category, "by", p.Pseudonym)
	return e, nil
}

func validKnownGoodCategory(c string) bool {
	for _, k := range KnownGoodCategories {
		if c == k {
			return true
		}
	}
	return false
}

// RemoveKnownGood takes the entry key off the list; the campaigns of the
// reports holding what it covered are merged at once where it links again.
func (s *Service) RemoveKnownGood(ctx context.Context, p agents.Principal, key string) error {
	if !canEditKnownGood(p) {
		return forbidden(p, "remove known-good")
	}
	if err := s.d.Store.RemoveKnownGood(ctx, key); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "known-good entry removed", "by", p.Pseudonym)
	return nil
}

// Publish makes the number of reports holding key visible to the
// reporters of every report holding it ("this number appears in 312
// reports"); Unpublish hides it again.
func (s *Service) Publish(ctx context.Context, p agents.Principal, key string) error {
	if !canPublish(p) {
		return forbidden(p, "publish")
	}
	return s.d.Store.PublishKey(ctx, key, p.Pseudonym, s.d.Clock.Now())
}

// Unpublish hides key from reporters again.
func (s *Service) Unpublish(ctx context.Context, p agents.Principal, key string) error {
	if !canPublish(p) {
		return forbidden(p, "unpublish")
	}
	return s.d.Store.UnpublishKey(ctx, key)
}

// RebuildCampaigns recomputes every campaign from scratch under threshold
// maxDegree (0: the current one). It is an operator's task (guichet admin
// campaigns rebuild), run without a principal.
func (s *Service) RebuildCampaigns(ctx context.Context, maxDegree int) (RebuildStats, error) {
	if maxDegree == 0 {
		var err error
		if maxDegree, err = s.d.Store.MaxDegree(ctx); err != nil {
			return RebuildStats{}, err
		}
	}
	if maxDegree < 1 {
		return RebuildStats{}, fmt.Errorf("report: rebuild: threshold %d: %w", maxDegree, guichet.ErrInvalid)
	}
	st, err := s.d.Store.RebuildCampaigns(ctx, maxDegree)
	if err != nil {
		return st, err
	}
	s.d.Logger.InfoContext(ctx, "campaigns rebuilt", "reports", st.Reports, "campaigns", st.Campaigns, "moved", st.Moved, "max_degree", maxDegree)
	return st, nil
}

// PublishedMatch is what a reporter sees of one of their values that an
// analyst published.
type PublishedMatch struct {
	Seen Seen
	// Reports is how many reports hold it, theirs included.
	Reports int
}

// published returns the published values among seen.
func (s *Service) published(ctx context.Context, seen []Seen) ([]PublishedMatch, error) {
	states, err := s.d.Store.KeyStates(ctx, keysOf(seen))
	if err != nil {
		return nil, err
	}
	var out []PublishedMatch
	done := map[string]bool{}
	for _, v := range seen {
		if st, ok := states[v.Key]; ok && st.Published && !done[v.Key] {
			done[v.Key] = true
			out = append(out, PublishedMatch{Seen: v, Reports: st.Reports})
		}
	}
	return out, nil
}
