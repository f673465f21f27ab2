package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/receipt"
	"github.com/guichet/guichet/internal/station"
)

// trackData is the tracking form's data.
type trackData struct {
	Left bool // the citizen just closed their case on this browser
}

func (s *Server) trackForm(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r)
	ref := strings.TrimSpace(r.URL.Query().Get("ref"))
	if len(ref) > 64 || !isText(ref) {
		ref = ""
	}
	p.Values = map[string]string{"ref": ref, "code": ""}
	p.Data = trackData{Left: r.URL.Query().Get("quitte") == "1"}
	return s.render(w, r, http.StatusOK, "track", p)
}

// trackSubmit opens a case with its reference and tracking code. A
// reference with a typing mistake is caught by its check symbol and said
// so; a wrong code or unknown reference get the same answer (status, page,
// headers, and the same work on the server), so that references cannot be
// probed. Refused attempts are limited per client (codeFailed), never per
// reference: the right code always opens the case, whatever others tried.
func (s *Server) trackSubmit(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("track: %w: %w", guichet.ErrInvalid, err)
	}
	typedRef := strings.TrimSpace(r.PostForm.Get("ref"))
	typedCode := strings.TrimSpace(r.PostForm.Get("code"))
	p := s.newPage(r)
	p.Path = "/suivi"
	// The code is never sent back into the page.
	p.Values = map[string]string{"ref": typedRef, "code": ""}
	p.Data = trackData{}
	ref, err := caseref.Parse(typedRef)
	switch {
	case bad != nil:
		p.setErrors(bad)
	case typedRef == "":
		p.addError("ref", "err.required")
	case errors.Is(err, caseref.ErrChecksum):
		p.addError("ref", "err.ref.checksum")
	case err != nil:
		p.addError("ref", "err.ref.format")
	}
	if typedCode == "" && bad == nil {
		p.addError("code", "err.required")
	}
	if len(p.Errors) > 0 {
		if err := s.codeFailed(r); err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "track", p)
	}
	c, err := s.d.Complaints.Authenticate(r.Context(), ref.String(), typedCode)
	switch {
	case errors.Is(err, guichet.ErrUnauthenticated):
		if err := s.codeFailed(r); err != nil {
			return err
		}
		p.addError("code", "err.track.wrong")
		return s.render(w, r, http.StatusUnauthorized, "track", p)
	case err != nil:
		return err
	}
	s.grantAccess(w, c.Ref)
	return redirect(w, r, "/suivi/"+c.Ref)
}

// trackLeave forgets the open case on this browser (a shared computer).
func (s *Server) trackLeave(w http.ResponseWriter, r *http.Request) error {
	s.revokeAccess(w)
	return redirect(w, r, "/suivi?quitte=1")
}

// errNoAccess: the browser holds no access to the case.
var errNoAccess = errors.New("no access to the case")

// openCase returns the case named in the path when this browser may see
// it. A reference typed another way is sent to its canonical address; a
// browser without access is sent to the tracking form.
func (s *Server) openCase(w http.ResponseWriter, r *http.Request) (*complaint.CaseView, error) {
	typed := r.PathValue("ref")
	ref, err := caseref.Parse(typed)
	if err != nil {
		return nil, errNotFound
	}
	canon := ref.String()
	if !s.hasAccess(r, canon) {
		return nil, errNoAccess
	}
	return s.d.Complaints.View(r.Context(), canon)
}

// noAccess sends a browser without access to the tracking form with the
// reference filled in; other errors go on.
func noAccess(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, errNoAccess) {
		if ref, perr := caseref.Parse(r.PathValue("ref")); perr == nil {
			return redirect(w, r, "/suivi?ref="+ref.String())
		}
		return redirect(w, r, "/suivi")
	}
	return err
}

// timelineEntry is one visible event as the citizen reads it.
type timelineEntry struct {
	At  time.Time
	Key string
	// When is the appointment an event is about, if any.
	When time.Time
	// What the event says beyond its kind; each is empty (nil) when the
	// event does not carry it.
	Status    string             // status.changed: the new status
	Agent     string             // assigned: the agent's pseudonym
	Complaint string             // converted: the formal complaint's reference
	Reason    string             // closed: why (casework.CloseReason)
	Service   *casework.Redirect // closed: the service to turn to instead
	// Note is the message of a note.citizen event; nil when its text is
	// gone with the personal data or notes are not available.
	Note *casework.Note
}

// accessEntry is one reading of the case by an agent, as the citizen is
// told of it: which unit, which agent (by pseudonym), when and why.
type accessEntry struct {
	At       time.Time
	UnitName string // empty when the unit is unknown
	Role     string
	Agent    string
	Purpose  string
}

// CitizenNotesFunc returns the notes agents addressed to the citizen on
// the case ref, decrypted, oldest first; none once the case is erased. The
// status page calls it only after the browser proved its access to ref.
type CitizenNotesFunc func(ctx context.Context, ref string) ([]casework.Note, error)

type statusData struct {
	View       *complaint.CaseView
	Timeline   []timelineEntry
	Accesses   []accessEntry // newest first
	Converted  string        // the formal complaint's reference, once converted
	Closure    *timelineEntry
	Changeable bool
	Picker     slotPicker
	SlotUnit   *station.Unit // the unit whose times Picker shows
	Elsewhere  bool          // SlotUnit is not the case's unit
	Rebook     *rebookData   // other places, when the case may go to one
	Query      string        // the station search of Rebook
	Done       string        // catalogue key of what was just done (see doneKeys)
	Open       bool          // the appointment's form is unfolded
	PDF        bool
	Log        *logStatus // the submission in the transparency log; nil: nothing to say
}

// doneKeys are the messages of what the citizen just did, by the value
// of the ok parameter the change redirects with.
var doneKeys = map[string]string{
	"deplace": "status.done_moved",
	"annule":  "status.done_cancelled",
	"reserve": "status.done_booked",
}

// known event types; others show as a generic update.
var eventKeys = map[string]string{
	casefile.EventSubmitted:            "event.submitted",
	casefile.EventAppointmentBooked:    "event.appointment_booked",
	casefile.EventAppointmentChanged:   "event.appointment_changed",
	casefile.EventAppointmentCancelled: "event.appointment_cancelled",
	casefile.EventStatusChanged:        "event.status_changed",
	casefile.EventExpired:              "event.expired",
	casefile.EventErased:               "event.erased",
	casefile.EventAccessed:             "event.accessed",
	casefile.EventNoteToCitizen:        "event.note",
	casefile.EventConverted:            "event.converted",
	casefile.EventClosed:               "event.closed",
	casefile.EventEvidenceAdded:        "event.evidence_added",
	casefile.EventAssigned:             "event.assigned",
	casefile.EventCodeReissued:         "event.code_reissued",
	casefile.EventCodeEmailed:          "event.code_emailed",
	casefile.EventLinked:               "event.linked",
}

// history turns a case's visible events into the citizen's timeline
// (newest first) and the list of agents' readings, which the page shows in
// a section of its own rather than in the timeline. Unit names come from
// the complaint service; note texts from Deps.CitizenNotes.
func (s *Server) history(ctx context.Context, view *complaint.CaseView) (data statusData, err error) {
	notes, err := s.citizenNotes(ctx, view)
	if err != nil {
		return data, err
	}
	units := map[string]string{}
	if view.Unit != nil {
		units[view.Unit.ID] = view.Unit.Name
	}
	unitName := func(id string) (string, error) {
		if name, ok := units[id]; ok || id == "" {
			return name, nil
		}
		u, err := s.d.Complaints.Unit(ctx, id)
		if err != nil && !errors.Is(err, guichet.ErrNotFound) {
			return "", fmt.Errorf("case %s: unit %s: %w", view.Case.Ref, id, err)
		}
		units[id] = u.Name
		return u.Name, nil
	}
	for _, e := range view.Events {
		if !e.Visible {
			continue
		}
		if e.Type == casefile.EventAccessed {
			name, err := unitName(e.Data["unit"])
			if err != nil {
				return data, err
			}
			data.Accesses = append(data.Accesses, accessEntry{At: e.At, UnitName: name,
				Role: e.Data["role"], Agent: e.Data["agent"], Purpose: e.Data["purpose"]})
			continue
		}
		key, ok := eventKeys[e.Type]
		if !ok {
			key = "event.other"
		}
		te := timelineEntry{At: e.At, Key: key}
		if v := e.Data["start"]; v != "" {
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				te.When = t
			}
		}
		switch e.Type {
		case casefile.EventStatusChanged:
			te.Status = e.Data["to"]
		case casefile.EventAssigned:
			te.Agent = e.Data["agent"]
		case casefile.EventConverted:
			te.Complaint = e.Data["complaint"]
			data.Converted = te.Complaint
		case casefile.EventClosed:
			te.Reason = e.Data["reason"]
			if r, ok := casework.RedirectByCode(e.Data["redirect"]); ok {
				te.Service = &r
			}
			closure := te
			data.Closure = &closure
		case casefile.EventNoteToCitizen:
			if n, ok := notes[e.Data["note"]]; ok {
				te.Note = &n
			}
		}
		data.Timeline = append(data.Timeline, te)
	}
	slices.Reverse(data.Timeline)
	slices.Reverse(data.Accesses)
	return data, nil
}

// citizenNotes returns the case's notes to the citizen by ID; none when
// the case has none, is erased or notes are not available.
func (s *Server) citizenNotes(ctx context.Context, view *complaint.CaseView) (map[string]casework.Note, error) {
	if s.d.CitizenNotes == nil || view.Case.Erased() {
		return nil, nil
	}
	if !slices.ContainsFunc(view.Events, func(e casefile.Event) bool { return e.Type == casefile.EventNoteToCitizen && e.Visible }) {
		return nil, nil
	}
	list, err := s.d.CitizenNotes(ctx, view.Case.Ref)
	if err != nil {
		return nil, fmt.Errorf("case %s: notes: %w", view.Case.Ref, err)
	}
	out := make(map[string]casework.Note, len(list))
	for _, n := range list {
		out[n.ID] = n
	}
	return out, nil
}

// statusPage builds the status page of view. chosen is the slot the
// citizen just posted, kept selected when the page shows their error.
func (s *Server) statusPage(r *http.Request, view *complaint.CaseView, chosen string) (*page, error) {
	p := s.newPage(r)
	p.Path = "/suivi/" + view.Case.Ref
	d, err := s.history(r.Context(), view)
	if err != nil {
		return nil, err
	}
	d.View, d.Changeable = view, complaint.Changeable(view.Case)
	d.PDF = s.d.Receipt != nil && !view.Case.Erased()
	d.Log = s.logStatusOf(r.Context(), view)
	if r.Method == http.MethodGet {
		d.Done = doneKeys[r.URL.Query().Get("ok")]
	}
	_ = r.ParseForm()
	d.SlotUnit = view.Unit
	query := url.Values{}
	if d.Changeable && complaint.CanBookElsewhere(view.Case, view.Appointment != nil) {
		if err := s.rebookData(r, view, &d, query); err != nil {
			return nil, err
		}
	}
	if d.Changeable && d.SlotUnit != nil {
		slots, err := s.d.Complaints.FreeSlots(r.Context(), d.SlotUnit.ID)
		if err != nil {
			return nil, err
		}
		// Nothing is pre-selected, not even the current slot: pressing
		// "move" without choosing must say so, not "moved" to the same
		// time. After an error, the slot the citizen chose stays chosen.
		cur := ""
		if a := view.Appointment; a != nil {
			cur = a.SlotID
			// The time held is shown on its day even when it has no place
			// left (the citizen's own may be the last): choosing it is
			// refused in words.
			if a.UnitID == d.SlotUnit.ID && !slices.ContainsFunc(slots, func(sl station.Slot) bool { return sl.ID == cur }) {
				i, _ := slices.BinarySearchFunc(slots, a.Start, func(sl station.Slot, t time.Time) int { return sl.Start.Compare(t) })
				slots = slices.Insert(slots, i, station.Slot{ID: cur, UnitID: a.UnitID, Start: a.Start, End: a.End})
			}
		}
		d.Picker = pickSlots(p.Lang, slots, chosen, cur, r.Form.Get(dayParam), dayHref(p.Path, query, "creneaux-lieu"))
		// Unfolded to book, and while choosing: a day asked for, or an
		// error being shown (the caller sets it).
		d.Open = view.Appointment == nil || r.Form.Get(dayParam) != "" || r.Method == http.MethodPost
	}
	p.Data = d
	return p, nil
}

// rebookData is the choice of another place to book at, after a
// cancellation: a station search (q) and the places found, one of which
// (unite) shows its times.
type rebookData struct {
	Units []unitOption
	More  bool
	Open  bool // the citizen searched or chose: the choice stays unfolded
}

// rebookData fills d with the places near the citizen's search (by default
// the postcode of the case's unit) and sets d.SlotUnit to the one chosen
// (unite), else the case's unit. It adds to query what the day links keep.
func (s *Server) rebookData(r *http.Request, view *complaint.CaseView, d *statusData, query url.Values) error {
	q := cutText(strings.TrimSpace(r.Form.Get("q")), 100)
	_, asked := r.Form["q"]
	if !asked && view.Unit != nil {
		q = view.Unit.Postcode
	}
	if !isText(q) {
		q = ""
	}
	ranked, err := s.d.Complaints.Stations(r.Context(), q, 0, 0, false)
	if err != nil {
		return err
	}
	want := r.Form.Get("unite")
	rb := &rebookData{Open: asked || want != ""}
	for i, u := range ranked {
		if u.ID == want {
			d.SlotUnit = &ranked[i].Unit
		}
	}
	for i, u := range ranked {
		if i >= maxUnitsShown && (d.SlotUnit == nil || u.ID != d.SlotUnit.ID) {
			rb.More = true
			continue
		}
		id := fieldID("unite")
		if len(rb.Units) > 0 {
			id += "-" + strconv.Itoa(i)
		}
		rb.Units = append(rb.Units, unitOption{Ranked: u, InputID: id, Checked: d.SlotUnit != nil && u.ID == d.SlotUnit.ID})
	}
	d.Rebook, d.Query = rb, q
	if asked {
		query.Set("q", q)
	}
	if d.SlotUnit != nil && (view.Unit == nil || d.SlotUnit.ID != view.Unit.ID) {
		query.Set("unite", d.SlotUnit.ID)
		d.Elsewhere = true
	}
	return nil
}

// status shows a case to its citizen: where it stands, the timeline, the
// appointment with its changes, and when personal data is erased.
func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	if typed := r.PathValue("ref"); typed != "" {
		if ref, err := caseref.Parse(typed); err == nil && ref.String() != typed {
			return redirect(w, r, "/suivi/"+ref.String())
		}
	}
	if ref, ok := isReport(r.PathValue("ref")); ok && s.d.Reports != nil {
		return s.reportStatus(w, r, ref)
	}
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	p, err := s.statusPage(r, view, "")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "status", p)
}

// reschedule moves the appointment to another free slot of the same unit
// (or books one after a cancellation). Nothing chosen, or the slot already
// held, is refused in words beside the times, and nothing is recorded.
// Done, the page lands on the appointment, its success message on top.
func (s *Server) reschedule(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("reschedule: %w: %w", guichet.ErrInvalid, err)
	}
	slot := r.PostForm.Get("slot_id")
	switch {
	case bad != nil:
		err = bad
	case slot == "":
		var v guichet.ValidationError
		if view.Appointment != nil {
			v.Add("slot_id", "err.slot.choose_new")
		} else {
			v.Add("slot_id", "err.slot.choose_time")
		}
		err = &v
	default:
		err = s.d.Complaints.Reschedule(r.Context(), view.Case.Ref, slot)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		view, err := s.d.Complaints.View(r.Context(), view.Case.Ref)
		if err != nil {
			return err
		}
		p, err := s.statusPage(r, view, slot)
		if err != nil {
			return err
		}
		p.setErrors(verr)
		return s.render(w, r, http.StatusUnprocessableEntity, "status", p)
	}
	if err != nil {
		return err
	}
	done := "deplace"
	if view.Appointment == nil {
		done = "reserve"
	}
	return redirect(w, r, "/suivi/"+view.Case.Ref+"?ok="+done+"#rendez-vous")
}

// cancelForm asks the citizen to confirm the cancellation.
func (s *Server) cancelForm(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	if view.Appointment == nil {
		return redirect(w, r, "/suivi/"+view.Case.Ref)
	}
	p := s.newPage(r)
	p.Data = view
	return s.render(w, r, http.StatusOK, "cancel", p)
}

// cancel frees the appointment; the pre-complaint stays open until it
// expires, and a new slot can be booked from the status page.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	err = s.d.Complaints.CancelAppointment(r.Context(), view.Case.Ref)
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return err
	}
	return redirect(w, r, "/suivi/"+view.Case.Ref+"?ok=annule#fait")
}

// receiptPage is the receipt as a page to print.
func (s *Server) receiptPage(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	p := s.newPage(r)
	p.Data = receiptPageData{
		confirmationData: confirmationData{Ref: view.Case.Ref, View: view, PDF: s.d.Receipt != nil},
		Log:              s.logStatusOf(r.Context(), view),
	}
	return s.render(w, r, http.StatusOK, "receipt", p)
}

// receiptPDF sends the PDF receipt as a download.
func (s *Server) receiptPDF(w http.ResponseWriter, r *http.Request) error {
	if s.d.Receipt == nil {
		return errNotFound
	}
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	lang := chooseLang(r, s.matcher)
	cat := s.cats[lang]
	rc := receipt.Receipt{
		Lang: lang, Ref: view.Case.Ref, Category: cat.T("category." + view.Case.Category),
		SubmittedAt: view.Case.SubmittedAt, StatusURL: s.absURL(r, "/suivi/"+view.Case.Ref),
		TrackingHint: cat.T("receipt.tracking_hint"), LogIndex: -1,
	}
	if view.Unit != nil {
		rc.UnitName = view.Unit.Name
		rc.UnitAddress = view.Unit.Address + ", " + view.Unit.Postcode + " " + view.Unit.City
		rc.UnitPhone, rc.UnitHours = view.Unit.Phone, view.Unit.Hours.Lines(lang)
	}
	if view.Appointment != nil {
		rc.Appointment = view.Appointment.Start
	}
	if s.d.LogEntry != nil {
		for _, ev := range view.Events {
			if ev.Type != casefile.EventSubmitted {
				continue
			}
			idx, cp, err := s.d.LogEntry(r.Context(), ev.ID)
			switch {
			case err == nil:
				rc.LogIndex, rc.Checkpoint = idx, cp
			case !errors.Is(err, guichet.ErrNotFound):
				// The receipt is still worth having without its proof.
				s.d.Logger.WarnContext(r.Context(), "receipt without log entry", "ref", view.Case.Ref, "err", err)
			}
		}
	}
	pdf, err := s.d.Receipt(r.Context(), rc)
	if err != nil {
		return fmt.Errorf("case %s: receipt: %w", view.Case.Ref, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="recu-`+view.Case.Ref+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
	return nil
}

// absURL is the absolute address of a local path, on PublicURL when set.
func (s *Server) absURL(r *http.Request, path string) string {
	if s.public != nil {
		return strings.TrimSuffix(s.public.String(), "/") + path
	}
	scheme := "http"
	if s.cfg.Secure || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
