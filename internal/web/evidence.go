package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/guichet/guichet"
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
		if !isText(part.FileName()) {
			// The name is kept with the file and shown later: not garbled.
			return refuse("err.evidence.name")
		}
		_, err = s.d.Complaints.AddEvidence(r.Context(), code, part.FileName(), part)
		var verr *guichet.ValidationError
		switch {
		case errors.As(err, &mbe):
			return refuse("err.evidence.size", maxMB)
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
