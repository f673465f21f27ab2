package web

import (
	"context"
	"errors"
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
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/notify"
	"github.com/guichet/guichet/internal/station"
)

// CaseDesk is what the back-office needs from the case-handling service
// (internal/casework). Every method checks the principal's scope itself
// and answers an error wrapping guichet.ErrNotFound for anything out of
// scope; the pages rely on it and add no check of their own beyond
// HandlesCases.
type CaseDesk interface {
	Queue(ctx context.Context, p account.Principal, f casework.Filter) (*casework.Page, error)
	Summary(ctx context.Context, p account.Principal, ref string) (*casework.Summary, error)
	Open(ctx context.Context, p account.Principal, ref string, purpose casework.Purpose) (*casework.CaseFile, error)
	Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*casework.File, error)
	AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error)
	CitizenNotes(ctx context.Context, ref string) ([]casework.Note, error)
	Assignees(ctx context.Context, p account.Principal, ref string) ([]casework.Agent, error)
	Assign(ctx context.Context, p account.Principal, ref, agentID string) error
	Convert(ctx context.Context, p account.Principal, ref string, in casework.ConvertInput) (string, error)
	ComplaintRecord(ctx context.Context, p account.Principal, plRef string) ([]byte, error)
	Close(ctx context.Context, p account.Principal, ref string, reason casework.CloseReason, redirect string) error
	Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]casework.SlotView, error)
	OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*casework.SlotView, error)
	SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error
	CloseSlot(ctx context.Context, p account.Principal, slotID string) error
	Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error
	AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]casework.AccessEntry, error)
	Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]casework.QueueItem, error)
}

// Envois lists the notifications sent to citizens, for /agent/envois. The
// value given as Deps.Cases may implement it (cmd/guichet composes the
// case desk with the notification service); without it the page says
// that notifications are off.
type Envois interface {
	// Notifications returns the latest notifications about the cases of
	// the given units, newest first.
	Notifications(ctx context.Context, unitIDs []string) ([]notify.Notification, error)
	// Outbox returns, in a demonstration, what the in-memory outbox
	// "sent" about those units' cases (addresses masked); nil otherwise.
	Outbox(unitIDs []string) []notify.Sent
}

// caseRoutes registers the back-office case pages.
func (s *Server) caseRoutes() {
	s.handle("GET /agent/{$}", s.agentOnly(s.agentQueue))
	s.handle("GET /agent/dossiers/{ref}", s.agentOnly(s.agentSummary))
	s.handle("POST /agent/dossiers/{ref}/consulter", s.agentOnly(s.agentOpen))
	s.handle("GET /agent/dossiers/{ref}/preuves/{id}", s.agentOnly(s.agentEvidence))
	s.handle("POST /agent/dossiers/{ref}/notes", s.agentOnly(s.agentNote))
	s.handle("POST /agent/dossiers/{ref}/attribuer", s.agentOnly(s.agentAssign))
	s.handle("POST /agent/dossiers/{ref}/rendez-vous", s.agentOnly(s.agentReschedule))
	s.handle("GET /agent/dossiers/{ref}/convertir", s.agentOnly(s.agentConvertForm))
	s.handle("POST /agent/dossiers/{ref}/convertir", s.agentOnly(s.agentConvert))
	s.handle("GET /agent/dossiers/{ref}/plainte.pdf", s.agentOnly(s.agentComplaintPDF))
	s.handle("GET /agent/dossiers/{ref}/cloturer", s.agentOnly(s.agentCloseForm))
	s.handle("POST /agent/dossiers/{ref}/cloturer", s.agentOnly(s.agentClose))
	s.handle("GET /agent/calendrier", s.agentOnly(s.agentCalendar))
	s.handle("POST /agent/calendrier/creneaux", s.agentOnly(s.agentOpenSlot))
	s.handle("POST /agent/calendrier/creneaux/{id}/capacite", s.agentOnly(s.agentSetCapacity))
	s.handle("POST /agent/calendrier/creneaux/{id}/fermer", s.agentOnly(s.agentCloseSlot))
	s.handle("GET /agent/echeances", s.agentOnly(s.agentDeadlines))
	s.handle("GET /agent/acces", s.agentOnly(s.agentAccess))
	s.handle("GET /agent/envois", s.agentOnly(s.agentSent))
}

// casesOnly refuses, as missing, the pages of roles that do not handle
// cases (analysts, dispatchers, admins).
func casesOnly(p account.Principal) error {
	if !p.HandlesCases() {
		return fmt.Errorf("role %s: %w", p.Role, guichet.ErrNotFound)
	}
	return nil
}

// queueData is the queue page's data.
type queueData struct {
	Filter   url.Values
	Items    []casework.QueueItem
	Next     string // query of the next page, empty on the last
	Now      time.Time
	Statuses []string
	Cats     []string
}

// queueStatuses are the statuses the queue filter offers.
var queueStatuses = []string{"submitted", "assigned", "in_progress", "confirmed", "closed", "expired"}

var queueCategories = []string{
	string(complaint.Theft), string(complaint.VehicleTheft), string(complaint.Burglary),
	string(complaint.Damage), string(complaint.Fraud),
}

func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if !pr.HandlesCases() {
		// The back-office home of roles without cases (analysts,
		// dispatchers, admins) is, for now, their security page.
		return redirect(w, r, "/agent/securite")
	}
	q := r.URL.Query()
	f, ferr := decodeQueueFilter(q)
	if bad := textOnly(q); bad != nil {
		ferr = bad
	}
	p := s.newPage(r)
	data := queueData{Filter: q, Now: s.d.Clock.Now(), Statuses: queueStatuses, Cats: queueCategories}
	p.Values = map[string]string{}
	for k := range q {
		p.Values[k] = q.Get(k)
	}
	p.Data = &data
	if ferr != nil {
		p.setErrors(ferr)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_queue", p)
	}
	page, err := s.d.Cases.Queue(r.Context(), pr, f)
	if errors.Is(err, guichet.ErrInvalid) {
		p.addError("page", "cases.err.page")
		return s.render(w, r, http.StatusBadRequest, "agent_queue", p)
	}
	if err != nil {
		return err
	}
	data.Items = page.Items
	if page.Next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", page.Next)
		data.Next = nq.Encode()
	}
	return s.render(w, r, http.StatusOK, "agent_queue", p)
}

// Expiry says how long a case has left: "expire dans 5 j".
func (p *page) Expiry(now, at time.Time) string {
	if at.IsZero() {
		return ""
	}
	d := at.Sub(now)
	if d <= 0 {
		return p.cat.T("cases.expired")
	}
	if d < 24*time.Hour {
		return p.cat.T("cases.expires_hours", int(d.Hours())+1)
	}
	return p.cat.T("cases.expires_days", int(d.Hours()/24))
}

// summaryData is the case summary page's data.
type summaryData struct {
	Summary   *casework.Summary
	Assignees []casework.Agent
	Slots     []station.Slot // free slots the appointment can move to
	Purposes  []casework.Purpose
	Done      string
	Timeline  []eventLine
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
	data := &summaryData{Summary: sum, Purposes: casework.Purposes, Done: r.URL.Query().Get("ok"), Timeline: history(sum.Events)}
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
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", attachment(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, err = w.Write(f.Data)
	if err != nil {
		s.d.Logger.DebugContext(r.Context(), "write evidence", "err", err)
	}
	return nil
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

// noteData is the note form shown again with its error.
type noteData struct {
	Ref string
}

func (s *Server) agentNote(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("note %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	text := r.PostForm.Get("note")
	toCitizen := r.PostForm.Get("to") == "citizen"
	if err = bad; err == nil {
		_, err = s.d.Cases.AddNote(r.Context(), pr, ref, text, toCitizen)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.Values = map[string]string{"note": text, "to": r.PostForm.Get("to")}
		p.setErrors(err)
		p.Data = noteData{Ref: ref}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_note", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=note")
}

func (s *Server) agentAssign(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("assign %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	agent := r.PostForm.Get("agent")
	if err = bad; err == nil {
		err = s.d.Cases.Assign(r.Context(), pr, ref, agent)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.Values = map[string]string{"agent": agent}
		p.setErrors(err)
		return s.renderSummary(w, r, pr, ref, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=attribue")
}

// rescheduleWindow is how far ahead the back-office offers slots to move
// an appointment to.
const rescheduleWindow = 21 * 24 * time.Hour

// freeSlots lists the slots of the case's unit, starting from now within
// rescheduleWindow, that have a free place, other than its current one.
func (s *Server) freeSlots(r *http.Request, pr account.Principal, sum *casework.Summary) ([]station.Slot, error) {
	if sum.Case.UnitID == "" {
		return nil, nil
	}
	now := s.now()
	cal, err := s.d.Cases.Calendar(r.Context(), pr, sum.Case.UnitID, now, now.Add(rescheduleWindow))
	if err != nil {
		return nil, err
	}
	var out []station.Slot
	for _, sv := range cal {
		if sv.Free() > 0 && (sum.Appointment == nil || sv.ID != sum.Appointment.SlotID) {
			out = append(out, sv.Slot)
		}
	}
	return out, nil
}

// agentReschedule moves a case's appointment, as arranged with the citizen.
func (s *Server) agentReschedule(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("reschedule %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	slot := r.PostForm.Get("slot_id")
	if err = bad; err == nil {
		err = s.d.Cases.Reschedule(r.Context(), pr, ref, slot)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.Values = map[string]string{"slot_id": slot}
		p.setErrors(err)
		return s.renderSummary(w, r, pr, ref, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=deplace")
}

// convertData is the conversion form's data.
type convertData struct {
	Ref       string
	Documents []casework.IDDocument
	Items     itemsData
}

func (s *Server) convertPage(r *http.Request, ref string) *page {
	p := s.newPage(r)
	p.Path = "/agent/dossiers/" + ref + "/convertir"
	p.Data = &convertData{Ref: ref, Documents: casework.IDDocuments}
	return p
}

// agentConvertForm shows the citizen's answers, to correct with them at the
// desk. Reading them is an access (purpose "conversion").
func (s *Server) agentConvertForm(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	cf, err := s.d.Cases.Open(r.Context(), pr, ref, casework.PurposeConversion)
	if err != nil {
		return err
	}
	if cf.Form == nil || cf.Case.Status.Final() {
		return fmt.Errorf("convert %s: %s: %w", ref, cf.Case.Status, guichet.ErrConflict)
	}
	p := s.convertPage(r, ref)
	form := *cf.Form
	if len(form.Items) == 0 {
		form.Items = []complaint.Item{{}}
	}
	p.Form = &form
	p.Data.(*convertData).Items = s.itemsData(p)
	p.Values = map[string]string{"id_document": "", "identity_checked": ""}
	return s.render(w, r, http.StatusOK, "agent_convert", p)
}

func (s *Server) agentConvert(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("convert %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	form := decodeForm(r.PostForm)
	in := casework.ConvertInput{
		IdentityChecked: r.PostForm.Get("identity_checked") == "yes",
		IDDocument:      casework.IDDocument(r.PostForm.Get("id_document")),
		Form:            form,
	}
	var pl string
	if err = bad; err == nil {
		pl, err = s.d.Cases.Convert(r.Context(), pr, ref, in)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.convertPage(r, ref)
		if len(form.Items) == 0 {
			form.Items = []complaint.Item{{}}
		}
		p.Form = &form
		p.Data.(*convertData).Items = s.itemsData(p)
		p.Values = map[string]string{"id_document": r.PostForm.Get("id_document"), "identity_checked": r.PostForm.Get("identity_checked")}
		p.setErrors(err)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_convert", p)
	}
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Data = struct{ Ref, PL string }{ref, pl}
	return s.render(w, r, http.StatusOK, "agent_converted", p)
}

func (s *Server) agentComplaintPDF(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	pdf, err := s.d.Cases.ComplaintRecord(r.Context(), pr, ref)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", attachment("plainte-"+ref+".pdf"))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(pdf)
	if err != nil {
		s.d.Logger.DebugContext(r.Context(), "write complaint record", "err", err)
	}
	return nil
}

// closeData is the closing form's data.
type closeData struct {
	Ref       string
	Reasons   []casework.CloseReason
	Redirects []casework.Redirect
}

func (s *Server) closePage(r *http.Request, ref string) *page {
	p := s.newPage(r)
	p.Path = "/agent/dossiers/" + ref + "/cloturer"
	p.Data = &closeData{Ref: ref, Reasons: casework.CloseReasons, Redirects: casework.Redirects}
	return p
}

func (s *Server) agentCloseForm(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	sum, err := s.d.Cases.Summary(r.Context(), pr, ref)
	if err != nil {
		return err
	}
	if sum.Case.Status.Final() {
		return fmt.Errorf("close %s: %s: %w", ref, sum.Case.Status, guichet.ErrConflict)
	}
	p := s.closePage(r, ref)
	p.Values = map[string]string{"reason": "", "redirect": ""}
	return s.render(w, r, http.StatusOK, "agent_close", p)
}

func (s *Server) agentClose(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("close %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	reason, redir := r.PostForm.Get("reason"), r.PostForm.Get("redirect")
	if err = bad; err == nil {
		err = s.d.Cases.Close(r.Context(), pr, ref, casework.CloseReason(reason), redir)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.closePage(r, ref)
		p.Values = map[string]string{"reason": reason, "redirect": redir}
		p.setErrors(err)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_close", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=cloture")
}

// calendarData is the week view's data.
type calendarData struct {
	UnitID   string
	Units    []string
	Week     time.Time // Monday, Paris
	Prev     string
	Next     string
	Days     []calendarDay
	Weekdays []time.Time
}

type calendarDay struct {
	Day   time.Time
	Slots []casework.SlotView
}

// weekOf returns the Monday 0 h (Paris) of the week holding t.
func weekOf(t time.Time) time.Time {
	t = t.In(complaint.Paris)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, complaint.Paris)
	off := (int(d.Weekday()) + 6) % 7
	return d.AddDate(0, 0, -off)
}

func (s *Server) calendarPage(r *http.Request, pr account.Principal) (*page, *calendarData, error) {
	if err := casesOnly(pr); err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	unit := q.Get("unite")
	if unit == "" {
		unit = pr.UnitID
	}
	if !pr.CanSeeUnit(unit) {
		return nil, nil, fmt.Errorf("calendar of unit %s: %w", unit, guichet.ErrNotFound)
	}
	week := weekOf(s.d.Clock.Now())
	if v := q.Get("semaine"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris)
		if err != nil {
			return nil, nil, fmt.Errorf("calendar week %q: %w", v, guichet.ErrInvalid)
		}
		week = weekOf(t)
	}
	data := &calendarData{UnitID: unit, Units: pr.Units, Week: week}
	v := url.Values{"unite": {unit}}
	v.Set("semaine", week.AddDate(0, 0, -7).Format("2006-01-02"))
	data.Prev = v.Encode()
	v.Set("semaine", week.AddDate(0, 0, 7).Format("2006-01-02"))
	data.Next = v.Encode()
	p := s.newPage(r)
	p.Path = "/agent/calendrier?" + url.Values{"unite": {unit}, "semaine": {week.Format("2006-01-02")}}.Encode()
	p.Data = data
	return p, data, nil
}

func (s *Server) fillCalendar(r *http.Request, pr account.Principal, data *calendarData) error {
	slots, err := s.d.Cases.Calendar(r.Context(), pr, data.UnitID, data.Week, data.Week.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	for i := range 7 {
		day := data.Week.AddDate(0, 0, i)
		cd := calendarDay{Day: day}
		for _, sl := range slots {
			if st := sl.Start.In(complaint.Paris); !st.Before(day) && st.Before(day.AddDate(0, 0, 1)) {
				cd.Slots = append(cd.Slots, sl)
			}
		}
		data.Days = append(data.Days, cd)
	}
	return nil
}

func (s *Server) agentCalendar(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	p.Notice = map[string]string{"ouvert": "cases.cal.opened", "capacite": "cases.cal.capacity_set", "ferme": "cases.cal.closed"}[r.URL.Query().Get("ok")]
	p.Values = map[string]string{"date": data.Week.Format("2006-01-02"), "time": "09:00", "duration": "30", "capacity": "2"}
	return s.render(w, r, http.StatusOK, "agent_calendar", p)
}

func (s *Server) calendarBack(w http.ResponseWriter, r *http.Request, data *calendarData, ok string) error {
	return redirect(w, r, "/agent/calendrier?"+url.Values{"unite": {data.UnitID}, "semaine": {data.Week.Format("2006-01-02")}, "ok": {ok}}.Encode())
}

func (s *Server) agentOpenSlot(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("open slot: %w: %w", guichet.ErrInvalid, err)
	}
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	f := r.PostForm
	p.Values = map[string]string{"date": f.Get("date"), "time": f.Get("time"), "duration": f.Get("duration"), "capacity": f.Get("capacity")}
	start, end, capacity, ferr := decodeSlotForm(f)
	if bad != nil {
		ferr = bad
	}
	if ferr == nil {
		_, err = s.d.Cases.OpenSlot(r.Context(), pr, data.UnitID, start, end, capacity)
		if err == nil {
			return s.calendarBack(w, r, data, "ouvert")
		}
		if !errors.As(err, new(*guichet.ValidationError)) {
			return err
		}
		p.setErrors(err)
	} else {
		p.setErrors(ferr)
	}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "agent_calendar", p)
}

func (s *Server) agentSetCapacity(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("set capacity: %w: %w", guichet.ErrInvalid, err)
	}
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	capacity, cerr := strconv.Atoi(r.PostForm.Get("capacity"))
	if bad != nil {
		err = bad
	} else if cerr != nil {
		err = (&guichet.ValidationError{Fields: []guichet.FieldError{{Field: "capacity", Key: "cases.err.capacity"}}})
	} else {
		err = s.d.Cases.SetCapacity(r.Context(), pr, r.PathValue("id"), capacity)
	}
	if err == nil {
		return s.calendarBack(w, r, data, "capacite")
	}
	if !errors.As(err, new(*guichet.ValidationError)) {
		return err
	}
	p.setErrors(err)
	p.Values = map[string]string{"date": data.Week.Format("2006-01-02"), "time": "09:00", "duration": "30", "capacity": "2"}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "agent_calendar", p)
}

func (s *Server) agentCloseSlot(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("close slot: %w: %w", guichet.ErrInvalid, err)
	}
	if bad != nil {
		// A button without inputs of its own: nothing to show beside.
		return fmt.Errorf("close slot: %w", bad)
	}
	_, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	if err := s.d.Cases.CloseSlot(r.Context(), pr, r.PathValue("id")); err != nil {
		return err
	}
	return s.calendarBack(w, r, data, "ferme")
}

func (s *Server) agentDeadlines(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	days := 7
	if v, err := strconv.Atoi(r.URL.Query().Get("jours")); err == nil && v > 0 && v <= 90 {
		days = v
	}
	items, err := s.d.Cases.Deadlines(r.Context(), pr, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Values = map[string]string{"jours": strconv.Itoa(days)}
	p.Data = struct {
		Items []casework.QueueItem
		Now   time.Time
		Days  int
	}{items, s.d.Clock.Now(), days}
	return s.render(w, r, http.StatusOK, "agent_deadlines", p)
}

func (s *Server) agentAccess(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	now := s.d.Clock.Now()
	from := now.AddDate(0, 0, -30)
	if v := r.URL.Query().Get("du"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			from = t
		}
	}
	entries, err := s.d.Cases.AccessReport(r.Context(), pr, from, now.Add(time.Second))
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Values = map[string]string{"du": from.In(complaint.Paris).Format("2006-01-02")}
	p.Data = struct {
		Entries []casework.AccessEntry
		From    time.Time
	}{entries, from}
	return s.render(w, r, http.StatusOK, "agent_access", p)
}

func (s *Server) agentSent(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	data := struct {
		Enabled bool
		Queue   []notify.Notification
		Outbox  []notify.Sent
	}{}
	if ev, ok := s.d.Cases.(Envois); ok {
		data.Enabled = true
		q, err := ev.Notifications(r.Context(), pr.Units)
		if err != nil {
			return err
		}
		data.Queue, data.Outbox = q, ev.Outbox(pr.Units)
	}
	p := s.newPage(r)
	p.Data = data
	return s.render(w, r, http.StatusOK, "agent_sent", p)
}

// decodeQueueFilter reads the queue's filter form (a GET query). Dates are
// days in Paris time, "au" inclusive; "echeance" is 1 to 365 days. Bad
// values come back as a *guichet.ValidationError naming their fields.
func decodeQueueFilter(q url.Values) (casework.Filter, error) {
	f := casework.Filter{
		Category: q.Get("categorie"), Status: casefile.Status(q.Get("etat")),
		Ref: strings.TrimSpace(q.Get("ref")), Mine: q.Get("moi") == "1", Cursor: q.Get("page"),
	}
	var verr guichet.ValidationError
	if v := q.Get("du"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			f.From = t
		} else {
			verr.Add("du", "err.date")
		}
	}
	if v := q.Get("au"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			f.To = t.AddDate(0, 0, 1)
		} else {
			verr.Add("au", "err.date")
		}
	}
	if v := q.Get("echeance"); v != "" {
		if d, err := strconv.Atoi(v); err == nil && d > 0 && d <= 365 {
			f.ExpiringWithin = time.Duration(d) * 24 * time.Hour
		} else {
			verr.Add("echeance", "cases.err.days")
		}
	}
	return f, verr.Err()
}

// decodeSlotForm reads the calendar's "open a slot" form: a day and a time
// in Paris, a duration of 1 to 240 minutes and a capacity (which the case
// desk checks). Times come back in UTC; bad values as a
// *guichet.ValidationError naming their fields.
func decodeSlotForm(f url.Values) (start, end time.Time, capacity int, err error) {
	var verr guichet.ValidationError
	start, perr := time.ParseInLocation("2006-01-02 15:04", f.Get("date")+" "+f.Get("time"), complaint.Paris)
	if perr != nil {
		verr.Add("start", "cases.err.slot_start")
	}
	minutes, perr := strconv.Atoi(f.Get("duration"))
	if perr != nil || minutes <= 0 || minutes > 240 {
		verr.Add("end", "cases.err.slot_duration")
	}
	capacity, perr = strconv.Atoi(f.Get("capacity"))
	if perr != nil {
		verr.Add("capacity", "cases.err.capacity")
	}
	if err := verr.Err(); err != nil {
		return time.Time{}, time.Time{}, 0, err
	}
	return start.UTC(), start.Add(time.Duration(minutes) * time.Minute).UTC(), capacity, nil
}
