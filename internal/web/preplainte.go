package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

// stepSlugs are the French path segments of the steps, in order.
var stepSlugs = map[complaint.Step]string{
	complaint.StepIdentity: "identite",
	complaint.StepFacts:    "faits",
	complaint.StepItems:    "objets",
	complaint.StepEvidence: "preuves",
	complaint.StepStation:  "commissariat",
	complaint.StepReview:   "recapitulatif",
}

func stepBySlug(slug string) (complaint.Step, bool) {
	for st, sl := range stepSlugs {
		if sl == slug {
			return st, true
		}
	}
	return "", false
}

func stepPath(st complaint.Step) string { return "/preplainte/" + stepSlugs[st] }

// stepView is where a page stands in the journey, for the progress
// indicator and the navigation buttons.
type stepView struct {
	Step    complaint.Step
	Slug    string
	Number  int // 1-based
	Count   int
	Version int
	Prev    string // path of the previous step, "" on the first
	Links   []stepLink
	// Recap is set when the step was opened from the review page, which
	// "continue" returns to (see recapParam).
	Recap bool
}

type stepLink struct {
	Key       string // catalogue key of the step's name
	Path      string
	Number    int
	Current   bool
	Done      bool // before the current step
	Reachable bool // at or before the furthest step reached
}

func newStepView(step complaint.Step, st *complaint.DraftState) *stepView {
	v := &stepView{Step: step, Slug: stepSlugs[step], Number: step.Index() + 1, Count: len(complaint.Steps), Version: st.Version}
	if i := step.Index(); i > 0 {
		v.Prev = stepPath(complaint.Steps[i-1])
	}
	for i, s := range complaint.Steps {
		v.Links = append(v.Links, stepLink{
			Key: "step." + string(s), Path: stepPath(s), Number: i + 1,
			Current: s == step, Done: i < step.Index(), Reachable: i <= st.Step.Index(),
		})
	}
	return v
}

// errNoDraft: this browser holds no live draft.
var errNoDraft = errors.New("no draft in this browser")

// openDraft returns the draft of the request's cookie.
func (s *Server) openDraft(w http.ResponseWriter, r *http.Request) (caseref.Code, *complaint.DraftState, error) {
	code, ok := s.draftCode(r)
	if !ok {
		return "", nil, errNoDraft
	}
	st, err := s.d.Complaints.Draft(r.Context(), code)
	if errors.Is(err, guichet.ErrNotFound) {
		s.clearDraft(w)
		return "", nil, errNoDraft
	}
	return code, st, err
}

// noDraft sends a citizen without a draft to the resume page, which also
// offers to start afresh; other errors go on.
func noDraft(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, errNoDraft) {
		return redirect(w, r, "/preplainte/reprendre?absent=1")
	}
	return err
}

// eligibilityData tells the eligibility page whether a draft is open.
type eligibilityData struct {
	HasDraft bool
	// FromReport is the report the draft will start from (see victim.go).
	FromReport string
	// ReportLost: the draft was to start from a report this browser no
	// longer proves it filed; the answers are kept, to go on without it.
	ReportLost bool
}

func (s *Server) eligibilityForm(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r)
	p.Form = &complaint.Form{}
	_, hasDraft := s.draftCode(r)
	p.Data = eligibilityData{HasDraft: hasDraft}
	if s.d.Reports != nil && s.fromReportForm(r, p) {
		p.Data = eligibilityData{HasDraft: hasDraft, FromReport: p.Form.Report}
	}
	return s.render(w, r, http.StatusOK, "eligibility", p)
}

// orientationData is the reason the citizen is sent another way.
type orientationData struct {
	Reason complaint.Reason
	// Draft is set when the answer was given to change the kind of a
	// draft (see kindSubmit): the draft was left as it was, of kind Kind,
	// and Draft is the page to go back to it.
	Draft string
	Kind  complaint.Category
}

// eligibilitySubmit answers the eligibility questions: another way when the
// situation is not for an online pre-complaint, else a new draft.
func (s *Server) eligibilitySubmit(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("eligibility: %w: %w", guichet.ErrInvalid, err)
	}
	f := decodeForm(r.PostForm)
	answers := complaint.Form{Emergency: f.Emergency, Violence: f.Violence, AuthorKnown: f.AuthorKnown, Category: f.Category}
	reason, err := complaint.Eligibility(answers)
	if bad != nil {
		err = bad
	}
	p := s.newPage(r)
	p.Path = "/preplainte"
	p.Form = &answers
	if err != nil {
		if !p.setErrors(err) {
			return err
		}
		d := eligibilityData{FromReport: s.ownReport(r, r.PostForm.Get(fromReportParam))}
		answers.Report = d.FromReport
		p.Data = d
		return s.render(w, r, http.StatusUnprocessableEntity, "eligibility", p)
	}
	if reason != complaint.ReasonNone {
		p.Data = orientationData{Reason: reason}
		return s.render(w, r, http.StatusOK, "orientation", p)
	}
	if typed := r.PostForm.Get(fromReportParam); typed != "" && s.d.Reports != nil {
		return s.startFromReport(w, r, p, answers, typed)
	}
	code, _, err := s.d.Complaints.StartDraft(r.Context(), answers)
	if err != nil {
		return err
	}
	s.setDraft(w, code)
	return redirect(w, r, "/preplainte/code?nouveau=1")
}

// draftCodeData is the draft code page's data.
type draftCodeData struct {
	Code      string // grouped for reading
	Continue  string // path of the furthest step
	ExpiresAt time.Time
	New       bool
	Saved     bool
}

// draftCodePage shows the draft code to note down, to resume elsewhere.
func (s *Server) draftCodePage(w http.ResponseWriter, r *http.Request) error {
	code, st, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	p := s.newPage(r)
	q := r.URL.Query()
	p.Data = draftCodeData{
		Code: code.String(), Continue: stepPath(st.Step), ExpiresAt: st.ExpiresAt,
		New: q.Get("nouveau") == "1", Saved: q.Get("enregistre") == "1",
	}
	return s.render(w, r, http.StatusOK, "draftcode", p)
}

// resumeData is the resume page's data.
type resumeData struct {
	Absent bool // sent here for want of a draft
}

func (s *Server) resumeForm(w http.ResponseWriter, r *http.Request) error {
	if _, sent := s.sent(r); sent && r.URL.Query().Get("absent") == "1" {
		// Sent here for want of a draft, by a browser that just sent
		// one: the back button, a stale tab. Show what was sent.
		return redirect(w, r, "/preplainte/envoyee")
	}
	p := s.newPage(r)
	p.Values = map[string]string{"draft_code": ""}
	p.Data = resumeData{Absent: r.URL.Query().Get("absent") == "1"}
	return s.render(w, r, http.StatusOK, "resume", p)
}

// resumeSubmit opens a draft by its code and goes back to the furthest
// step reached. Refused attempts are limited per client (codeFailed); the
// right code always opens the draft.
func (s *Server) resumeSubmit(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("resume: %w: %w", guichet.ErrInvalid, err)
	}
	typed := strings.TrimSpace(r.PostForm.Get("draft_code"))
	p := s.newPage(r)
	p.Path = "/preplainte/reprendre"
	p.Values = map[string]string{"draft_code": typed}
	p.Data = resumeData{}
	code, err := caseref.ParseCode(typed)
	switch {
	case bad != nil:
		p.setErrors(bad)
	case typed == "":
		p.addError("draft_code", "err.required")
	case err != nil:
		p.addError("draft_code", "err.code.format")
	}
	if len(p.Errors) > 0 {
		if err := s.codeFailed(r); err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "resume", p)
	}
	st, err := s.d.Complaints.Draft(r.Context(), code)
	if errors.Is(err, guichet.ErrNotFound) {
		if err := s.codeFailed(r); err != nil {
			return err
		}
		p.addError("draft_code", "err.code.unknown")
		return s.render(w, r, http.StatusUnprocessableEntity, "resume", p)
	}
	if err != nil {
		return err
	}
	s.setDraft(w, code)
	return redirect(w, r, stepPath(st.Step))
}

// stepPage builds the page of one step with its data, showing the field
// errors of verr (which may be nil).
func (s *Server) stepPage(r *http.Request, step complaint.Step, st *complaint.DraftState, verr error) (*page, error) {
	p := s.newPage(r)
	if verr != nil {
		p.setErrors(verr)
	}
	p.Path = stepPath(step)
	if r.Method == http.MethodGet && r.URL.RawQuery != "" && step == complaint.StepStation {
		p.Path = r.URL.RequestURI()
	}
	p.Form = &st.Form
	p.Step = newStepView(step, st)
	if r.Form.Get(recapParam) == "1" && st.Step == complaint.StepReview && step != complaint.StepReview {
		p.Step.Recap = true
		if r.Method == http.MethodGet {
			p.Path = r.URL.RequestURI()
		}
	}
	var err error
	switch step {
	case complaint.StepItems:
		d := s.itemsData(p)
		if from := complaint.Category(r.Form.Get(kindFromParam)); from.Valid() && from != st.Form.Category {
			d.KindFrom = from
		}
		p.Data = d
	case complaint.StepEvidence:
		s.fillEvidence(r, p)
	case complaint.StepStation:
		p.Data, err = s.stationData(r, p.Lang, st)
		if err == nil {
			stationErrors(p)
		}
	case complaint.StepReview:
		p.Data, err = s.reviewData(r, st)
	}
	return p, err
}

// stepForm shows one step of the draft, never beyond the furthest reached.
func (s *Server) stepForm(w http.ResponseWriter, r *http.Request) error {
	step, ok := stepBySlug(r.PathValue("etape"))
	if !ok {
		return errNotFound
	}
	_, st, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	if step.Index() > st.Step.Index() {
		return redirect(w, r, stepPath(st.Step))
	}
	// The query holds the station search (q), a form of its own.
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("step %s: %w: %w", step, guichet.ErrInvalid, err)
	}
	status := http.StatusOK
	verr := bad
	if bad != nil {
		status = http.StatusUnprocessableEntity
	} else if from := complaint.Category(r.Form.Get(kindFromParam)); step == complaint.StepItems && from.Valid() && from != st.Form.Category {
		// Just after a change of the kind of offence: what the new kind
		// asks of the items, said at once.
		verr = complaint.ValidateStep(step, &st.Form, s.now())
	}
	p, err := s.stepPage(r, step, st, verr)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "step_"+string(step), p)
}

// Actions of the buttons of a step's form (name="action").
const (
	actionContinue   = "continue"
	actionPrevious   = "previous"
	actionLater      = "later"
	actionAddItem    = "add-item"
	actionRemoveItem = "remove-item-" // followed by the row index
	actionChooseUnit = "choose-unit"
)

// stepSubmit saves one step, whatever was typed, then moves on: to the
// next step when valid, back when asked, or shows the errors.
func (s *Server) stepSubmit(w http.ResponseWriter, r *http.Request) error {
	step, ok := stepBySlug(r.PathValue("etape"))
	if !ok {
		return errNotFound
	}
	if step == complaint.StepReview {
		return s.submit(w, r)
	}
	code, st, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	if step.Index() > st.Step.Index() {
		// Steps are filled in order: nothing beyond the furthest reached.
		return redirect(w, r, stepPath(st.Step))
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("step %s: %w: %w", step, guichet.ErrInvalid, err)
	}
	form := r.PostForm
	action := form.Get("action")
	if action == "" {
		action = actionContinue
	}
	version, _ := strconv.Atoi(form.Get("version"))
	recap := form.Get(recapParam) == "1"
	here := stepPath(step) // this step again, still returning to the review if asked
	if recap {
		here += "?" + recapParam + "=1"
	}
	after := "" // where to go once saved, whatever the errors
	switch {
	case action == actionPrevious && step.Index() > 0:
		after = stepPath(complaint.Steps[step.Index()-1])
	case action == actionLater:
		after = "/preplainte/code?enregistre=1"
	}
	in := decodeForm(form)
	if bad != nil {
		// Nothing is saved, nor does the citizen leave the step: what was
		// typed is shown again, rows as posted, with the fields to retype.
		complaint.MergeStep(&st.Form, step, in)
		p, err := s.stepPage(r, step, st, bad)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "step_"+string(step), p)
	}
	switch step {
	case complaint.StepItems:
		if k, ok := strings.CutPrefix(action, actionRemoveItem); ok {
			if n, err := strconv.Atoi(k); err == nil && n >= 0 && n < len(in.Items) {
				in.Items = append(in.Items[:n:n], in.Items[n+1:]...)
			}
			after = here + "#f-items"
		}
		in.Items = compactItems(in.Items)
		if action == actionAddItem {
			if len(in.Items) < maxItemRows {
				in.Items = append(in.Items, complaint.Item{})
			}
			after = here + "#" + fieldID("items."+strconv.Itoa(len(in.Items)-1)+".kind")
		}
	case complaint.StepStation:
		if next := form.Get("next_unit"); next != "" && len(next) <= 64 {
			// "See the times of <the next place>", offered when the place
			// chosen has none.
			in.UnitID, action = next, actionChooseUnit
		}
		q := url.Values{}
		if v := strings.TrimSpace(form.Get("q")); v != "" && len(v) <= 100 {
			q.Set("q", v)
		}
		if action == actionChooseUnit || (in.UnitID != "" && in.UnitID != st.Form.UnitID) {
			// A new place: its slots are shown next, none chosen yet.
			in.SlotID = ""
			if action != actionPrevious && action != actionLater {
				after = stepPath(step) + "?" + q.Encode() + "#creneaux"
			}
		}
	}
	saved, err := s.d.Complaints.SaveStep(r.Context(), code, step, in, version)
	if errors.Is(err, guichet.ErrConflict) && saved != nil {
		// Saved meanwhile from another window: show the latest draft with
		// what was just typed, to save again knowingly.
		complaint.MergeStep(&saved.Form, step, in)
		p, perr := s.stepPage(r, step, saved, nil)
		if perr != nil {
			return perr
		}
		p.Notice = "notice.conflict"
		return s.render(w, r, http.StatusConflict, "step_"+string(step), p)
	}
	var verr *guichet.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return err
	}
	if after != "" {
		return redirect(w, r, after)
	}
	if verr != nil {
		p, perr := s.stepPage(r, step, saved, verr)
		if perr != nil {
			return perr
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "step_"+string(step), p)
	}
	if recap && saved.Step == complaint.StepReview {
		return redirect(w, r, stepPath(complaint.StepReview))
	}
	return redirect(w, r, stepPath(complaint.Steps[step.Index()+1]))
}

// confirmationData is what the confirmation page shows.
type confirmationData struct {
	Ref          string
	TrackingCode string // grouped; empty once CodeUntil has passed
	View         *complaint.CaseView
	PDF          bool
	CodeUntil    time.Time // when this browser stops showing the code
	// Mail is the offer to email the code; nil when the citizen left no
	// address, the code is no longer shown, or no mail can be sent.
	Mail *codeMail
}

// codeMail is where the offer to email the code stands.
type codeMail struct {
	Sent bool // emailed already: there is no second time
	// Done is what the last request came to, from the query: "envoye"
	// (sent), "deja" (refused: sent before), "echec" (failed), or "".
	Done string
}

// mailOutcomes are the outcomes of a request to email the code.
var mailOutcomes = map[string]bool{"envoye": true, "deja": true, "echec": true}

// submit records the consent, then turns the draft into a case. A draft
// that fails validation (a slot taken meanwhile, say) shows the failing
// step with its errors.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	code, ok := s.draftCode(r)
	if !ok {
		if _, sent := s.sent(r); sent {
			return redirect(w, r, "/preplainte/envoyee")
		}
		return noDraft(w, r, errNoDraft)
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("submit: %w: %w", guichet.ErrInvalid, err)
	}
	if bad != nil {
		st, err := s.d.Complaints.Draft(r.Context(), code)
		if errors.Is(err, guichet.ErrNotFound) {
			s.clearDraft(w)
			return noDraft(w, r, errNoDraft)
		}
		if err != nil {
			return err
		}
		p, err := s.stepPage(r, complaint.StepReview, st, bad)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "step_review", p)
	}
	action := r.PostForm.Get("action")
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	consent := r.PostForm.Get("consent") == "yes"
	if action == actionPrevious || action == actionLater {
		// Leaving the review page: keep the consent as typed, whatever it is.
		_, err := s.d.Complaints.SaveStep(r.Context(), code, complaint.StepReview, complaint.Form{Consent: consent}, version)
		var verr *guichet.ValidationError
		if errors.Is(err, guichet.ErrNotFound) {
			s.clearDraft(w)
			return noDraft(w, r, errNoDraft)
		}
		if err != nil && !errors.As(err, &verr) && !errors.Is(err, guichet.ErrConflict) {
			return err
		}
		if action == actionPrevious {
			return redirect(w, r, stepPath(complaint.StepStation))
		}
		return redirect(w, r, "/preplainte/code?enregistre=1")
	}
	out, err := s.d.Complaints.SubmitReview(r.Context(), code, consent, version)
	switch {
	case errors.Is(err, guichet.ErrNotFound):
		s.clearDraft(w)
		return noDraft(w, r, errNoDraft)
	case err != nil:
		return err
	case out.Stale:
		out.Draft.Form.Consent = consent
		p, perr := s.stepPage(r, complaint.StepReview, out.Draft, nil)
		if perr != nil {
			return perr
		}
		p.Notice = "notice.conflict"
		return s.render(w, r, http.StatusConflict, "step_review", p)
	case out.Invalid != nil:
		return s.renderStepErrors(w, r, out.Step, out.Draft, out.Invalid)
	}
	sub := out.Submitted
	s.clearDraft(w)
	s.grantAccess(w, sub.Ref)
	// Post/redirect/get: a reload or a return from another app shows the
	// confirmation again (confirmationPage), never "no pre-complaint".
	s.setSent(w, sentProof{Ref: sub.Ref, Code: sub.TrackingCode.String(), At: s.now().Unix()})
	return redirect(w, r, "/preplainte/envoyee")
}

// renderStepErrors shows step with verr's errors.
func (s *Server) renderStepErrors(w http.ResponseWriter, r *http.Request, step complaint.Step, st *complaint.DraftState, verr *guichet.ValidationError) error {
	p, err := s.stepPage(r, step, st, verr)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "step_"+string(step), p)
}
