package web

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/station"
)

// casePageDesk is what the case's summary, its opened file and the
// evidence downloads need of the case desk. The summary also lists the
// free slots the appointment can move to (calendarDesk).
type casePageDesk interface {
	Summary(ctx context.Context, p account.Principal, ref string) (*casework.Summary, error)
	Open(ctx context.Context, p account.Principal, ref string, purpose casework.Purpose) (*casework.CaseFile, error)
	Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*casework.File, error)
	Assignees(ctx context.Context, p account.Principal, ref string) ([]casework.Agent, error)
}

// summaryData is the case summary page's data.
type summaryData struct {
	Summary   *casework.Summary
	Assignees []casework.Agent
	Slots     []station.Slot // free slots the appointment can move to
	Purposes  []casework.Purpose
	Done      string
	Timeline  []eventLine
	// LinkedReports are the reports the pre-complaint was filed from;
	// ReadsReports: the agent may open them (else shown as text).
	LinkedReports []string
	ReadsReports  bool
}

// CaseMeta is the case the page is about, for the shared end of the page.
func (d *summaryData) CaseMeta() *casefile.Case { return &d.Summary.Case }

// eventLine is one event as the back-office history shows it.
type eventLine struct {
	At    time.Time
	Type  string
	Actor string
	Data  map[string]string
}

func history(events []casefile.Event) []eventLine {
	out := make([]eventLine, 0, len(events))
	for _, e := range events {
		out = append(out, eventLine{At: e.At, Type: e.Type, Actor: e.Actor, Data: e.Data})
	}
	return out
}

// EventLabel names an event type for agents: the back-office wording
// when there is one, else the citizen's, else a generic "update".
func (p *page) EventLabel(typ string) string {
	if p.cat.Has("cases.event." + typ) {
		return p.cat.T("cases.event." + typ)
	}
	if key, ok := eventKeys[typ]; ok {
		return p.cat.T(key)
	}
	return p.cat.T("event.other")
}

// ActorLabel names who recorded an event: the citizen, the system, or an
// agent by pseudonym ("agent:A7F2").
func (p *page) ActorLabel(actor string) string {
	switch {
	case actor == "citizen":
		return p.cat.T("cases.actor.citizen")
	case actor == "system":
		return p.cat.T("cases.actor.system")
	case strings.HasPrefix(actor, "agent:"):
		return p.cat.T("event.assigned_to", strings.TrimPrefix(actor, "agent:"))
	}
	return actor
}

// Has reports whether the catalogue has key, for optional labels.
func (p *page) Has(key string) bool { return p.cat.Has(key) }

func (s *Server) renderSummary(w http.ResponseWriter, r *http.Request, pr account.Principal, ref string, status int, p *page) error {
	sum, err := s.d.Cases.Summary(r.Context(), pr, ref)
	if err != nil {
		return err
	}
	data := &summaryData{Summary: sum, Purposes: casework.Purposes, Done: r.URL.Query().Get("ok"), Timeline: history(sum.Events),
		LinkedReports: linkedRefs(sum.Events, caseref.Report), ReadsReports: s.d.Reports != nil && report.MayRead(pr)}
	if !sum.Case.Status.Final() && !sum.Case.Erased() {
		if data.Assignees, err = s.d.Cases.Assignees(r.Context(), pr, ref); err != nil {
			return err
		}
		if data.Slots, err = s.freeSlots(r, pr, sum); err != nil {
			return err
		}
	}
	p.Data = data
	return s.render(w, r, status, "agent_case", p)
}

func (s *Server) agentSummary(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	p := s.newPage(r)
	if a := r.URL.Query().Get("attribuer"); a != "" {
		p.Values = map[string]string{"agent": a}
	}
	return s.renderSummary(w, r, pr, r.PathValue("ref"), http.StatusOK, p)
}

// fileData is the opened case file's data.
type fileData struct {
	File      *casework.CaseFile
	Purpose   casework.Purpose
	Assignees []casework.Agent
	Slots     []station.Slot // free slots the appointment can move to
	Timeline  []eventLine
}

// CaseMeta is the case the page is about, for the shared end of the page.
func (d *fileData) CaseMeta() *casefile.Case { return &d.File.Case }

func (s *Server) agentOpen(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("open %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	purpose := casework.Purpose(r.PostForm.Get("purpose"))
	if bad != nil || !purpose.Valid() {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		if !p.setErrors(bad) {
			p.addError("purpose", "cases.err.purpose")
		}
		return s.renderSummary(w, r, pr, ref, http.StatusUnprocessableEntity, p)
	}
	cf, err := s.d.Cases.Open(r.Context(), pr, ref, purpose)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Path = "/agent/dossiers/" + ref
	data := &fileData{File: cf, Purpose: purpose, Timeline: history(cf.Events)}
	if !cf.Case.Status.Final() && !cf.Case.Erased() {
		if data.Assignees, err = s.d.Cases.Assignees(r.Context(), pr, ref); err != nil {
			return err
		}
		if data.Slots, err = s.freeSlots(r, pr, &cf.Summary); err != nil {
			return err
		}
	}
	p.Data = data
	return s.render(w, r, http.StatusOK, "agent_file", p)
}

// agentEvidence serves one decrypted evidence file as a download that the
// browser never renders: attachment, nosniff, a sandboxing CSP, no store.
func (s *Server) agentEvidence(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	f, err := s.d.Cases.Evidence(r.Context(), pr, r.PathValue("ref"), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := f.Name
	if name == "" {
		name = "piece"
	}
	s.serveDownload(w, r, name, f.ContentType, f.Data)
	return nil
}

// serveDownload writes a decrypted file as a download the browser never
// renders: attachment, nosniff, a sandboxing CSP, no store.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, name, contentType string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", attachment(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	if _, err := w.Write(data); err != nil {
		s.d.Logger.DebugContext(r.Context(), "write download", "err", err)
	}
}

// attachment is a Content-Disposition header for a download named name:
// an ASCII fallback and the exact name per RFC 5987.
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	return mime.FormatMediaType("attachment", map[string]string{"filename": ascii}) +
		"; filename*=UTF-8''" + url.PathEscape(name)
}
