package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// The analysts' workspace for reports (signalements), under
// /agent/signalements: the queue, a report with its matches and routes,
// the routing rules. The report service checks the principal's role on
// every call (analysts and supervisors; reports are national); the pages
// add no check of their own.

func (s *Server) reportDeskRoutes() {
	if s.d.Reports == nil {
		return
	}
	s.handle("GET /agent/signalements", s.agentOnly(s.agentReports))
	s.handle("GET /agent/signalements/{ref}", s.agentOnly(s.agentReport))
	s.handle("POST /agent/signalements/{ref}/consulter", s.agentOnly(s.agentReportOpen))
	s.handle("GET /agent/signalements/{ref}/captures/{id}", s.agentOnly(s.agentReportScreenshot))
	s.handle("POST /agent/signalements/{ref}/orienter", s.agentOnly(s.agentReportRoute))
	s.handle("POST /agent/signalements/{ref}/retirer", s.agentOnly(s.agentReportWithdraw))
	s.handle("POST /agent/signalements/{ref}/issue", s.agentOnly(s.agentReportOutcome))
	s.handle("GET /agent/regles", s.agentOnly(s.agentRules))
	s.handle("GET /agent/regles/{id}", s.agentOnly(s.agentRuleForm))
	s.handle("POST /agent/regles", s.agentOnly(s.agentRuleSave))
}

// reportsData is the queue page.
type reportsData struct {
	Items    []report.QueueRow
	Cats     []report.Category
	Statuses []casefile.Status
	// Search is the value searched as read, when a search was made.
	Search *indicator.Indicator
	// Capped: the list holds as many reports as a page shows (Max), so
	// others may be left out, which the page says.
	Capped bool
	Max    int
}

func (s *Server) agentReports(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	q := r.URL.Query()
	if bad := textOnly(q); bad != nil {
		return fmt.Errorf("reports: %w", bad)
	}
	p := s.newPage(r)
	p.Values = map[string]string{}
	for k := range q {
		p.Values[k] = q.Get(k)
	}
	d := &reportsData{Cats: report.Categories, Statuses: report.Kind.Open()}
	var err error
	if typed := strings.TrimSpace(q.Get("valeur")); typed != "" {
		var x indicator.Indicator
		x, d.Items, err = s.d.Reports.Search(r.Context(), pr, typed)
		d.Search = &x
	} else {
		qq := report.QueueQuery{Category: report.Category(q.Get("categorie")), Lane: report.Lane(q.Get("voie"))}
		if st := casefile.Status(q.Get("etat")); st != "" {
			qq.Statuses = []casefile.Status{st}
		}
		d.Items, err = s.d.Reports.Queue(r.Context(), pr, qq)
	}
	if err != nil {
		return err
	}
	d.Max = report.ListMax
	d.Capped = len(d.Items) >= d.Max
	p.Data = d
	return s.render(w, r, http.StatusOK, "agent_reports", p)
}

// reportDeskData is a report's page.
type reportDeskData struct {
	Desk     *report.Desk
	Account  *report.Account // set once opened, for this response only
	Shots    []report.Screenshot
	Purpose  string
	Purposes []string
	Services []string
	Outcomes []report.Outcome
	Timeline []reportEvent
	// Standing are the services the report is still with.
	Standing []string
	// NoLinks says, per key, why a value links the report to no other
	// (known-good, or held by too many reports).
	NoLinks map[string]string
	// Final: the report is closed for good (report.Kind's final statuses;
	// a referred report, final for a pre-complaint, is still worked on).
	Final bool
	// Linked are the pre-complaints filed from the report by its
	// reporter; HandlesCases: the agent works pre-complaints, so links
	// to them (else they are shown as text).
	Linked       []string
	HandlesCases bool
	// ruleNames names the rules by ID (their latest version's name).
	ruleNames map[string]string
}

// RuleName is the name of rule id as supervisors gave it, or id itself
// for a rule no longer listed.
func (d *reportDeskData) RuleName(id string) string {
	if n := d.ruleNames[id]; n != "" {
		return n
	}
	return id
}

// reportEvent is one event of a report as analysts read it: what
// happened and who did it in words, then its data as recorded.
type reportEvent struct {
	At    time.Time
	Type  string
	Label string
	Who   string
	Data  map[string]string
}

// reportEventLabel words an event of a report for analysts: the
// reporter's wording where the catalogue has one, else its type.
func (p *page) reportEventLabel(typ string) string {
	if key := "report.event." + typ; p.cat.Has(key) {
		return p.cat.T(key)
	}
	return typ
}

// reportActorLabel names who recorded an event of a report: its reporter
// (not a victim: anyone may report), the rules, or an analyst.
func (p *page) reportActorLabel(actor string) string {
	if actor == "citizen" {
		return p.cat.T("reports.actor.reporter")
	}
	return p.ActorLabel(actor)
}

func (s *Server) reportDeskPage(r *http.Request, pr account.Principal, ref string, verr error) (*page, error) {
	d, err := s.d.Reports.Report(r.Context(), pr, ref)
	if err != nil {
		return nil, err
	}
	p := s.newPage(r)
	p.Path = "/agent/signalements/" + d.Case.Ref
	if verr != nil {
		p.setErrors(verr)
	}
	data := &reportDeskData{Desk: d, Purposes: report.Purposes, Services: report.Services, Outcomes: report.Outcomes,
		Final: report.Kind.IsFinal(d.Case.Status), Linked: linkedRefs(d.Events, caseref.PreComplaint), HandlesCases: pr.HandlesCases()}
	data.NoLinks = map[string]string{}
	if d.Matching != nil {
		for _, m := range d.Matching.Matches {
			if k := m.NoLink.MessageKey(); k != "" {
				args := m.NoLink.MessageArgs()
				if m.NoLink.Code == report.NoLinkKnownGood && len(args) == 2 {
					args[0] = p.cat.T(args[0].(string))
				}
				data.NoLinks[m.Seen.Key] = p.cat.T(k, args...)
			}
		}
	}
	for _, rt := range d.Routes {
		if rt.Status == report.RouteSent {
			data.Standing = append(data.Standing, rt.Service)
		}
	}
	for i := len(d.Events) - 1; i >= 0; i-- {
		e := d.Events[i]
		data.Timeline = append(data.Timeline, reportEvent{At: e.At, Type: e.Type, Label: p.reportEventLabel(e.Type),
			Who: p.reportActorLabel(e.Actor), Data: e.Data})
	}
	rules, err := s.d.Reports.Rules(r.Context(), pr)
	if err != nil {
		return nil, err
	}
	data.ruleNames = make(map[string]string, len(rules))
	for _, rl := range rules {
		data.ruleNames[rl.ID] = rl.Name
	}
	p.Data = data
	return p, nil
}

func (s *Server) agentReport(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, err := s.reportDeskPage(r, pr, r.PathValue("ref"), nil)
	if err != nil {
		return err
	}
	p.Values = map[string]string{"fait": r.URL.Query().Get("fait")}
	return s.render(w, r, http.StatusOK, "agent_report", p)
}

// agentReportOpen shows the reporter's own words and address, recorded as
// an access with its purpose, on this response only.
func (s *Server) agentReportOpen(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("open %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	purpose := r.PostForm.Get("purpose")
	acct, err := s.d.Reports.OpenAccount(r.Context(), pr, ref, purpose)
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p, perr := s.reportDeskPage(r, pr, ref, verr)
		if perr != nil {
			return perr
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_report", p)
	}
	if err != nil {
		return err
	}
	p, err := s.reportDeskPage(r, pr, ref, nil)
	if err != nil {
		return err
	}
	d := p.Data.(*reportDeskData)
	d.Account, d.Purpose = acct, purpose
	if d.Shots, err = s.d.Reports.Screenshots(r.Context(), pr, ref, acct); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "agent_report", p)
}

// agentReportScreenshot serves one decrypted screenshot as a download the
// browser never renders (as a case's evidence is), recorded as an access.
func (s *Server) agentReportScreenshot(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	shot, err := s.d.Reports.OpenScreenshot(r.Context(), pr, r.PathValue("ref"), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := shot.Name
	if name == "" {
		name = "capture"
	}
	s.serveDownload(w, r, name, shot.ContentType, shot.Data)
	return nil
}

// reportAction runs one change on a report from its page's form, then
// comes back to the page, or shows the page again with the errors.
//
// The page holds one form to add a route and, per service still holding
// the report, one to record its outcome and one to withdraw it. form names
// the form posted: "" for the route to add, whose inputs are named as the
// service's fields ("service", "reason"); else "outcome" or "withdraw",
// whose errors, whatever their field, are shown on that form's own input
// for the service posted ("withdraw.cyber" is #f-withdraw-cyber), keeping
// the value of its input kept (outcome, reason).
func (s *Server) reportAction(w http.ResponseWriter, r *http.Request, pr account.Principal, form, kept string, do func(ref string) error) error {
	ref := r.PathValue("ref")
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("report %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	err := do(ref)
	var verr *guichet.ValidationError
	if errors.As(err, &verr) || errors.Is(err, guichet.ErrConflict) {
		if verr == nil {
			verr = &guichet.ValidationError{}
			verr.Add("service", "report.err.conflict")
		}
		svc := r.PostForm.Get("service")
		values := map[string]string{}
		if form == "" {
			values["reason"], values["service"] = r.PostForm.Get("reason"), svc
		} else if report.ValidService(svc) {
			at := form + "." + svc
			moved := &guichet.ValidationError{}
			for _, f := range verr.Fields {
				moved.Add(at, f.Key, f.Args...)
			}
			verr = moved
			values[at] = r.PostForm.Get(kept)
		}
		p, perr := s.reportDeskPage(r, pr, ref, verr)
		if perr != nil {
			return perr
		}
		p.Values = values
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_report", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/signalements/"+ref+"?fait=1#orientation")
}

func (s *Server) agentReportRoute(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.reportAction(w, r, pr, "", "", func(ref string) error {
		return s.d.Reports.AddRoute(r.Context(), pr, ref, r.PostForm.Get("service"), r.PostForm.Get("reason"))
	})
}

func (s *Server) agentReportWithdraw(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.reportAction(w, r, pr, "withdraw", "reason", func(ref string) error {
		return s.d.Reports.WithdrawRoute(r.Context(), pr, ref, r.PostForm.Get("service"), r.PostForm.Get("reason"))
	})
}

func (s *Server) agentReportOutcome(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.reportAction(w, r, pr, "outcome", "outcome", func(ref string) error {
		return s.d.Reports.RecordOutcome(r.Context(), pr, ref, r.PostForm.Get("service"), report.Outcome(r.PostForm.Get("outcome")))
	})
}

// rulesData is the rules page.
type rulesData struct {
	Rules      []report.Rule
	Supervisor bool
	// Saved is the rule just saved, said at the top of the page.
	Saved *report.Rule
}

func (s *Server) agentRules(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	rules, err := s.d.Reports.Rules(r.Context(), pr)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	d := &rulesData{Rules: rules, Supervisor: pr.Role == account.RoleSupervisor}
	if id := r.URL.Query().Get("enregistree"); id != "" {
		if i := slices.IndexFunc(rules, func(rl report.Rule) bool { return rl.ID == id }); i >= 0 {
			d.Saved = &rules[i]
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "agent_rules", p)
}

// ruleFormData is the page editing a rule, with its dry run.
type ruleFormData struct {
	Rule     report.Rule
	History  []report.Rule
	DryRun   *report.DryRun
	Tried    string // the digest of the rule as tried: saving needs it
	Cats     []report.Category
	Kinds    []string
	Services []string
}

var ruleKinds = []string{"url", "domain", "ip", "email", "phone", "iban", "btc", "eth", "account"}

func (s *Server) ruleFormPage(r *http.Request, rule report.Rule, hist []report.Rule) *page {
	p := s.newPage(r)
	p.Data = &ruleFormData{Rule: rule, History: hist, Cats: report.Categories, Kinds: ruleKinds, Services: report.Services}
	return p
}

func (s *Server) agentRuleForm(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if pr.Role != account.RoleSupervisor {
		return errNotFound
	}
	id := r.PathValue("id")
	if id == "nouvelle" {
		return s.render(w, r, http.StatusOK, "agent_rule", s.ruleFormPage(r, report.Rule{Active: true}, nil))
	}
	hist, err := s.d.Reports.RuleHistory(r.Context(), pr, id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "agent_rule", s.ruleFormPage(r, hist[len(hist)-1], hist))
}

// ruleDigest names a rule's content, so that what is saved is what was
// tried.
func ruleDigest(rule report.Rule) string {
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("%s/%d/%t/", rule.ID, rule.Version, rule.Active)), rule.Body()...))
	return hex.EncodeToString(sum[:16])
}

// agentRuleSave tries the rule as edited over the last 30 days of
// reports and shows what it would do; only the same rule, once tried, is
// saved.
func (s *Server) agentRuleSave(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if pr.Role != account.RoleSupervisor {
		return errNotFound
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("rule: %w: %w", guichet.ErrInvalid, err)
	}
	f := r.PostForm
	rule := report.Rule{
		ID: f.Get("id"), Name: f.Get("name"), Active: f.Get("active") == "1",
		Kinds: f["kinds"], Services: f["services"], WhyFR: f.Get("why_fr"), WhyEN: f.Get("why_en"),
	}
	fmt.Sscan(f.Get("version"), &rule.Version)
	for _, c := range f["categories"] {
		rule.Categories = append(rule.Categories, report.Category(c))
	}
	for _, d := range strings.FieldsFunc(f.Get("domains"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		rule.Domains = append(rule.Domains, d)
	}
	// Places are separated by commas or semicolons only: "2 A" is one.
	for _, pl := range strings.FieldsFunc(f.Get("places"), func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		if pl = strings.TrimSpace(pl); pl != "" {
			rule.Places = append(rule.Places, pl)
		}
	}
	var hist []report.Rule
	if rule.ID != "" {
		if hist, err = s.d.Reports.RuleHistory(r.Context(), pr, rule.ID); err != nil {
			return err
		}
	}
	p := s.ruleFormPage(r, rule, hist)
	d := p.Data.(*ruleFormData)
	if bad != nil {
		p.setErrors(bad)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_rule", p)
	}
	dr, err := s.d.Reports.DryRun(r.Context(), pr, rule)
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p.setErrors(verr)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_rule", p)
	}
	if err != nil {
		return err
	}
	d.DryRun, d.Tried = &dr, ruleDigest(rule)
	if f.Get("action") != "enregistrer" || f.Get("tried") != d.Tried {
		// First the dry run; saving is offered below it.
		return s.render(w, r, http.StatusOK, "agent_rule", p)
	}
	saved, err := s.d.Reports.SaveRule(r.Context(), pr, rule)
	if errors.Is(err, guichet.ErrConflict) {
		p.addError("name", "rule.err.stale")
		return s.render(w, r, http.StatusConflict, "agent_rule", p)
	}
	if err != nil {
		return err
	}
	// The page says it at its top, in view: no fragment to scroll past it.
	return redirect(w, r, "/agent/regles?enregistree="+url.QueryEscape(saved.ID))
}

// HasCat, HasKind and HasService tell the form's checkboxes what is checked.
func (d *ruleFormData) HasCat(c report.Category) bool { return slices.Contains(d.Rule.Categories, c) }
func (d *ruleFormData) HasKind(k string) bool         { return slices.Contains(d.Rule.Kinds, k) }
func (d *ruleFormData) HasService(v string) bool      { return slices.Contains(d.Rule.Services, v) }

// DomainsText is the domains as typed in the form.
func (d *ruleFormData) DomainsText() string { return strings.Join(d.Rule.Domains, ", ") }

// PlacesText is the places as typed in the form.
func (d *ruleFormData) PlacesText() string { return strings.Join(d.Rule.Places, ", ") }

// PlaceLabel words a token of a place condition in lang.
func (d *ruleFormData) PlaceLabel(t, lang string) string { return report.PlaceTokenLabel(t, lang) }

// PlaceLabel words a token of a place condition in lang.
func (d *rulesData) PlaceLabel(t, lang string) string { return report.PlaceTokenLabel(t, lang) }
