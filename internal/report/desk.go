package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/indicator"
)

// Events of a report beyond the kernel's.
const (
	// EventRouted: the rules (or an analyst) sent the report to services
	// (data: services, comma-separated; rules that fired).
	EventRouted = "report.routed"
	// EventRouteWithdrawn: an analyst took a route back (data: service,
	// reason).
	EventRouteWithdrawn = "report.route_withdrawn"
	// EventOutcome: a service's outcome (data: service, outcome).
	EventOutcome = "report.outcome"
)

// Purposes for which an analyst opens a report's sealed part.
const (
	PurposeAnalysis = "analysis"
	PurposeRouting  = "routing"
	PurposeOutcome  = "outcome"
)

// Purposes lists them in the order forms offer them.
var Purposes = []string{PurposeAnalysis, PurposeRouting, PurposeOutcome}

func (s *Service) routedEvent(caseID, actor string, at time.Time, routes []Route) casefile.Event {
	var svcs, rules []string
	for _, r := range routes {
		svcs = append(svcs, r.Service)
		if r.RuleID != "" {
			rules = append(rules, fmt.Sprintf("%s@%d", r.RuleID, r.RuleVersion))
		}
	}
	data := map[string]string{"services": strings.Join(svcs, ",")}
	if len(rules) > 0 {
		data["rules"] = strings.Join(slices.Compact(rules), ",")
	}
	return s.event(caseID, EventRouted, actor, at, data)
}

func (s *Service) event(caseID, typ, actor string, at time.Time, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: actor, Visible: true, Data: data}
}

// isAnalyst reports whether p works on reports: analysts, and supervisors
// (who also edit the routing rules). Reports are national: an analyst of
// any unit sees every report.
// MayRead reports whether the principal may read reports at all (the
// service checks it on every call; pages use it not to offer a link that
// would be refused).
func MayRead(p account.Principal) bool { return isAnalyst(p) }

func isAnalyst(p account.Principal) bool {
	return p.Role == account.RoleAnalyst || p.Role == account.RoleSupervisor
}

func actorOf(p account.Principal) string { return "agent:" + p.Pseudonym }

func kernelActor(p account.Principal) casefile.Actor {
	if p.Role == account.RoleSupervisor {
		return casefile.ActorSupervisor
	}
	return casefile.ActorAgent
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, guichet.ErrNotFound) }

// ListMax is the most reports Queue (unless asked for another limit) and
// Search list at once.
const ListMax = 100

// Queue lists the reports analysts work on: child sexual abuse and
// terrorism first, then threats to people, then the rest; oldest first
// within each. Filters: status, category, lane.
func (s *Service) Queue(ctx context.Context, p account.Principal, q QueueQuery) ([]QueueRow, error) {
	if !isAnalyst(p) {
		return nil, notFound("reports")
	}
	if len(q.Statuses) == 0 {
		q.Statuses = Kind.Open()
	}
	q.Priority = map[Category]int{}
	for _, c := range Categories {
		q.Priority[c] = c.Priority()
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = ListMax
	}
	return s.d.Store.ReportQueue(ctx, q)
}

// Search lists the reports holding the value typed, read as an indicator
// of any kind (guessed), newest first, ListMax at most, and the value as
// read.
func (s *Service) Search(ctx context.Context, p account.Principal, typed string) (indicator.Indicator, []QueueRow, error) {
	if !isAnalyst(p) {
		return indicator.Indicator{}, nil, notFound("reports")
	}
	x := indicator.Normalize(indicator.KindAuto, strings.TrimSpace(typed))
	if x.Key() == "" {
		return x, []QueueRow{}, nil
	}
	rows, err := s.d.Store.ReportsWithKey(ctx, x.Key(), ListMax)
	return x, rows, err
}

// SharedValue is one value of a report with the other reports holding it.
type SharedValue struct {
	Seen   Seen
	Others int // other reports holding its key
}

// Desk is a report as an analyst sees it, without its sealed part.
type Desk struct {
	Case   casefile.Case
	Lane   Lane
	Place  Place         // where the report comes from, as said; empty if not
	Values []SharedValue // every value given, readable or not
	// Matching is the report's campaign and, per value read, whether it
	// links the report to others and why not.
	Matching *Matching
	Routes   []Route
	Events   []casefile.Event
}

// Link returns what the index says of the value with key, if anything.
func (d *Desk) Link(key string) *Match {
	if d.Matching == nil || key == "" {
		return nil
	}
	for i := range d.Matching.Matches {
		if d.Matching.Matches[i].Seen.Key == key {
			return &d.Matching.Matches[i]
		}
	}
	return nil
}

// reportInScope returns report ref when p may work on it.
func (s *Service) reportInScope(ctx context.Context, p account.Principal, ref string) (casefile.Case, error) {
	if !isAnalyst(p) {
		return casefile.Case{}, notFound("report " + ref)
	}
	r, err := caseref.Parse(ref)
	if err != nil || r.Kind != caseref.Report {
		return casefile.Case{}, notFound("report " + ref)
	}
	c, _, err := s.d.Store.CaseByRef(ctx, r.String())
	if err != nil {
		return casefile.Case{}, fmt.Errorf("report %s: %w", r, err)
	}
	return c, nil
}

// Report returns report ref for an analyst: values with their matches,
// routes with the rule that fired and why, and its history. It opens
// nothing sealed, so it records no access.
func (s *Service) Report(ctx context.Context, p account.Principal, ref string) (*Desk, error) {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	d := &Desk{Case: c}
	if d.Lane, err = s.d.Store.ReportLane(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Place, err = s.d.Store.ReportPlace(ctx, c.ID); err != nil {
		return nil, err
	}
	seen, err := s.d.Store.ReportSeen(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	shared, err := s.d.Store.SharedKeys(ctx, c.ID, keysOf(seen))
	if err != nil {
		return nil, err
	}
	for _, v := range seen {
		d.Values = append(d.Values, SharedValue{Seen: v, Others: shared[v.Key]})
	}
	if d.Matching, err = s.Matches(ctx, p, c.Ref); err != nil {
		return nil, err
	}
	if d.Routes, err = s.d.Store.ReportRoutes(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Events, err = s.d.Store.CaseEvents(ctx, c.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenAccount opens the reporter's own words and address for purpose, as
// a visible access event (the reporter's status page lists it).
func (s *Service) OpenAccount(ctx context.Context, p account.Principal, ref, purpose string) (*Account, error) {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(Purposes, purpose) {
		var v guichet.ValidationError
		v.Add("purpose", "report.err.purpose")
		return nil, &v
	}
	if c.Erased() {
		return nil, fmt.Errorf("report %s: erased: %w", c.Ref, guichet.ErrNotFound)
	}
	sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	pers, err := Kind.OpenPersonal(s.d.Vault, c.ID, sealed)
	if err != nil {
		return nil, err
	}
	ev := s.event(c.ID, casefile.EventAccessed, actorOf(p), s.d.Clock.Now(), map[string]string{
		"role": string(p.Role), "agent": p.Pseudonym, "purpose": purpose, "unit": p.UnitID,
	})
	if err := s.d.Store.RecordEvents(ctx, c.ID, []casefile.Event{ev}); err != nil {
		return nil, err
	}
	s.d.Logger.InfoContext(ctx, "report opened", "ref", c.Ref, "agent", p.Pseudonym, "purpose", purpose)
	return pers.(*Account), nil
}

// AddRoute sends the report to one more service by hand, with a reason.
func (s *Service) AddRoute(ctx context.Context, p account.Principal, ref, service, reason string) error {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	reason, err = checkRoute(service, reason)
	if err != nil {
		return err
	}
	routes, err := s.d.Store.ReportRoutes(ctx, c.ID)
	if err != nil {
		return err
	}
	return s.addRoute(ctx, p, c.ID, c.Status, routes, service, reason, "")
}

// checkRoute checks a route an analyst adds by hand: a known service and
// a reason, returned trimmed; else field errors ("service", "reason").
func checkRoute(service, reason string) (string, error) {
	var v guichet.ValidationError
	if !ValidService(service) {
		v.Add("service", "report.err.service")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		v.Add("reason", "report.err.reason")
	}
	return reason, v.Err()
}

// addRoute sends report caseID, in status and holding routes, to service
// (valid) for reason (not blank): AddRoute's change, for one report or
// each of a campaign (named in the event when campaign is set).
func (s *Service) addRoute(ctx context.Context, p account.Principal, caseID string, status casefile.Status, routes []Route, service, reason, campaign string) error {
	if slices.ContainsFunc(routes, func(r Route) bool { return r.Service == service && r.Status != RouteWithdrawn }) {
		var v guichet.ValidationError
		v.Add("service", "report.err.already_routed")
		return &v
	}
	now := s.d.Clock.Now()
	rt := Route{Service: service, Status: RouteSent, WhyFR: reason, WhyEN: reason, By: actorOf(p), At: now}
	ev := s.routedEvent(caseID, actorOf(p), now, []Route{rt})
	if campaign != "" {
		ev.Data["campaign"] = campaign
	}
	ch := RouteChange{CaseID: caseID, Routes: []Route{rt}, At: now, Events: []casefile.Event{ev}}
	c := casefile.Case{ID: caseID, Status: status}
	if c.Status != casefile.StatusReferred {
		allowed, err := Kind.From(casefile.StatusReferred, kernelActor(p))
		if err != nil {
			return err
		}
		if err := Kind.Check(c.Status, casefile.StatusReferred, kernelActor(p)); err != nil {
			return err
		}
		ch.Allowed, ch.Status = allowed, casefile.StatusReferred
	} else {
		ch.Allowed = []casefile.Status{casefile.StatusReferred}
	}
	return s.d.Store.ChangeRoutes(ctx, ch)
}

// WithdrawRoute takes a route back, with a reason (an override of the
// rules): the route stays listed, withdrawn, with who did it and why.
func (s *Service) WithdrawRoute(ctx context.Context, p account.Principal, ref, service, reason string) error {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		var v guichet.ValidationError
		v.Add("reason", "report.err.reason")
		return &v
	}
	routes, err := s.d.Store.ReportRoutes(ctx, c.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(routes, func(r Route) bool { return r.Service == service && r.Status == RouteSent })
	if i < 0 {
		var v guichet.ValidationError
		v.Add("service", "report.err.not_routed")
		return &v
	}
	now := s.d.Clock.Now()
	rt := routes[i]
	rt.Status, rt.By, rt.At, rt.WhyFR, rt.WhyEN = RouteWithdrawn, actorOf(p), now, reason, reason
	ev := s.event(c.ID, EventRouteWithdrawn, actorOf(p), now, map[string]string{"service": service})
	return s.d.Store.ChangeRoutes(ctx, RouteChange{CaseID: c.ID, Allowed: []casefile.Status{c.Status}, Routes: []Route{rt}, At: now, Events: []casefile.Event{ev}})
}

// RecordOutcome records what a service did with the report. When every
// route still standing has its outcome, the report is closed; the
// reporter's status page shows each outcome in plain words.
func (s *Service) RecordOutcome(ctx context.Context, p account.Principal, ref, service string, o Outcome) error {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	if !slices.Contains(Outcomes, o) {
		var v guichet.ValidationError
		v.Add("outcome", "report.err.outcome")
		return &v
	}
	routes, err := s.d.Store.ReportRoutes(ctx, c.ID)
	if err != nil {
		return err
	}
	return s.recordOutcome(ctx, p, c.ID, c.Status, routes, service, o, "")
}

// recordOutcome records outcome o (valid) of service on report caseID, in
// status and holding routes: RecordOutcome's change, for one report or
// each of a campaign (named in the event when campaign is set).
func (s *Service) recordOutcome(ctx context.Context, p account.Principal, caseID string, status casefile.Status, routes []Route, service string, o Outcome, campaign string) error {
	c := casefile.Case{ID: caseID, Status: status}
	routes = slices.Clone(routes)
	i := slices.IndexFunc(routes, func(r Route) bool { return r.Service == service && r.Status == RouteSent })
	if i < 0 {
		var v guichet.ValidationError
		v.Add("service", "report.err.not_routed")
		return &v
	}
	now := s.d.Clock.Now()
	rt := routes[i]
	rt.Status, rt.Outcome, rt.At = RouteDone, o, now
	routes[i] = rt
	data := map[string]string{"service": service, "outcome": string(o)}
	if campaign != "" {
		data["campaign"] = campaign
	}
	ch := RouteChange{CaseID: c.ID, Allowed: []casefile.Status{casefile.StatusReferred}, Routes: []Route{rt}, At: now,
		Events: []casefile.Event{s.event(c.ID, EventOutcome, actorOf(p), now, data)}}
	if !slices.ContainsFunc(routes, func(r Route) bool { return r.Status == RouteSent }) {
		if err := Kind.Check(c.Status, casefile.StatusClosed, kernelActor(p)); err != nil {
			return err
		}
		ch.Status = casefile.StatusClosed
		ch.Events = append(ch.Events, s.event(c.ID, casefile.EventStatusChanged, actorOf(p), now,
			map[string]string{"from": string(c.Status), "to": string(casefile.StatusClosed)}))
	}
	return s.d.Store.ChangeRoutes(ctx, ch)
}

// ErrNotReport: the case is not a report.
var ErrNotReport = errors.New("not a report")

// ContactEmail returns the address the reporter of case caseID left to
// hear the outcome, for the notifier (which says nothing of the report in
// its message). A case that is not a report fails with ErrNotReport; a
// report without address, or erased, with guichet.ErrNotFound. The address
// MUST NOT be logged or stored elsewhere.
func (s *Service) ContactEmail(ctx context.Context, caseID string) (string, error) {
	if _, err := s.d.Store.ReportLane(ctx, caseID); errors.Is(err, guichet.ErrNotFound) {
		return "", fmt.Errorf("case %s: %w", caseID, ErrNotReport)
	} else if err != nil {
		return "", err
	}
	sealed, err := s.d.Store.CasePersonal(ctx, caseID)
	if err != nil {
		return "", fmt.Errorf("report %s: contact: %w", caseID, err)
	}
	p, err := Kind.OpenPersonal(s.d.Vault, caseID, sealed)
	if err != nil {
		return "", fmt.Errorf("report %s: contact: %w", caseID, err)
	}
	if e := strings.TrimSpace(p.(*Account).Email); e != "" {
		return e, nil
	}
	return "", fmt.Errorf("report %s: contact: no address: %w", caseID, guichet.ErrNotFound)
}

// Screenshot is one screenshot of a report, decrypted.
type Screenshot struct {
	ID, Name, ContentType string
	Data                  []byte
}

// Screenshots lists a report's screenshots (names from the sealed part,
// which the caller has opened) without their content.
func (s *Service) Screenshots(ctx context.Context, p account.Principal, ref string, acct *Account) ([]Screenshot, error) {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	ev, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Screenshot, 0, len(ev))
	for _, e := range ev {
		out = append(out, Screenshot{ID: e.ID, Name: acct.Evidence[e.ID], ContentType: e.ContentType})
	}
	return out, nil
}

// OpenScreenshot decrypts one screenshot of a report, recorded as an
// access with purpose analysis (the reporter sees it).
func (s *Service) OpenScreenshot(ctx context.Context, p account.Principal, ref, id string) (Screenshot, error) {
	c, err := s.reportInScope(ctx, p, ref)
	if err != nil {
		return Screenshot{}, err
	}
	if c.Erased() || s.d.Blobs == nil {
		return Screenshot{}, notFound("screenshot " + id)
	}
	ev, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return Screenshot{}, err
	}
	i := slices.IndexFunc(ev, func(e casefile.Evidence) bool { return e.ID == id })
	if i < 0 {
		return Screenshot{}, notFound("screenshot " + id)
	}
	sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return Screenshot{}, err
	}
	pers, err := Kind.OpenPersonal(s.d.Vault, c.ID, sealed)
	if err != nil {
		return Screenshot{}, err
	}
	blob, err := s.d.Blobs.Get(ctx, ev[i].BlobKey)
	if err != nil {
		return Screenshot{}, err
	}
	data, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: sealed.WrappedKey, Ciphertext: blob}, casefile.EvidenceAAD(c.ID, id))
	if err != nil {
		return Screenshot{}, fmt.Errorf("report %s: screenshot %s: %w", c.Ref, id, err)
	}
	acc := s.event(c.ID, casefile.EventAccessed, actorOf(p), s.d.Clock.Now(), map[string]string{
		"role": string(p.Role), "agent": p.Pseudonym, "purpose": PurposeAnalysis, "unit": p.UnitID, "evidence": id,
	})
	if err := s.d.Store.RecordEvents(ctx, c.ID, []casefile.Event{acc}); err != nil {
		return Screenshot{}, err
	}
	return Screenshot{ID: id, Name: pers.(*Account).Evidence[id], ContentType: ev[i].ContentType, Data: data}, nil
}
