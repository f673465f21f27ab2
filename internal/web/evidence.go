package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

// uploadOverhead is what a multipart body may carry beyond the file.
const uploadOverhead = 64 << 10

// drainLimit bounds how much of a refused upload is read and thrown away
// so that the browser, still sending, gets the page rather than a reset
// connection. Beyond it the connection is closed.
const drainLimit = 64 << 20

// uploadLimit is the largest evidence upload body.
func (s *Server) uploadLimit() int64 {
	return s.d.Complaints.Config().MaxFileSize + uploadOverhead
}

// evidenceAdd stores one uploaded file. Its type is sniffed from its
// content by the complaint service, so a renamed executable is refused;
// a file too large gets a message, not a broken connection.
func (s *Server) evidenceAdd(w http.ResponseWriter, r *http.Request) error {
	raw := r.Body
	limit := s.uploadLimit()
	r.Body = http.MaxBytesReader(w, raw, limit)
	code, st, err := s.openDraft(w, r)
	if err != nil {
		drain(raw)
		return noDraft(w, r, err)
	}
	if complaint.StepEvidence.Index() > st.Step.Index() {
		drain(raw)
		return redirect(w, r, stepPath(st.Step))
	}
	maxMB := s.d.Complaints.Config().MaxFileSize >> 20
	refuse := func(key string, args ...any) error {
		drain(raw)
		var v guichet.ValidationError
		v.Add("evidence", key, args...)
		p, err := s.stepPage(r, complaint.StepEvidence, st, &v)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "step_evidence", p)
	}
	if r.ContentLength > limit {
		return refuse("err.evidence.size", maxMB)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return refuse("err.evidence.missing")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return refuse("err.evidence.missing")
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return refuse("err.evidence.size", maxMB)
		}
		if err != nil {
			return refuse("err.evidence.missing")
		}
		if part.FormName() != "evidence" {
			continue
		}
		if part.FileName() == "" {
			return refuse("err.evidence.missing")
		}
		_, err = s.storeUpload(r.Context(), code, part)
		var verr *guichet.ValidationError
		switch {
		case errors.As(err, &verr):
			drain(raw)
			p, perr := s.stepPage(r, complaint.StepEvidence, st, verr)
			if perr != nil {
				return perr
			}
			return s.render(w, r, http.StatusUnprocessableEntity, "step_evidence", p)
		case err != nil:
			return err
		}
		return redirect(w, r, stepPath(complaint.StepEvidence)+"?ajoute=1")
	}
}

// drain reads what is left of a request body, up to drainLimit.
func drain(body io.ReadCloser) {
	if body != nil {
		_, _ = io.CopyN(io.Discard, body, drainLimit)
	}
}

// evidenceRemove deletes one file of the draft. A file already gone is
// not an error: the citizen sees the list as it is.
func (s *Server) evidenceRemove(w http.ResponseWriter, r *http.Request) error {
	code, _, err := s.openDraft(w, r)
	if err != nil {
		return noDraft(w, r, err)
	}
	_, err = s.d.Complaints.RemoveEvidence(r.Context(), code, r.PathValue("id"))
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return err
	}
	return redirect(w, r, stepPath(complaint.StepEvidence)+"?retire=1")
}

// storeUpload stores the file of one "evidence" part for the draft of
// code, with the checks of the complaint service (size, count, type
// sniffed from the content). A file refused fails with a
// *guichet.ValidationError on field "evidence" saying why; it returns the
// draft as saved otherwise.
func (s *Server) storeUpload(ctx context.Context, code caseref.Code, part *multipart.Part) (*complaint.DraftState, error) {
	refuse := func(key string, args ...any) error {
		var v guichet.ValidationError
		v.Add("evidence", key, args...)
		return &v
	}
	if !isText(part.FileName()) {
		// The name is kept with the file and shown later: not garbled.
		return nil, refuse("err.evidence.name")
	}
	st, err := s.d.Complaints.AddEvidence(ctx, code, part.FileName(), part)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, refuse("err.evidence.size", s.d.Complaints.Config().MaxFileSize>>20)
	}
	return st, err
}

// Bounds of the text inputs of the evidence step's multipart form: its
// buttons and hidden inputs, nothing a citizen types at length.
const (
	maxStepParts     = 16
	maxStepPartValue = 1 << 10
)

// evidenceStepSubmit saves the evidence step. Its form is one multipart
// form holding the file input, so a file chosen and not sent with its own
// button is sent with the step: it is stored first, whichever button was
// pressed, with the checks of evidenceAdd. A file that cannot be stored
// keeps the citizen on the step with the reason beside the file field and
// a notice that it was not attached; nothing is dropped in silence. A
// post that is not multipart is an ordinary step post.
func (s *Server) evidenceStepSubmit(w http.ResponseWriter, r *http.Request) error {
	r.SetPathValue("etape", stepSlugs[complaint.StepEvidence])
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		}
		return s.stepSubmit(w, r)
	}
	raw := r.Body
	limit := s.uploadLimit()
	r.Body = http.MaxBytesReader(w, raw, limit)
	code, st, err := s.openDraft(w, r)
	if err != nil {
		drain(raw)
		return noDraft(w, r, err)
	}
	if complaint.StepEvidence.Index() > st.Step.Index() {
		drain(raw)
		return redirect(w, r, stepPath(st.Step))
	}
	maxMB := s.d.Complaints.Config().MaxFileSize >> 20
	refused := func(verr error) error {
		drain(raw)
		p, err := s.stepPage(r, complaint.StepEvidence, st, verr)
		if err != nil {
			return err
		}
		p.Notice = "evidence.not_attached"
		return s.render(w, r, http.StatusUnprocessableEntity, "step_evidence", p)
	}
	sizeErr := func() error {
		var v guichet.ValidationError
		v.Add("evidence", "err.evidence.size", maxMB)
		return &v
	}
	if r.ContentLength > limit {
		return refused(sizeErr())
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fmt.Errorf("evidence step: %w: %w", guichet.ErrInvalid, err)
	}
	vals := url.Values{}
	var saved *complaint.DraftState // after the file was stored
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return refused(sizeErr())
		}
		if err != nil {
			drain(raw)
			return fmt.Errorf("evidence step: %w: %w", guichet.ErrInvalid, err)
		}
		name := part.FormName()
		if name == "evidence" {
			if part.FileName() == "" || saved != nil {
				// No file chosen (browsers send an empty part), or a
				// second file input the page does not have.
				continue
			}
			saved, err = s.storeUpload(r.Context(), code, part)
			var verr *guichet.ValidationError
			switch {
			case errors.As(err, &verr):
				return refused(verr)
			case err != nil:
				drain(raw)
				return err
			}
			continue
		}
		if n >= maxStepParts {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxStepPartValue+1))
		if errors.As(err, &mbe) {
			return refused(sizeErr())
		}
		if err != nil || len(b) > maxStepPartValue {
			drain(raw)
			return fmt.Errorf("evidence step: input %q: %w", name, guichet.ErrInvalid)
		}
		vals.Add(name, string(b))
	}
	if saved != nil && vals.Get("version") == strconv.Itoa(st.Version) {
		// The page was up to date: storing its file is what moved the
		// draft on, not another window.
		vals.Set("version", strconv.Itoa(saved.Version))
	}
	r.PostForm = vals
	r.Form = url.Values{}
	for k, v := range r.URL.Query() {
		r.Form[k] = v
	}
	for k, v := range vals {
		r.Form[k] = append(r.Form[k], v...)
	}
	return s.stepSubmit(w, r)
}
