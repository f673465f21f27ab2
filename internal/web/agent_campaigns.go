package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/report"
)

// The analysts' campaign pages (/agent/campagnes) and the known-good list
// (/agent/valeurs-sures). The report service checks the principal's role
// on every call: analysts, supervisors and admins read; analysts and
// supervisors act on a campaign; supervisors and admins edit the list.

func (s *Server) campaignRoutes() {
	if s.d.Reports == nil {
		return
	}
	s.handle("GET /agent/campagnes", s.agentOnly(s.agentCampaigns))
	s.handle("GET /agent/campagnes/{ref}", s.agentOnly(s.agentCampaign))
	s.handle("POST /agent/campagnes/{ref}/orienter", s.agentOnly(s.agentCampaignRoute))
	s.handle("POST /agent/campagnes/{ref}/issue", s.agentOnly(s.agentCampaignOutcome))
	s.handle("POST /agent/campagnes/{ref}/doublons", s.agentOnly(s.agentCampaignDuplicates))
	s.handle("POST /agent/campagnes/{ref}/publier", s.agentOnly(s.agentCampaignPublish))
	s.handle("GET /agent/valeurs-sures", s.agentOnly(s.agentKnownGood))
	s.handle("POST /agent/valeurs-sures", s.agentOnly(s.agentKnownGoodAdd))
	s.handle("POST /agent/valeurs-sures/retirer", s.agentOnly(s.agentKnownGoodRemove))
}

// campaignsPerPage is how many campaigns one page of the list shows.
const campaignsPerPage = 50

// campaignsData is the list of campaigns.
type campaignsData struct {
	Items []report.CampaignSummary
	Cats  []report.Category
	// Page is the page shown (1, 2…); Prev and Next the addresses of the
	// pages around it, "" when none.
	Page       int
	Prev, Next string
}

func (s *Server) agentCampaigns(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	q := r.URL.Query()
	if bad := textOnly(q); bad != nil {
		return fmt.Errorf("campaigns: %w", bad)
	}
	p := s.newPage(r)
	p.Values = map[string]string{"categorie": q.Get("categorie"), "taille": q.Get("taille")}
	f := report.CampaignFilter{Category: report.Category(q.Get("categorie")), Limit: campaignsPerPage + 1}
	if f.Category != "" && !f.Category.Valid() {
		p.addError("categorie", "campaigns.err.category")
		f.Category = ""
	}
	if t := strings.TrimSpace(q.Get("taille")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 1_000_000 {
			p.addError("taille", "campaigns.err.size")
		} else {
			f.MinReports = n
		}
	}
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= 10000 {
		page = n
	}
	f.Offset = (page - 1) * campaignsPerPage
	items, err := s.d.Reports.Campaigns(r.Context(), pr, f)
	if err != nil {
		return err
	}
	d := &campaignsData{Cats: report.Categories, Page: page}
	at := func(n int) string {
		v := url.Values{}
		for _, k := range []string{"categorie", "taille"} {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/agent/campagnes"
		}
		return "/agent/campagnes?" + v.Encode()
	}
	if len(items) > campaignsPerPage {
		items = items[:campaignsPerPage]
		d.Next = at(page + 1)
	}
	if page > 1 {
		d.Prev = at(page - 1)
	}
	d.Items = items
	p.Data = d
	return s.render(w, r, http.StatusOK, "agent_campaigns", p)
}

// campaignData is a campaign's page.
type campaignData struct {
	View *report.CampaignView
	// Merged is the reference asked for when it was of a campaign merged
	// into this one.
	Merged string
	// NoLinks says, per key, why it does not link.
	NoLinks map[string]string
	// DayMax is the most reports of a day, for the bars.
	DayMax   int
	Services []string
	Outcomes []report.Outcome
	// CanAct: the principal may run the bulk actions.
	CanAct bool
	// Done is the result of the action just run, said at the top.
	Done *campaignDone
	// Confirm is the action awaiting confirmation, if any.
	Confirm *campaignConfirm
}

// campaignDone is what a bulk action did, as the redirect carries it.
type campaignDone struct {
	Action  string // route, outcome, duplicates, publish, unpublish
	Service string
	Res     report.BulkResult
}

// campaignConfirm is a bulk action restated before it runs.
type campaignConfirm struct {
	Action, Service, Reason, Outcome string
}

func (s *Server) campaignPage(r *http.Request, pr account.Principal, ref string) (*page, *campaignData, error) {
	v, err := s.d.Reports.Campaign(r.Context(), pr, ref)
	if err != nil {
		return nil, nil, err
	}
	p := s.newPage(r)
	p.Path = "/agent/campagnes/" + v.Ref
	d := &campaignData{View: v, NoLinks: map[string]string{}, Services: report.Services, Outcomes: report.Outcomes,
		CanAct: pr.Role == account.RoleAnalyst || pr.Role == account.RoleSupervisor}
	for _, k := range v.Keys {
		if key := k.NoLink.MessageKey(); key != "" {
			args := k.NoLink.MessageArgs()
			if k.NoLink.Code == report.NoLinkKnownGood && len(args) == 2 {
				args[0] = p.cat.T(args[0].(string))
			}
			d.NoLinks[k.Key] = p.cat.T(key, args...)
		}
	}
	for _, dc := range v.Days {
		d.DayMax = max(d.DayMax, dc.Reports)
	}
	p.Data = d
	return p, d, nil
}

func (s *Server) agentCampaign(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	q := r.URL.Query()
	if bad := textOnly(q); bad != nil {
		return fmt.Errorf("campaign: %w", bad)
	}
	p, d, err := s.campaignPage(r, pr, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if d.View.Asked != "" {
		return redirect(w, r, "/agent/campagnes/"+d.View.Ref+"?fusion="+url.QueryEscape(d.View.Asked))
	}
	if m, err := report.ParseCampaignRef(q.Get("fusion")); err == nil && m != d.View.Ref {
		d.Merged = m
	}
	d.Done = doneFrom(q)
	return s.render(w, r, http.StatusOK, "agent_campaign", p)
}

// doneFrom reads the result of an action from the redirect's query.
func doneFrom(q url.Values) *campaignDone {
	a := q.Get("fait")
	if !slices.Contains([]string{"route", "outcome", "duplicates", "publish", "unpublish"}, a) {
		return nil
	}
	n := func(k string) int {
		v, err := strconv.Atoi(q.Get(k))
		if err != nil || v < 0 {
			return 0
		}
		return v
	}
	d := &campaignDone{Action: a, Res: report.BulkResult{Read: n("lus"), Changed: n("n"), Already: n("deja"), Final: n("clos"),
		Other: n("autres"), Conflicts: n("conflits"), Stopped: q.Get("arret") == "1"}}
	if svc := q.Get("service"); report.ValidService(svc) {
		d.Service = svc
	}
	return d
}

// doneURL is the campaign's page saying what an action did.
func doneURL(ref, action, service string, res report.BulkResult) string {
	v := url.Values{"fait": {action}}
	if service != "" {
		v.Set("service", service)
	}
	for k, n := range map[string]int{"lus": res.Read, "n": res.Changed, "deja": res.Already, "clos": res.Final,
		"autres": res.Other, "conflits": res.Conflicts} {
		v.Set(k, strconv.Itoa(n))
	}
	if res.Stopped {
		v.Set("arret", "1")
	}
	return "/agent/campagnes/" + ref + "?" + v.Encode() + "#resultat"
}

// campaignAction runs a bulk action from the campaign's page: the first
// post shows what it will do, to confirm (unless check refuses the form,
// which shows the page again with the errors); the post confirming it
// ("confirmer=1") runs it and comes back to the page saying what it did.
func (s *Server) campaignAction(w http.ResponseWriter, r *http.Request, pr account.Principal, action string,
	check func() error, run func(ref string) (report.BulkResult, error)) error {
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("campaign %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	f := r.PostForm
	keep := map[string]string{"service": f.Get("service"), "reason": f.Get("reason"), "outcome": f.Get("outcome")}
	verr := bad
	if verr == nil && check != nil {
		verr = check()
	}
	var res report.BulkResult
	if verr == nil && f.Get("confirmer") == "1" {
		res, err = run(ref)
		var v *guichet.ValidationError
		if errors.As(err, &v) {
			verr = err
		} else if err != nil {
			return err
		}
	}
	p, d, err := s.campaignPage(r, pr, ref)
	if err != nil {
		return err
	}
	if verr != nil {
		moved := &guichet.ValidationError{}
		var v *guichet.ValidationError
		errors.As(verr, &v)
		for _, fe := range v.Fields {
			moved.Add(action+"."+fe.Field, fe.Key, fe.Args...)
		}
		p.setErrors(moved)
		p.Values = map[string]string{}
		for k, x := range keep {
			p.Values[action+"."+k] = x
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_campaign", p)
	}
	if f.Get("confirmer") != "1" {
		if !d.CanAct {
			return fmt.Errorf("campaign %s: %s: role %q: %w", ref, action, pr.Role, guichet.ErrForbidden)
		}
		d.Confirm = &campaignConfirm{Action: action, Service: keep["service"], Reason: strings.TrimSpace(keep["reason"]), Outcome: keep["outcome"]}
		return s.render(w, r, http.StatusOK, "agent_campaign_confirm", p)
	}
	svc := ""
	if action != "duplicates" {
		svc = keep["service"]
	}
	return redirect(w, r, doneURL(res.Campaign, action, svc, res))
}

func (s *Server) agentCampaignRoute(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.campaignAction(w, r, pr, "route", func() error {
		var v guichet.ValidationError
		if !report.ValidService(r.PostForm.Get("service")) {
			v.Add("service", "report.err.service")
		}
		if strings.TrimSpace(r.PostForm.Get("reason")) == "" {
			v.Add("reason", "report.err.reason")
		}
		return v.Err()
	}, func(ref string) (report.BulkResult, error) {
		return s.d.Reports.RouteCampaign(r.Context(), pr, ref, r.PostForm.Get("service"), r.PostForm.Get("reason"))
	})
}

func (s *Server) agentCampaignOutcome(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.campaignAction(w, r, pr, "outcome", func() error {
		var v guichet.ValidationError
		if !report.ValidService(r.PostForm.Get("service")) {
			v.Add("service", "report.err.service")
		}
		if !slices.Contains(report.Outcomes, report.Outcome(r.PostForm.Get("outcome"))) {
			v.Add("outcome", "report.err.outcome")
		}
		return v.Err()
	}, func(ref string) (report.BulkResult, error) {
		return s.d.Reports.RecordCampaignOutcome(r.Context(), pr, ref, r.PostForm.Get("service"), report.Outcome(r.PostForm.Get("outcome")))
	})
}

func (s *Server) agentCampaignDuplicates(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	return s.campaignAction(w, r, pr, "duplicates", nil, func(ref string) (report.BulkResult, error) {
		return s.d.Reports.CloseDuplicates(r.Context(), pr, ref)
	})
}

// agentCampaignPublish publishes a value of the campaign to its reporters,
// or hides it again ("action=retirer"): undone as easily, it needs no
// confirmation.
func (s *Server) agentCampaignPublish(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("campaign %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	v, err := s.d.Reports.Campaign(r.Context(), pr, ref)
	if err != nil {
		return err
	}
	key := r.PostForm.Get("key")
	if !slices.ContainsFunc(v.Keys, func(k report.CampaignViewKey) bool { return k.Key == key }) {
		return fmt.Errorf("campaign %s: value not shared: %w", v.Ref, guichet.ErrNotFound)
	}
	action := "publish"
	if r.PostForm.Get("action") == "retirer" {
		action = "unpublish"
		err = s.d.Reports.Unpublish(r.Context(), pr, key)
	} else {
		err = s.d.Reports.Publish(r.Context(), pr, key)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/campagnes/"+v.Ref+"?fait="+action+"#resultat")
}

// knownGoodData is the known-good list.
type knownGoodData struct {
	Items      []report.KnownGood
	Total      int
	Kinds      []string
	Categories []string
	Editor     bool
	// Added and Removed name the entry just added or removed.
	Added, Removed string
}

// knownGoodKinds are the kinds of value the list takes, in the form's
// order.
var knownGoodKinds = []string{"domain", "url", "email", "phone", "iban", "ip", "btc", "eth"}

func (s *Server) knownGoodPage(r *http.Request, pr account.Principal, q url.Values) (*page, error) {
	list, err := s.d.Reports.KnownGood(r.Context(), pr)
	if err != nil {
		return nil, err
	}
	p := s.newPage(r)
	p.Path = "/agent/valeurs-sures"
	d := &knownGoodData{Total: len(list), Kinds: knownGoodKinds, Categories: report.KnownGoodCategories,
		Editor: pr.Role == account.RoleSupervisor || pr.Role == account.RoleAdmin}
	fkind, fcat, ftext := q.Get("genre"), q.Get("categorie"), strings.ToLower(strings.TrimSpace(q.Get("texte")))
	for _, g := range list {
		if (fkind != "" && g.Kind != fkind) || (fcat != "" && g.Category != fcat) ||
			(ftext != "" && !strings.Contains(strings.ToLower(g.Canonical+" "+g.Label), ftext)) {
			continue
		}
		d.Items = append(d.Items, g)
	}
	p.Values = map[string]string{"genre": fkind, "categorie": fcat, "texte": q.Get("texte")}
	p.Data = d
	return p, nil
}

func (s *Server) agentKnownGood(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	q := r.URL.Query()
	if bad := textOnly(q); bad != nil {
		return fmt.Errorf("known-good: %w", bad)
	}
	p, err := s.knownGoodPage(r, pr, q)
	if err != nil {
		return err
	}
	d := p.Data.(*knownGoodData)
	d.Added, d.Removed = q.Get("ajoute"), q.Get("retire")
	return s.render(w, r, http.StatusOK, "agent_known_good", p)
}

func (s *Server) agentKnownGoodAdd(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("known-good: %w: %w", guichet.ErrInvalid, err)
	}
	f := r.PostForm
	var e report.KnownGood
	if bad == nil {
		e, err = s.d.Reports.AddKnownGood(r.Context(), pr, f.Get("kind"), f.Get("value"), f.Get("category"), f.Get("label"))
		var v *guichet.ValidationError
		if err != nil && !errors.As(err, &v) {
			return err
		}
		bad = err
	}
	if bad != nil {
		p, perr := s.knownGoodPage(r, pr, url.Values{})
		if perr != nil {
			return perr
		}
		// The form's fields are shown as kg.<field>: "category" is also
		// the citizens' forms' field, named for them.
		var v *guichet.ValidationError
		errors.As(bad, &v)
		moved := &guichet.ValidationError{}
		for _, fe := range v.Fields {
			moved.Add("kg."+fe.Field, fe.Key, fe.Args...)
		}
		p.setErrors(moved)
		for _, k := range []string{"kind", "value", "category", "label"} {
			p.Values["kg."+k] = f.Get(k)
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_known_good", p)
	}
	return redirect(w, r, "/agent/valeurs-sures?ajoute="+url.QueryEscape(e.Key))
}

func (s *Server) agentKnownGoodRemove(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("known-good: %w: %w", guichet.ErrInvalid, err)
	}
	key := r.PostForm.Get("key")
	if err := s.d.Reports.RemoveKnownGood(r.Context(), pr, key); err != nil {
		return err
	}
	return redirect(w, r, "/agent/valeurs-sures?retire="+url.QueryEscape(key))
}
