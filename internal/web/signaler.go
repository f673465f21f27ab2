package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
)

// Public reporting (signalements): /signaler asks what it is about, then
// where it was seen, when, and what happened; anonymous by default. The
// pages work without JavaScript; with it, a proof of work is solved while
// the reporter types (see pow.go). No IP address is stored for a report:
// the client's address is a key of the in-memory rate limiter only.

const (
	reportSentCookie = "signalement"
	reportSentLabel  = "guichet/report-sent-cookie/v1"
)

func (s *Server) reportRoutes() {
	if s.d.Reports == nil {
		return
	}
	s.handle("GET /signaler", s.reportStart)
	s.handle("GET /signaler/signalement", s.reportForm)
	// Screenshots go up with the report: the body may hold them all.
	s.handleLimit("POST /signaler/signalement", report.MaxFiles*report.MaxFileSize+1<<20, s.reportSubmit)
	s.handle("GET /signaler/envoye", s.reportSent)
}

// reportStartData is the category page.
type reportStartData struct {
	Category field
}

func (s *Server) categoryField(p *page) field {
	f := field{Name: "categorie", ID: fieldID("categorie"), Label: p.cat.T("report.field.categorie"),
		Value: p.Values["categorie"], Error: p.Err("categorie")}
	for i, c := range report.Categories {
		o := option{Value: string(c), ID: f.ID, Label: p.cat.T("report.cat." + string(c)), Checked: string(c) == f.Value}
		if i > 0 {
			o.ID = f.ID + "-" + string(c)
		}
		if k := "report.cat." + string(c) + ".hint"; p.cat.Has(k) {
			o.Hint = p.cat.T(k)
		}
		f.Options = append(f.Options, o)
	}
	return f
}

// reportStart asks what the report is about.
func (s *Server) reportStart(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r)
	p.Path = "/signaler"
	// A value to report, from the checker's link: carried to the details.
	if ch, v := prefilledSeen(r.URL.Query()); ch != "" {
		p.Values = map[string]string{"canal": ch, "valeur": v}
	}
	p.Data = reportStartData{Category: s.categoryField(p)}
	return s.render(w, r, http.StatusOK, "report_start", p)
}

// seenRow is one "where it was seen" row of the form.
type seenRow struct {
	N       int // 1-based, for the legend
	Channel field
	Value   field
}

// reportFormData is the details page.
type reportFormData struct {
	Category  report.Category
	Files     bool // screenshots accepted (never for child abuse)
	Rows      []seenRow
	More      bool // another row may be added
	NextRow   int  // the row "add another item" adds; the page opens on it (#element-N)
	SeenOn    field
	Place     field // the département (lieu), with Abroad (etranger)
	Abroad    bool
	Recit     field
	Captures  field
	Victim    field
	Email     field
	Challenge string
	Danger    bool // a category where a person may be in danger
	// Limited says, when set, why nothing was sent (too many reports from
	// this connection) and when to try again; the form keeps what was typed.
	Limited string
}

// reportFormPage builds the details form with rows "where it was seen"
// rows, the values typed and the errors of verr (both may be nil).
func (s *Server) reportFormPage(r *http.Request, cat report.Category, rows int, values map[string]string, verr *guichet.ValidationError) *page {
	p := s.newPage(r)
	p.Path = "/signaler/signalement?categorie=" + string(cat)
	p.Values = values
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	if verr != nil {
		p.setErrors(verr)
	}
	d := reportFormData{Category: cat, Files: cat.AcceptsFiles(), Challenge: s.newChallenge(), More: rows < report.MaxSeen, NextRow: rows + 1,
		Danger: cat == report.CatThreats || cat == report.CatTrafficking || cat == report.CatChildAbuse || cat == report.CatTerrorism}
	for i := range rows {
		ch := fmt.Sprintf("vu.%d.canal", i)
		val := fmt.Sprintf("vu.%d.valeur", i)
		cf := field{Name: ch, ID: fieldID(ch), Type: "select", Label: p.cat.T("report.field.canal"), Value: p.Values[ch], Error: p.Err(ch), NoPrompt: true}
		if cf.Value == "" {
			cf.Value = defaultChannel(cat)
		}
		for _, c := range report.Channels {
			cf.Options = append(cf.Options, option{Value: c, Label: p.cat.T("report.channel." + c), Checked: c == cf.Value})
		}
		vf := field{Name: val, ID: fieldID(val), Type: "textarea", Label: p.cat.T("report.field.valeur"), Value: p.Values[val],
			Error: p.Err(val), Hint: p.cat.T("report.hint.valeur"), Optional: i > 0}
		d.Rows = append(d.Rows, seenRow{N: i + 1, Channel: cf, Value: vf})
	}
	d.SeenOn = s.reportInput(p, "vu_le", "date", true)
	d.Place = s.reportInput(p, "lieu", "text", true)
	d.Place.Autocomplete = "postal-code"
	d.Abroad = p.Values["etranger"] == "1"
	d.Recit = s.reportInput(p, "recit", "textarea", true)
	d.Captures = s.reportInput(p, "captures", "file", true)
	d.Email = s.reportInput(p, "courriel", "email", true)
	d.Email.Autocomplete = "email"
	d.Victim = field{Name: "victime", ID: fieldID("victime"), Label: p.cat.T("report.field.victime"), Value: p.Values["victime"],
		Error: p.Err("victime"), Optional: true}
	for i, v := range []report.Victim{report.VictimNo, report.VictimYes, report.VictimLostMoney} {
		o := option{Value: string(v), ID: d.Victim.ID, Label: p.cat.T("report.victim." + string(v)), Checked: string(v) == d.Victim.Value}
		if i > 0 {
			o.ID = d.Victim.ID + "-" + string(v)
		}
		d.Victim.Options = append(d.Victim.Options, o)
	}
	p.Data = d
	return p
}

// reportInput describes one input of the report form, labelled by
// report.field.<name>, with report.hint.<name> as its hint when there is one.
func (s *Server) reportInput(p *page, name, typ string, optional bool) field {
	f := field{Name: name, ID: fieldID(name), Type: typ, Label: p.cat.T("report.field." + name), Value: p.Values[name],
		Error: p.Err(name), Optional: optional}
	if p.cat.Has("report.hint." + name) {
		f.Hint = p.cat.T("report.hint." + name)
	}
	return f
}

// defaultChannel is the first channel offered for a category.
func defaultChannel(c report.Category) string {
	switch c {
	case report.CatPhishing, report.CatSpam:
		return "sms"
	case report.CatFakeAdviser:
		return "phone"
	case report.CatInvestment:
		return "iban"
	case report.CatRomance, report.CatHate, report.CatThreats, report.CatDefamation:
		return "account"
	}
	return "url"
}

// reportForm shows the details form of the chosen category; without one,
// the category page says to choose.
func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) error {
	cat := report.Category(r.URL.Query().Get("categorie"))
	if !cat.Valid() {
		p := s.newPage(r)
		p.Path = "/signaler"
		if ch, v := prefilledSeen(r.URL.Query()); ch != "" {
			p.Values = map[string]string{"canal": ch, "valeur": v}
		}
		p.addError("categorie", "report.err.category")
		p.Data = reportStartData{Category: s.categoryField(p)}
		return s.render(w, r, http.StatusUnprocessableEntity, "report_start", p)
	}
	var values map[string]string
	if ch, v := prefilledSeen(r.URL.Query()); ch != "" {
		values = map[string]string{"vu.0.canal": ch, "vu.0.valeur": v}
	}
	return s.render(w, r, http.StatusOK, "report_form", s.reportFormPage(r, cat, 1, values, nil))
}

// formFields maps the service's field names to the form's.
func formField(name string) string {
	switch name {
	case "category":
		return "categorie"
	case "seen":
		return "vu.0.valeur"
	case "seen_on":
		return "vu_le"
	case "place":
		return "lieu"
	case "description":
		return "recit"
	case "victim":
		return "victime"
	case "email":
		return "courriel"
	case "files":
		return "captures"
	}
	if rest, ok := strings.CutPrefix(name, "seen."); ok {
		n, f, _ := strings.Cut(rest, ".")
		switch f {
		case "channel":
			f = "canal"
		default:
			f = "valeur"
		}
		return "vu." + n + "." + f
	}
	return name
}

// reportSubmit files the report, or shows the form again with what was
// typed and an error beside each field to correct.
func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request) error {
	var files []report.Upload
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return fmt.Errorf("report: %w: %w", guichet.ErrInvalid, err)
		}
		defer r.MultipartForm.RemoveAll()
		for _, fh := range r.MultipartForm.File["captures"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue // the empty input of a browser with nothing chosen
			}
			if len(files) > report.MaxFiles {
				break
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(f, report.MaxFileSize+1))
			f.Close()
			if err != nil {
				return err
			}
			files = append(files, report.Upload{Name: fh.Filename, Data: data})
		}
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("report: %w: %w", guichet.ErrInvalid, err)
	}
	f := r.PostForm
	cat := report.Category(f.Get("categorie"))
	if !cat.Valid() {
		return redirect(w, r, "/signaler")
	}
	rows := 0
	for k := range f {
		if rest, ok := strings.CutPrefix(k, "vu."); ok {
			if n, _, ok := strings.Cut(rest, "."); ok {
				if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < report.MaxSeen && i+1 > rows {
					rows = i + 1
				}
			}
		}
	}
	rows = max(rows, 1)
	values := map[string]string{}
	for k, v := range f {
		if len(v) > 0 && k != "pow_nonce" && k != "pow_challenge" {
			values[k] = v[0]
		}
	}
	in := report.Input{
		Category: cat, Description: f.Get("recit"), Victim: report.Victim(f.Get("victime")), Email: strings.TrimSpace(f.Get("courriel")),
		Lang: s.newPage(r).Lang, Lane: report.LaneReview,
		Place: f.Get("lieu"), Abroad: f.Get("etranger") == "1",
	}
	for i := range rows {
		platform, value := "", f.Get(fmt.Sprintf("vu.%d.valeur", i))
		channel := f.Get(fmt.Sprintf("vu.%d.canal", i))
		if channel == "account" {
			platform, value = splitAccount(value)
		}
		in.Seen = append(in.Seen, report.SeenInput{Channel: channel, Value: value, Platform: platform})
	}
	var dateErr bool
	if d := strings.TrimSpace(f.Get("vu_le")); d != "" {
		t, ok := parseDay(d)
		if ok {
			in.SeenOn = t
		} else {
			dateErr = true
		}
	}
	in.Files = files
	// A file input cannot be filled again: when the page comes back,
	// the reporter is told to choose their screenshots again.
	filesAgain := func(v *guichet.ValidationError) *guichet.ValidationError {
		if len(files) > 0 {
			if v == nil {
				v = &guichet.ValidationError{}
			}
			if _, ok := v.For("captures"); !ok {
				v.Add("captures", "report.err.files_again", len(files))
			}
		}
		return v
	}
	if f.Get("action") == "ajouter" {
		// Another row, without JavaScript: nothing is filed yet.
		return s.render(w, r, http.StatusOK, "report_form", s.reportFormPage(r, cat, min(rows+1, report.MaxSeen), values, filesAgain(nil)))
	}
	if s.powSolved(f.Get("pow_challenge"), f.Get("pow_nonce")) {
		in.Lane = report.LaneNormal
	}
	var v guichet.ValidationError
	if b := (*guichet.ValidationError)(nil); errors.As(bad, &b) {
		v.Fields = append(v.Fields, b.Fields...)
	}
	if verr := report.Validate(&in, s.now()); verr != nil {
		for _, fe := range verr.Fields {
			v.Add(formField(fe.Field), fe.Key, fe.Args...)
		}
	}
	if dateErr {
		v.Add("vu_le", "report.err.seen_on")
	}
	if len(v.Fields) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "report_form", s.reportFormPage(r, cat, rows, values, filesAgain(&v)))
	}
	if ok, after := s.reports.allow(s.clientKey(r)); !ok {
		p := s.reportFormPage(r, cat, rows, values, filesAgain(nil))
		d := p.Data.(reportFormData)
		d.Limited = p.cat.T("report.limited", int(after.Round(time.Minute)/time.Minute)+1)
		p.Data = d
		w.Header().Set("Retry-After", strconv.Itoa(int(after/time.Second)+1))
		return s.render(w, r, http.StatusTooManyRequests, "report_form", p)
	}
	filed, err := s.d.Reports.Submit(r.Context(), in)
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		for _, fe := range verr.Fields {
			v.Add(formField(fe.Field), fe.Key, fe.Args...)
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "report_form", s.reportFormPage(r, cat, rows, values, filesAgain(&v)))
	}
	if err != nil {
		return err
	}
	s.setSealed(w, reportSentCookie, reportSentLabel, reportProof{
		Ref: filed.Ref, Code: filed.TrackingCode.String(), At: s.now().Unix(),
		Victim: string(in.Victim), Category: string(cat),
	}, sentKept)
	return redirect(w, r, "/signaler/envoye")
}

// splitAccount reads "Instagram @name" (or "Instagram : name") as the
// platform and the account.
func splitAccount(v string) (platform, handle string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ":@ \t"); i > 0 {
		platform = strings.TrimSpace(v[:i])
		handle = strings.TrimSpace(strings.TrimLeft(v[i:], ": \t"))
		return platform, handle
	}
	return "", v
}

// parseDay reads a day typed as the date input sends it (2026-11-18) or
// as people write it (18/11/2026).
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// reportProof is the sealed content of the report confirmation cookie.
type reportProof struct {
	Ref      string `json:"r"`
	Code     string `json:"c,omitempty"`
	At       int64  `json:"t"`
	Victim   string `json:"v,omitempty"`
	Category string `json:"k"`
}

// reportSentData is the report confirmation.
type reportSentData struct {
	Ref       string
	Code      string // empty once codeShownFor has passed
	CodeUntil time.Time
	Category  report.Category
	// LostMoney: the reporter lost money; the page offers the complaint.
	LostMoney bool
	Danger    bool
}

// reportSent shows the reference and tracking code of the report sent
// from this browser, again after a reload, for codeShownFor.
func (s *Server) reportSent(w http.ResponseWriter, r *http.Request) error {
	var pr reportProof
	if !s.openSealed(r, reportSentCookie, reportSentLabel, &pr) {
		return redirect(w, r, "/signaler")
	}
	at, now := time.Unix(pr.At, 0), s.now()
	ref, err := caseref.Parse(pr.Ref)
	if err != nil || ref.Kind != caseref.Report || now.Sub(at) >= sentKept || at.After(now.Add(time.Minute)) {
		s.setCookie(w, reportSentCookie, "", -1, http.SameSiteLaxMode)
		return redirect(w, r, "/signaler")
	}
	if now.Sub(at) >= codeShownFor {
		pr.Code = ""
		s.setSealed(w, reportSentCookie, reportSentLabel, pr, at.Add(sentKept).Sub(now))
	}
	s.grantAccess(w, pr.Ref)
	cat := report.Category(pr.Category)
	p := s.newPage(r)
	p.Path = "/signaler/envoye"
	p.Data = reportSentData{Ref: pr.Ref, Code: pr.Code, CodeUntil: at.Add(codeShownFor), Category: cat,
		LostMoney: pr.Victim == string(report.VictimLostMoney) || (pr.Victim == string(report.VictimYes) && cat.Scam()),
		Danger:    cat == report.CatThreats || cat == report.CatTrafficking}
	return s.render(w, r, http.StatusOK, "report_sent", p)
}

// reportStatusData is the reporter's view of their report.
type reportStatusData struct {
	View     *report.View
	Category report.Category
	Timeline []timelineEntry
	Accesses []reportAccess
	// Published counts, per key an analyst published, the reports holding
	// it; no other key is there.
	Published map[string]int
	// Linked are the pre-complaints filed from the report (victim.go).
	Linked []string
}

// reportAccess is one opening of the report's sealed part by an analyst.
type reportAccess struct {
	At      time.Time
	Agent   string // pseudonym
	Purpose string
}

// reportStatus shows a report to its reporter: where it stands, in plain
// words, what was reported (as read), and its history.
func (s *Server) reportStatus(w http.ResponseWriter, r *http.Request, ref string) error {
	if !s.hasAccess(r, ref) {
		return redirect(w, r, "/suivi?ref="+ref)
	}
	v, err := s.d.Reports.View(r.Context(), ref)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Path = "/suivi/" + ref
	d := reportStatusData{View: v, Category: report.Category(v.Case.Category), Published: map[string]int{},
		Linked: linkedRefs(v.Events, caseref.PreComplaint)}
	for _, m := range v.Published {
		d.Published[m.Seen.Key] = m.Reports
	}
	for i := len(v.Events) - 1; i >= 0; i-- {
		e := v.Events[i]
		if e.Type == casefile.EventAccessed {
			d.Accesses = append(d.Accesses, reportAccess{At: e.At, Agent: e.Data["agent"], Purpose: e.Data["purpose"]})
			continue
		}
		key := "report.event." + e.Type
		if !p.cat.Has(key) {
			continue
		}
		d.Timeline = append(d.Timeline, timelineEntry{At: e.At, Key: key})
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "report_status", p)
}

// isReport reports whether the reference in the path is a report's.
func isReport(typed string) (string, bool) {
	ref, err := caseref.Parse(typed)
	if err != nil || ref.Kind != caseref.Report {
		return "", false
	}
	return ref.String(), true
}
