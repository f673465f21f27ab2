package report

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// Bulk actions on a campaign: route it, record an outcome across it, close
// its duplicates. Each reads the campaign through CampaignBatch, a batch at
// a time, and changes each report on its own, with the same change (and
// case event) as the action on one report: a campaign of thousands of
// reports is never one transaction. Each action is idempotent, so one
// stopped early (BulkResult.Stopped) is finished by running it again.

// EventDuplicate: the report was closed as a duplicate of an earlier one
// of its campaign (data: duplicate_of, that report's reference; campaign).
// The reporter's page says it was joined with an earlier identical report,
// never which.
const EventDuplicate = "report.duplicate"

// Bounds of one bulk action.
const (
	// BulkBatch is how many reports are read at once.
	BulkBatch = 200
	// BulkMaxChanges is the most reports one action changes; the rest are
	// left for the next run.
	BulkMaxChanges = 1000
	// BulkMaxRead is the most reports one action reads.
	BulkMaxRead = 50000
)

// BulkResult counts what a bulk action did to a campaign's reports.
type BulkResult struct {
	// Campaign is the reference of the campaign acted on (the live one, if
	// the reference given was merged into it).
	Campaign string
	// Read is how many of its reports were looked at.
	Read int
	// Changed is how many were changed: routed, given the outcome, closed
	// as duplicates.
	Changed int
	// Already is how many were already so: routed to the service, given
	// its outcome by it.
	Already int
	// Final is how many were closed (or expired) and left alone.
	Final int
	// Other is how many the action does not apply to and were left alone:
	// not routed to the service (outcome); routed already, or holding a
	// value no earlier report holds (duplicates).
	Other int
	// Conflicts is how many changed meanwhile and were left alone.
	Conflicts int
	// Stopped: the action stopped at BulkMaxChanges or BulkMaxRead, or
	// because the request ended, before reading the whole campaign; running
	// it again does the rest.
	Stopped bool
}

// liveCampaign returns the campaign ref names now (following merges).
func (s *Service) liveCampaign(ctx context.Context, ref string) (Campaign, string, error) {
	canon, err := ParseCampaignRef(ref)
	if err != nil {
		return Campaign{}, "", fmt.Errorf("campaign %q: %w", ref, guichet.ErrNotFound)
	}
	c, err := s.d.Store.CampaignByRef(ctx, canon)
	if err != nil {
		return Campaign{}, "", err
	}
	asked := ""
	for range maxMergeChain {
		if c.MergedInto == "" {
			break
		}
		asked = canon
		if c, err = s.d.Store.CampaignByID(ctx, c.MergedInto); err != nil {
			return Campaign{}, "", err
		}
	}
	if c.MergedInto != "" {
		return Campaign{}, "", fmt.Errorf("campaign %s: merges go on past %d: %w", canon, maxMergeChain, guichet.ErrUnavailable)
	}
	return c, asked, nil
}

// eachReport calls fn on every report of campaign c in submission order,
// a batch at a time, until fn says stop, the bounds are reached or ctx is
// done (which it reports as Stopped, not as an error). fn returns whether
// it changed the report.
func (s *Service) eachReport(ctx context.Context, c Campaign, res *BulkResult, fn func(BatchReport) (bool, error)) error {
	var cur BatchCursor
	for {
		if ctx.Err() != nil || res.Read >= BulkMaxRead {
			res.Stopped = true
			return nil
		}
		batch, err := s.d.Store.CampaignBatch(ctx, c.ID, cur, BulkBatch)
		if err != nil {
			if ctx.Err() != nil {
				res.Stopped = true
				return nil
			}
			return err
		}
		for _, b := range batch {
			if res.Changed >= s.bulkMax || res.Read >= BulkMaxRead || ctx.Err() != nil {
				res.Stopped = true
				return nil
			}
			res.Read++
			changed, err := fn(b)
			switch {
			case errors.Is(err, guichet.ErrConflict):
				res.Conflicts++
			case err != nil && ctx.Err() != nil:
				res.Stopped = true
				return nil
			case err != nil:
				return fmt.Errorf("campaign %s: report %s: %w", c.Ref, b.Ref, err)
			case changed:
				res.Changed++
			}
		}
		if len(batch) < BulkBatch {
			return nil
		}
		cur = batch[len(batch)-1].Cursor()
	}
}

func (s *Service) logBulk(ctx context.Context, what string, p account.Principal, res BulkResult) {
	s.d.Logger.InfoContext(ctx, "campaign "+what, "campaign", res.Campaign, "agent", p.Pseudonym, "read", res.Read,
		"changed", res.Changed, "already", res.Already, "final", res.Final, "other", res.Other, "conflicts", res.Conflicts, "stopped", res.Stopped)
}

// RouteCampaign sends every open report of campaign ref to service, with
// reason, as AddRoute does for one: each report not closed and not already
// with the service (a route sent or done) gets the route and its event
// (naming the campaign). Closed reports are left alone (Final), as are
// those already there (Already). Field errors ("service", "reason") come
// as a *guichet.ValidationError; a principal other than an analyst or a
// supervisor gets guichet.ErrForbidden.
func (s *Service) RouteCampaign(ctx context.Context, p account.Principal, ref, service, reason string) (BulkResult, error) {
	if !isAnalyst(p) {
		return BulkResult{}, forbidden(p, "route campaign")
	}
	reason, err := checkRoute(service, reason)
	if err != nil {
		return BulkResult{}, err
	}
	c, _, err := s.liveCampaign(ctx, ref)
	if err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Campaign: c.Ref}
	err = s.eachReport(ctx, c, &res, func(b BatchReport) (bool, error) {
		switch {
		case Kind.IsFinal(b.Status):
			res.Final++
			return false, nil
		case slices.ContainsFunc(b.Routes, func(r Route) bool { return r.Service == service && r.Status != RouteWithdrawn }):
			res.Already++
			return false, nil
		}
		return true, s.addRoute(ctx, p, b.CaseID, b.Status, b.Routes, service, reason, c.Ref)
	})
	s.logBulk(ctx, "routed", p, res)
	return res, err
}

// RecordCampaignOutcome records outcome o of service on every report of
// campaign ref that service holds (a route sent), as RecordOutcome does
// for one: each gets the outcome and its event, and is closed when no
// other service still holds it, so that each reporter's status page shows
// the outcome. Reports whose outcome the service gave already are Already;
// those never routed there (or withdrawn) are Other; closed ones Final.
func (s *Service) RecordCampaignOutcome(ctx context.Context, p account.Principal, ref, service string, o Outcome) (BulkResult, error) {
	if !isAnalyst(p) {
		return BulkResult{}, forbidden(p, "campaign outcome")
	}
	var v guichet.ValidationError
	if !ValidService(service) {
		v.Add("service", "report.err.service")
	}
	if !slices.Contains(Outcomes, o) {
		v.Add("outcome", "report.err.outcome")
	}
	if err := v.Err(); err != nil {
		return BulkResult{}, err
	}
	c, _, err := s.liveCampaign(ctx, ref)
	if err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Campaign: c.Ref}
	err = s.eachReport(ctx, c, &res, func(b BatchReport) (bool, error) {
		i := slices.IndexFunc(b.Routes, func(r Route) bool { return r.Service == service })
		switch {
		case i >= 0 && b.Routes[i].Status == RouteDone:
			res.Already++
			return false, nil
		case Kind.IsFinal(b.Status):
			res.Final++
			return false, nil
		case i < 0 || b.Routes[i].Status != RouteSent:
			res.Other++
			return false, nil
		}
		return true, s.recordOutcome(ctx, p, b.CaseID, b.Status, b.Routes, service, o, c.Ref)
	})
	s.logBulk(ctx, "outcome recorded", p, res)
	return res, err
}

// CloseDuplicates closes the duplicates of campaign ref that no service
// holds yet.
//
// Precisely: take the campaign's reports in submission order (submission
// time, then internal ID: CampaignBatch's order), and let K(r) be the set
// of distinct valid values (keys) of report r, known-good ones included.
// Report r duplicates report e when e comes before r, K(r) is not empty
// and K(r) ⊆ K(e): r says nothing e does not. A duplicate r is closed when
// it is not yet routed — its status is submitted or triaged and it has no
// route sent or done — with the kernel's move to closed and an
// EventDuplicate event naming the earliest report it duplicates (which is
// never itself a duplicate: its own earlier original would come first).
// Routed reports stay open (Other), as do reports holding a value no
// earlier report holds (Other); closed ones are Final. Reports closed as
// duplicates still count as earlier reports for those after them.
func (s *Service) CloseDuplicates(ctx context.Context, p account.Principal, ref string) (BulkResult, error) {
	if !isAnalyst(p) {
		return BulkResult{}, forbidden(p, "close duplicates")
	}
	c, _, err := s.liveCampaign(ctx, ref)
	if err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Campaign: c.Ref}
	var (
		refs    []string          // earlier reports, in order
		sets    []map[string]bool // their keys
		holders = map[string][]int{}
	)
	err = s.eachReport(ctx, c, &res, func(b BatchReport) (bool, error) {
		orig := -1
		if len(b.Keys) > 0 {
			// Any original holds every key of b, so the earliest holder of
			// b's rarest key (so far) that holds them all is the earliest
			// original.
			rare := b.Keys[0]
			for _, k := range b.Keys[1:] {
				if len(holders[k]) < len(holders[rare]) {
					rare = k
				}
			}
			for _, i := range holders[rare] {
				if subset(b.Keys, sets[i]) {
					orig = i
					break
				}
			}
		}
		set := make(map[string]bool, len(b.Keys))
		for _, k := range b.Keys {
			set[k] = true
			holders[k] = append(holders[k], len(refs))
		}
		refs, sets = append(refs, b.Ref), append(sets, set)
		switch {
		case Kind.IsFinal(b.Status):
			res.Final++
			return false, nil
		case orig < 0:
			res.Other++
			return false, nil
		case b.Status != casefile.StatusSubmitted && b.Status != casefile.StatusTriaged,
			slices.ContainsFunc(b.Routes, func(r Route) bool { return r.Status != RouteWithdrawn }):
			res.Other++
			return false, nil
		}
		return true, s.closeDuplicate(ctx, p, b, refs[orig], c.Ref)
	})
	s.logBulk(ctx, "duplicates closed", p, res)
	return res, err
}

func subset(keys []string, of map[string]bool) bool {
	for _, k := range keys {
		if !of[k] {
			return false
		}
	}
	return true
}

// closeDuplicate closes report b as a duplicate of report orig.
func (s *Service) closeDuplicate(ctx context.Context, p account.Principal, b BatchReport, orig, campaign string) error {
	if err := Kind.Check(b.Status, casefile.StatusClosed, kernelActor(p)); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	return s.d.Store.ChangeRoutes(ctx, RouteChange{
		CaseID: b.CaseID, Allowed: []casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged},
		Status: casefile.StatusClosed, At: now,
		Events: []casefile.Event{
			s.event(b.CaseID, EventDuplicate, actorOf(p), now, map[string]string{"duplicate_of": orig, "campaign": campaign}),
			s.event(b.CaseID, casefile.EventStatusChanged, actorOf(p), now, map[string]string{"from": string(b.Status), "to": string(casefile.StatusClosed)}),
		},
	})
}
