package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/indicator"
)

// DryRunWindow is how far back a rule is tried before it is saved.
const DryRunWindow = 30 * 24 * time.Hour

// dryRunMax bounds the reports a dry run reads.
const dryRunMax = 50_000

// Rules returns the routing rules (latest versions) for analysts to read.
func (s *Service) Rules(ctx context.Context, p account.Principal) ([]Rule, error) {
	if !isAnalyst(p) {
		return nil, notFound("rules")
	}
	return s.d.Store.Rules(ctx)
}

// RuleHistory returns every version of a rule.
func (s *Service) RuleHistory(ctx context.Context, p account.Principal, id string) ([]Rule, error) {
	if !isAnalyst(p) {
		return nil, notFound("rule " + id)
	}
	return s.d.Store.RuleVersions(ctx, id)
}

// CheckRule returns the field errors of a rule as edited (nil if none).
func CheckRule(r *Rule) *guichet.ValidationError {
	var v guichet.ValidationError
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		v.Add("name", "rule.err.name")
	}
	for _, c := range r.Categories {
		if !c.Valid() {
			v.Add("categories", "rule.err.category")
			break
		}
	}
	for _, k := range r.Kinds {
		if _, ok := indicator.ParseKind(k); !ok || k == string(indicator.KindAuto) {
			if k != "account" {
				v.Add("kinds", "rule.err.kind")
				break
			}
		}
	}
	for i, d := range r.Domains {
		x := indicator.Normalize(indicator.KindDomain, d)
		if !x.Valid {
			v.Add("domains", "rule.err.domain")
			break
		}
		r.Domains[i] = x.Canonical
	}
	for i, t := range r.Places {
		c, ok := ParsePlaceToken(t)
		if !ok {
			v.Add("places", "rule.err.place", t)
			break
		}
		r.Places[i] = c
	}
	if len(r.Services) == 0 {
		v.Add("services", "rule.err.services")
	}
	for _, sv := range r.Services {
		if !ValidService(sv) {
			v.Add("services", "rule.err.services")
			break
		}
	}
	r.WhyFR, r.WhyEN = strings.TrimSpace(r.WhyFR), strings.TrimSpace(r.WhyEN)
	if r.WhyFR == "" {
		v.Add("why_fr", "rule.err.why")
	}
	if r.WhyEN == "" {
		v.Add("why_en", "rule.err.why")
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return &v
}

// DryRun tries rule over the reports of the last DryRunWindow without
// changing anything: what a supervisor sees before saving it.
func (s *Service) DryRun(ctx context.Context, p account.Principal, r Rule) (DryRun, error) {
	if p.Role != account.RoleSupervisor {
		return DryRun{}, notFound("rules")
	}
	if v := CheckRule(&r); v != nil {
		return DryRun{}, v
	}
	since := s.d.Clock.Now().Add(-DryRunWindow)
	past, err := s.d.Store.RecentReports(ctx, since, dryRunMax)
	if err != nil {
		return DryRun{}, err
	}
	return Try(r, past, since), nil
}

// SaveRule saves rule r as a new version (r.Version is the version it was
// edited from; 0 for a new rule, whose ID is made from its name). Only a
// supervisor may; a rule saved meanwhile by someone else fails with
// guichet.ErrConflict and nothing is saved. New reports are routed by it
// at once; reports already routed keep the decision that was taken, which
// names the version that fired.
func (s *Service) SaveRule(ctx context.Context, p account.Principal, r Rule) (Rule, error) {
	if p.Role != account.RoleSupervisor {
		return Rule{}, notFound("rules")
	}
	if v := CheckRule(&r); v != nil {
		return Rule{}, v
	}
	if r.Version == 0 {
		r.ID = "r-" + s.d.IDs.New()
	}
	r.Version++
	r.Author, r.SavedAt = p.Pseudonym, s.d.Clock.Now()
	r.Categories, r.Kinds, r.Domains, r.Services = compactSorted(r.Categories), compactSorted(r.Kinds), compactSorted(r.Domains), orderServices(r.Services)
	if len(r.Places) > 0 {
		r.Places = compactSorted(r.Places)
	}
	if err := s.d.Store.SaveRule(ctx, r); err != nil {
		return Rule{}, err
	}
	s.forgetRules()
	s.d.Logger.InfoContext(ctx, "routing rule saved", "rule", r.ID, "version", r.Version, "agent", p.Pseudonym)
	return r, nil
}

func compactSorted[T ~string](v []T) []T {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

func orderServices(v []string) []string {
	var out []string
	for _, s := range Services {
		if slices.Contains(v, s) {
			out = append(out, s)
		}
	}
	return out
}
