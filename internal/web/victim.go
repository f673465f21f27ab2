package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
)

// "Are you the victim?": the sent page of a report whose reporter lost
// money offers a pre-complaint started from what they typed. The report
// is read back for its reporter only through the sealed "signalement"
// cookie set when it was filed (reportProof), never by its reference
// alone; the reference travels in the form only to be checked against the
// cookie, so that a stale page never prefills from another report. The
// report is left as filed: the pre-complaint is linked to it when, and
// only when, it is submitted (complaint.Submission.Linked).

// fromReportParam names, on the eligibility form, the report the draft
// is to start from.
const fromReportParam = "signalement"

// victimPath is where the sent page's button posts.
const victimPath = "/signaler/preplainte"

func (s *Server) victimRoutes() {
	if s.d.Reports == nil {
		return
	}
	s.handle("POST "+victimPath, s.victimStart)
}

// reporterOf returns the report this browser filed, from its sealed
// cookie, while it is still kept (sentKept); ok is false without one.
func (s *Server) reporterOf(r *http.Request) (pr reportProof, ok bool) {
	if !s.openSealed(r, reportSentCookie, reportSentLabel, &pr) {
		return reportProof{}, false
	}
	at, now := time.Unix(pr.At, 0), s.now()
	ref, err := caseref.Parse(pr.Ref)
	if err != nil || ref.Kind != caseref.Report || now.Sub(at) >= sentKept || at.After(now.Add(time.Minute)) {
		return reportProof{}, false
	}
	pr.Ref = ref.String()
	return pr, true
}

// ownReport returns the ref typed in the form when it is the report of
// this browser's cookie; "" otherwise.
func (s *Server) ownReport(r *http.Request, typed string) string {
	pr, ok := s.reporterOf(r)
	if !ok || typed == "" || !strings.EqualFold(strings.TrimSpace(typed), pr.Ref) {
		return ""
	}
	return pr.Ref
}

// complaintKind is the kind of pre-complaint a report's category leads
// to: every scam in which money is lost is a fraud (escroquerie; the
// extortion of ransomware or sextortion is filed there too, the nearest
// kind the pre-complaint has); "" for the others, which the reporter
// chooses.
func complaintKind(c report.Category) complaint.Category {
	if c.Scam() {
		return complaint.Fraud
	}
	return ""
}

// victimStart is the sent page's button: to the eligibility questions,
// asked before any draft opens, with the kind of offence chosen from the
// report (fromReportForm). Without this browser's cookie for that report,
// back to the report form: nothing is read.
func (s *Server) victimStart(w http.ResponseWriter, r *http.Request) error {
	if _, err := readForm(r); err != nil {
		return redirect(w, r, "/signaler/envoye")
	}
	ref := s.ownReport(r, r.PostForm.Get(fromReportParam))
	if ref == "" {
		return redirect(w, r, "/signaler/envoye")
	}
	if _, st, err := s.openDraft(w, r); err == nil && st.Form.Report == ref {
		// Already started from this report in this browser: go on with it.
		return redirect(w, r, stepPath(st.Step))
	}
	// Post/redirect/get: a reload or a change of language keeps the page.
	return redirect(w, r, "/preplainte?"+fromReportParam+"="+ref)
}

// fromReportForm fills the eligibility page of a draft to start from the
// report named in the query, when this browser filed it: the kind of
// offence chosen from the report. It reports whether it did.
func (s *Server) fromReportForm(r *http.Request, p *page) bool {
	ref := s.ownReport(r, r.URL.Query().Get(fromReportParam))
	if ref == "" {
		return false
	}
	pr, _ := s.reporterOf(r)
	p.Form = &complaint.Form{Category: complaintKind(report.Category(pr.Category)), Report: ref}
	p.Data = eligibilityData{FromReport: ref}
	return true
}

// startFromReport opens the draft of an eligible citizen who came from
// their report's sent page: the report read with this browser's cookie
// (or, without it, the eligibility page again saying so, the answers
// kept, to go on without the report).
func (s *Server) startFromReport(w http.ResponseWriter, r *http.Request, p *page, answers complaint.Form, typed string) error {
	ref := s.ownReport(r, typed)
	if ref == "" {
		p.Form = &answers
		p.Data = eligibilityData{ReportLost: true}
		return s.render(w, r, http.StatusForbidden, "eligibility", p)
	}
	own, err := s.d.Reports.Own(r.Context(), ref)
	if errors.Is(err, guichet.ErrNotFound) {
		p.Form = &answers
		p.Data = eligibilityData{ReportLost: true}
		return s.render(w, r, http.StatusForbidden, "eligibility", p)
	}
	if err != nil {
		return err
	}
	f := prefill(p, answers, own)
	code, _, err := s.d.Complaints.StartDraft(r.Context(), f)
	if err != nil {
		return err
	}
	s.setDraft(w, code)
	return redirect(w, r, "/preplainte/code?nouveau=1")
}

// prefill is the new draft's form: the eligibility answers, and from the
// report its reference, the day it was seen as the start of the facts
// (at 00:00, which the facts step asks to correct) and the reporter's
// account followed by the values they gave, each labelled: the
// pre-complaint has no field of its own for an IBAN, a number, an
// address or an account of the author, so they go in the facts, in the
// page's language.
func prefill(p *page, answers complaint.Form, own *report.Own) complaint.Form {
	f := answers
	f.Report = own.Case.Ref
	if !own.SeenOn.IsZero() {
		f.FactsFrom = own.SeenOn.In(time.Local).Format("2006-01-02") + "T00:00"
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(own.Description))
	if len(own.Seen) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(p.cat.T("victim.facts.values", own.Case.Ref))
		for _, v := range own.Seen {
			val := v.Input
			if v.Valid && v.Display != "" {
				val = v.Display
			}
			b.WriteString("\n- " + p.cat.T("victim.facts.value", p.cat.T("report.kind."+v.Kind), val))
		}
	}
	f.Description = b.String()
	return f
}

// linkedRefs are the references of kind named by the case's link events
// (casefile.EventLinked), oldest first, each once.
func linkedRefs(events []casefile.Event, kind caseref.Kind) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.Type != casefile.EventLinked {
			continue
		}
		ref, err := caseref.Parse(e.Data["ref"])
		if err != nil || ref.Kind != kind || seen[ref.String()] {
			continue
		}
		seen[ref.String()] = true
		out = append(out, ref.String())
	}
	return out
}
