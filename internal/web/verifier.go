package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/verifier"
)

// The public checker, "is this a scam?" (/verifier). What is typed goes in
// the body of a POST, never in an address, and is neither stored nor
// logged (the request log names the route only); the per-address rate
// limit is a key in memory only.

func (s *Server) verifierRoutes() {
	if s.d.Verifier == nil {
		return
	}
	s.checks = newLimiter(s.cfg.CheckRateLimit, s.d.Clock.Now)
	s.handle("GET /verifier", s.verifierForm)
	s.handle("POST /verifier", s.verifierCheck)
}

// verifierData is the checker's page.
type verifierData struct {
	Value   field
	Asked   bool // a check was made: the answers follow
	Answers []verifierAnswer
	More    bool // the input held more values than answered
	// Limited says, when set, why nothing was checked (too many checks
	// from this connection) and when to try again.
	Limited string
}

// verifierAnswer is one answer as the page shows it.
type verifierAnswer struct {
	verifier.Answer
	N int // 1-based
	// Since is the month of the first report ("mars 2026").
	Since string
	// Titles of the warnings citing it, with their links.
	Warnings []verifierWarning
	// ReportURL starts a report pre-filled with the value.
	ReportURL string
	// Count is Reports for reading ("1 234"); GenuineKey the catalogue
	// key saying what a Genuine value is.
	Count, GenuineKey string
}

type verifierWarning struct{ Title, URL string }

func (s *Server) verifierPage(r *http.Request, value string) *page {
	p := s.newPage(r)
	p.Path = "/verifier"
	p.Values = map[string]string{"valeur": value}
	return p
}

func (s *Server) verifierField(p *page) field {
	f := field{Name: "valeur", ID: fieldID("valeur"), Type: "textarea", Label: p.cat.T("verifier.field.valeur"),
		Hint: p.cat.T("verifier.hint.valeur"), Value: p.Values["valeur"], Error: p.Err("valeur")}
	return f
}

func (s *Server) verifierForm(w http.ResponseWriter, r *http.Request) error {
	p := s.verifierPage(r, "")
	p.Data = verifierData{Value: s.verifierField(p)}
	return s.render(w, r, http.StatusOK, "verifier", p)
}

func (s *Server) verifierCheck(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("verifier: %w: %w", guichet.ErrInvalid, err)
	}
	value := r.PostForm.Get("valeur")
	p := s.verifierPage(r, value)
	if bad != nil {
		p.setErrors(bad)
		p.Data = verifierData{Value: s.verifierField(p)}
		return s.render(w, r, http.StatusUnprocessableEntity, "verifier", p)
	}
	if ok, after := s.checks.allow(s.clientKey(r)); !ok {
		p.Data = verifierData{Value: s.verifierField(p),
			Limited: p.cat.T("verifier.limited", int(after.Round(time.Minute)/time.Minute)+1)}
		w.Header().Set("Retry-After", strconv.Itoa(int(after/time.Second)+1))
		return s.render(w, r, http.StatusTooManyRequests, "verifier", p)
	}
	res, err := s.d.Verifier.Check(r.Context(), value)
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		for _, fe := range verr.Fields {
			p.addError("valeur", fe.Key, fe.Args...)
		}
		p.Data = verifierData{Value: s.verifierField(p)}
		return s.render(w, r, http.StatusUnprocessableEntity, "verifier", p)
	}
	if err != nil {
		return err
	}
	d := verifierData{Value: s.verifierField(p), Asked: true, More: res.Truncated}
	for i, a := range res.Answers {
		va := verifierAnswer{Answer: a, N: i + 1, ReportURL: "/signaler?" + url.Values{"canal": {a.Channel}, "valeur": {a.Value}}.Encode()}
		va.Count = groupDigits(p.Lang, int64(a.Reports))
		if g := a.KnownGood; g != nil {
			va.GenuineKey = "verifier.genuine." + g.Category
			if a.Kind == "phone" && p.cat.Has(va.GenuineKey+".phone") {
				va.GenuineKey += ".phone"
			}
			if !p.cat.Has(va.GenuineKey) {
				va.GenuineKey = "verifier.genuine.other"
			}
		}
		if !a.FirstSeen.IsZero() {
			va.Since = monthYear(p.Lang, a.FirstSeen)
		}
		for _, c := range a.Warnings {
			title := c.Titles[p.Lang]
			if title == "" {
				title = c.Titles[defaultLang]
			}
			va.Warnings = append(va.Warnings, verifierWarning{Title: title, URL: "/avis/" + url.PathEscape(c.Slug)})
		}
		d.Answers = append(d.Answers, va)
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "verifier", p)
}

// monthYear is "mars 2026" or "March 2026", in Paris time.
func monthYear(lang string, t time.Time) string {
	t = t.In(complaint.Paris)
	if lang == "fr" {
		return frMonths[t.Month()-1] + nbsp + strconv.Itoa(t.Year())
	}
	return t.Format("January" + nbsp + "2006")
}

// prefilledSeen reads the value a report is pre-filled with (from the
// checker's link): a channel of report.Channels and a value of at most
// report.MaxSMSLen bytes; anything else is ignored.
func prefilledSeen(q url.Values) (channel, value string) {
	channel, value = q.Get("canal"), q.Get("valeur")
	valid := false
	for _, c := range report.Channels {
		valid = valid || c == channel
	}
	if !valid || value == "" || len(value) > report.MaxValueLen || !isText(value) {
		return "", ""
	}
	return channel, value
}
