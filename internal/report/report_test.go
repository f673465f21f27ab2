package report_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	svc   *report.Service
	store *sqlite.Store
	clock *stepClock
	deps  func(report.UnitLister) report.Deps
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &stepClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	deps := func(u report.UnitLister) report.Deps {
		return report.Deps{
			Store: st, Vault: v, Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader),
			Digest: func(code caseref.Code) []byte { s := sha256.Sum256([]byte(code)); return s[:] },
			Units:  u,
		}
	}
	return &env{store: st, clock: c, deps: deps, svc: report.New(deps(nil))}
}

func phishing() report.Input {
	return report.Input{
		Category: report.CatPhishing, Lang: "fr", Victim: report.VictimNo, Email: "lea@example.fr",
		Description: "Reçu ce matin.",
		Seen:        []report.SeenInput{{Channel: "sms", Value: "Colis bloqué : https://colis-suivi.example.com/pay?utm_source=x ou 06 12 34 56 78"}},
	}
}

func events(t *testing.T, e *env, c casefile.Case) []string {
	t.Helper()
	evs, err := e.store.CaseEvents(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestSubmitRoutes: a phishing SMS is harmonised, matched and routed at
// once by the default rules — to the cybercrime office and the spam
// observatory, each with the rule that fired and why — in one step.
func TestSubmitRoutes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	f, err := e.svc.Submit(ctx, phishing())
	if err != nil {
		t.Fatal(err)
	}
	if f.Case.Status != casefile.StatusReferred {
		t.Errorf("status %s, want referred", f.Case.Status)
	}
	d, err := e.svc.Report(ctx, analyst, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	var svcs []string
	for _, r := range d.Routes {
		svcs = append(svcs, r.Service)
		if r.RuleID == "" || r.RuleVersion != 1 || r.WhyFR == "" || r.By != "system" {
			t.Errorf("route %+v lacks its rule or reason", r)
		}
	}
	if !slices.Equal(svcs, []string{report.SvcCyber, report.SvcSpam}) {
		t.Errorf("routed to %v", svcs)
	}
	if got := events(t, e, f.Case); !slices.Equal(got, []string{casefile.EventSubmitted, report.EventRouted}) {
		t.Errorf("events %v", got)
	}
	// A second report sharing the number: matched at once (the
	// analyst's desk counts the other report).
	in := phishing()
	in.Seen = []report.SeenInput{{Channel: "phone", Value: "+33 6 12 34 56 78"}}
	g, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := e.svc.Report(ctx, analyst, g.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(d2.Values) != 1 || d2.Values[0].Others != 1 {
		t.Errorf("matches %+v", d2.Values)
	}
	// Search by the number as typed another way.
	x, rows, err := e.svc.Search(ctx, analyst, "0612345678")
	if err != nil || x.Key() != "phone:+33612345678" || len(rows) != 2 {
		t.Errorf("search: %v %d %v", x.Key(), len(rows), err)
	}
	// Agents of a unit do not see reports.
	if _, err := e.svc.Report(ctx, agent, f.Ref); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("agent: %v", err)
	}
	if _, err := e.svc.Queue(ctx, agent, report.QueueQuery{}); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("agent queue: %v", err)
	}
}

// TestQueuePriority: child sexual abuse first, then threats, then scams,
// oldest first within each.
func TestQueuePriority(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var refs []string
	for _, c := range []report.Category{report.CatSpam, report.CatThreats, report.CatChildAbuse, report.CatPhishing} {
		in := phishing()
		in.Category = c
		f, err := e.svc.Submit(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, f.Ref)
		e.clock.Add(time.Minute)
	}
	q, err := e.svc.Queue(ctx, analyst, report.QueueQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range q {
		got = append(got, r.Case.Ref)
	}
	want := []string{refs[2], refs[1], refs[0], refs[3]}
	if !slices.Equal(got, want) {
		t.Errorf("queue %v, want %v", got, want)
	}
}

// TestAnalystActions: opening the reporter's account is an access event
// with a purpose; an override needs a reason; outcomes close the report
// once every standing route has one.
func TestAnalystActions(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	f, err := e.svc.Submit(ctx, phishing())
	if err != nil {
		t.Fatal(err)
	}
	if to, err := e.svc.ContactEmail(ctx, f.Case.ID); err != nil || to != "lea@example.fr" {
		t.Errorf("contact: %q %v", to, err)
	}
	if _, err := e.svc.ContactEmail(ctx, "not-a-report"); !errors.Is(err, report.ErrNotReport) {
		t.Errorf("contact of another case: %v", err)
	}
	anon := phishing()
	anon.Email = ""
	g, err := e.svc.Submit(ctx, anon)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ContactEmail(ctx, g.Case.ID); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("contact of an anonymous report: %v", err)
	}
	var v *guichet.ValidationError
	if _, err := e.svc.OpenAccount(ctx, analyst, f.Ref, "curiosity"); !errors.As(err, &v) {
		t.Errorf("no purpose: %v", err)
	}
	acct, err := e.svc.OpenAccount(ctx, analyst, f.Ref, report.PurposeAnalysis)
	if err != nil || acct.Email != "lea@example.fr" || acct.Description != "Reçu ce matin." {
		t.Fatalf("account %+v %v", acct, err)
	}
	if err := e.svc.AddRoute(ctx, analyst, f.Ref, report.SvcDGCCRF, " "); !errors.As(err, &v) {
		t.Errorf("no reason: %v", err)
	}
	if err := e.svc.AddRoute(ctx, analyst, f.Ref, report.SvcDGCCRF, "site marchand"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddRoute(ctx, analyst, f.Ref, report.SvcDGCCRF, "encore"); !errors.As(err, &v) {
		t.Errorf("twice: %v", err)
	}
	if err := e.svc.WithdrawRoute(ctx, analyst, f.Ref, report.SvcSpam, "pas un spam de masse"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordOutcome(ctx, analyst, f.Ref, report.SvcCyber, report.OutcomeSiteBlocked); err != nil {
		t.Fatal(err)
	}
	c, _, _ := e.store.CaseByRef(ctx, f.Ref)
	if c.Status != casefile.StatusReferred {
		t.Errorf("closed with a route standing: %s", c.Status)
	}
	if err := e.svc.RecordOutcome(ctx, analyst, f.Ref, report.SvcSpam, report.OutcomeRemoved); !errors.As(err, &v) {
		t.Errorf("outcome on a withdrawn route: %v", err)
	}
	if err := e.svc.RecordOutcome(ctx, analyst, f.Ref, report.SvcDGCCRF, report.OutcomeInvestigation); err != nil {
		t.Fatal(err)
	}
	c, _, _ = e.store.CaseByRef(ctx, f.Ref)
	if c.Status != casefile.StatusClosed {
		t.Errorf("status %s, want closed", c.Status)
	}
	want := []string{casefile.EventSubmitted, report.EventRouted, casefile.EventAccessed, report.EventRouted,
		report.EventRouteWithdrawn, report.EventOutcome, report.EventOutcome, casefile.EventStatusChanged}
	if got := events(t, e, c); !slices.Equal(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
	// The reporter's view shows the outcomes.
	view, err := e.svc.View(ctx, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Routes) != 3 {
		t.Errorf("reporter's routes %+v", view.Routes)
	}
}

// TestRules: only supervisors save; a dry run over the last 30 days says
// what a rule would do; a save from a stale version is refused; new
// reports follow the new version, old ones keep theirs.
func TestRules(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	in := phishing()
	in.Category = report.CatInvestment
	in.Seen = []report.SeenInput{{Channel: "iban", Value: "FR76 3000 6000 0112 3456 7890 189"}}
	old, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	rule := report.Rule{Name: "IBAN → fraude carte", Active: true, Kinds: []string{"iban"}, Services: []string{report.SvcCardFraud},
		WhyFR: "Les IBAN frauduleux sont signalés aux banques.", WhyEN: "Fraudulent IBANs are reported to banks."}
	if _, err := e.svc.SaveRule(ctx, analyst, rule); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("analyst saves a rule: %v", err)
	}
	dr, err := e.svc.DryRun(ctx, supervisor, rule)
	if err != nil {
		t.Fatal(err)
	}
	if dr.Reports != 1 || dr.Matched != 1 || dr.New != 1 || dr.Services[report.SvcCardFraud] != 1 {
		t.Errorf("dry run %+v", dr)
	}
	bad := rule
	bad.Services, bad.WhyEN = nil, ""
	var v *guichet.ValidationError
	if _, err := e.svc.SaveRule(ctx, supervisor, bad); !errors.As(err, &v) || len(v.Fields) != 2 {
		t.Errorf("bad rule: %v", err)
	}
	saved, err := e.svc.SaveRule(ctx, supervisor, rule)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Version != 1 || !strings.HasPrefix(saved.ID, "r-") || saved.Author != supervisor.Pseudonym {
		t.Errorf("saved %+v", saved)
	}
	edited := saved
	edited.Services = []string{report.SvcCardFraud, report.SvcInterpol}
	v2, err := e.svc.SaveRule(ctx, supervisor, edited)
	if err != nil || v2.Version != 2 {
		t.Fatalf("edit: %+v %v", v2, err)
	}
	if _, err := e.svc.SaveRule(ctx, supervisor, edited); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("stale edit: %v", err)
	}
	hist, err := e.svc.RuleHistory(ctx, analyst, saved.ID)
	if err != nil || len(hist) != 2 {
		t.Errorf("history %d %v", len(hist), err)
	}
	neu, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := e.svc.Report(ctx, analyst, neu.Ref)
	if !slices.ContainsFunc(d.Routes, func(r report.Route) bool { return r.Service == report.SvcInterpol && r.RuleVersion == 2 }) {
		t.Errorf("new report not routed by v2: %+v", d.Routes)
	}
	d, _ = e.svc.Report(ctx, analyst, old.Ref)
	if slices.ContainsFunc(d.Routes, func(r report.Route) bool { return r.Service == report.SvcCardFraud }) {
		t.Errorf("an old report was re-routed: %+v", d.Routes)
	}
}
