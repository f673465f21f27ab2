package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/complaint"
)

// Changing the kind of offence of a draft, from the review page: the
// question asked before the draft opened, asked again; then the items
// step, the one whose questions depend on the kind, with what the new kind
// asks for; then back to the review.

// kindPath is the page that changes the kind of offence.
const kindPath = "/preplainte/infraction"

// kindFromParam names, on the items step reached after a change, the kind
// it was changed from.
const kindFromParam = "avant"

// recapParam, set to "1" on a step, makes its "continue" return to the
// review page (once the review was reached) rather than go to the next
// step: a review's "Modifier" comes back to the review.
const recapParam = "recap"

// kindData is the kind page's data.
type kindData struct {
	Version int
	Back    string // the page to return to without a change
}

// draftBack is where a citizen leaving the kind page without a change
// returns: the review once reached, else the furthest step.
func draftBack(st *complaint.DraftState) string { return stepPath(st.Step) }

// kindForm asks again what the citizen is a victim of.
func (s *Server) kindForm(w http.ResponseWriter, r *http.Request) error {
	_, st, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	return s.renderKind(w, r, http.StatusOK, st, nil)
}

func (s *Server) renderKind(w http.ResponseWriter, r *http.Request, status int, st *complaint.DraftState, verr error) error {
	p := s.newPage(r)
	p.Path = kindPath
	form := st.Form
	p.Form = &form
	if verr != nil {
		p.setErrors(verr)
	}
	p.Data = kindData{Version: st.Version, Back: draftBack(st)}
	return s.render(w, r, status, "kind", p)
}

// kindSubmit changes the kind of offence. No answer, or one the service
// does not take (it is said beside the question); an online scam or
// something else points the citizen the right way, the draft as it was;
// the same kind changes nothing; another kind is saved, and the items
// step follows, then the review.
func (s *Server) kindSubmit(w http.ResponseWriter, r *http.Request) error {
	code, st, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("kind: %w: %w", guichet.ErrInvalid, err)
	}
	if bad != nil {
		return s.renderKind(w, r, http.StatusUnprocessableEntity, st, bad)
	}
	to := complaint.Category(r.PostForm.Get("category"))
	from := st.Form.Category
	switch {
	case to == "online_scam" || to == "other":
		p := s.newPage(r)
		p.Path = kindPath
		p.Data = orientationData{Reason: complaint.Reason(to), Draft: draftBack(st), Kind: from}
		return s.render(w, r, http.StatusOK, "orientation", p)
	case to == from:
		return redirect(w, r, draftBack(st))
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	saved, err := s.d.Complaints.ChangeCategory(r.Context(), code, to, version)
	var verr *guichet.ValidationError
	switch {
	case errors.As(err, &verr):
		return s.renderKind(w, r, http.StatusUnprocessableEntity, saved, verr)
	case errors.Is(err, guichet.ErrConflict) && saved != nil:
		// Changed meanwhile from another window: ask again, on what is
		// saved now.
		st = saved
		form := st.Form
		form.Category = to
		p := s.newPage(r)
		p.Path = kindPath
		p.Form = &form
		p.Notice = "notice.conflict"
		p.Data = kindData{Version: st.Version, Back: draftBack(st)}
		return s.render(w, r, http.StatusConflict, "kind", p)
	case err != nil:
		return err
	}
	if saved.Step.Index() < complaint.StepItems.Index() {
		// The items are still to come, with the new kind.
		return redirect(w, r, stepPath(saved.Step))
	}
	q := url.Values{kindFromParam: {string(from)}}
	if saved.Step == complaint.StepReview {
		q.Set(recapParam, "1")
	}
	return redirect(w, r, stepPath(complaint.StepItems)+"?"+q.Encode())
}
