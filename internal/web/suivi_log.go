package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
)

// LogProof is the transparency-log receipt of one case event.
type LogProof struct {
	// Index is the event's leaf index in the log.
	Index int64
	// TreeSize is the size of the signed checkpoint the proof leads to.
	TreeSize int64
	// JSON is the receipt file (format guichet-receipt/v1: leaf, index,
	// inclusion proof, signed checkpoint, reference and salt) that
	// `guichet verify receipt FILE --key VKEY` checks offline.
	JSON []byte
}

// LogReceiptFunc builds the receipt of event ev of the case ref, whose
// ledger salt is salt, proved against the latest published checkpoint.
// It MUST return an error wrapping guichet.ErrNotFound while the event is
// not yet sequenced, and MUST NOT return a receipt that does not verify
// with the log's key.
type LogReceiptFunc func(ctx context.Context, ref string, salt []byte, ev casefile.Event) (LogProof, error)

// logStatus is what the status page says about the case's entry in the
// transparency log.
type logStatus struct {
	Pending     bool // the submission is not logged yet
	Unavailable bool // the log could not be asked
	Index       int64
	TreeSize    int64
	// Refreshed: the citizen just asked for a proof against the latest
	// checkpoint; Since is the tree size they saw before (0: unknown).
	Refreshed bool
	Since     int64
}

// submission returns the case's submission event.
func submission(view *complaint.CaseView) (casefile.Event, bool) {
	for _, ev := range view.Events {
		if ev.Type == casefile.EventSubmitted {
			return ev, true
		}
	}
	return casefile.Event{}, false
}

// logProof returns the log receipt of the case's submission. It fails
// with guichet.ErrNotFound when there is none to give: no log, an erased
// case (its salt is gone), or a submission not yet sequenced.
func (s *Server) logProof(ctx context.Context, view *complaint.CaseView) (LogProof, error) {
	ev, ok := submission(view)
	if s.d.LogReceipt == nil || !ok || view.Case.Erased() || len(view.Salt) == 0 {
		return LogProof{}, fmt.Errorf("case %s: log receipt: %w", view.Case.Ref, guichet.ErrNotFound)
	}
	return s.d.LogReceipt(ctx, view.Case.Ref, view.Salt, ev)
}

// logStatusOf says where the case's submission stands in the log; nil
// when the page has nothing to say about it.
func (s *Server) logStatusOf(ctx context.Context, view *complaint.CaseView) *logStatus {
	if _, ok := submission(view); s.d.LogReceipt == nil || !ok || view.Case.Erased() {
		return nil
	}
	p, err := s.logProof(ctx, view)
	switch {
	case errors.Is(err, guichet.ErrNotFound):
		return &logStatus{Pending: true}
	case err != nil:
		// The rest of the page is still worth showing.
		s.d.Logger.WarnContext(ctx, "status page without log receipt", "ref", view.Case.Ref, "err", err)
		return &logStatus{Unavailable: true}
	}
	return &logStatus{Index: p.Index, TreeSize: p.TreeSize}
}

// receiptJSON sends the log receipt of the case's submission as a
// download, to the browser holding access to the case only.
func (s *Server) receiptJSON(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	if s.d.LogReceipt == nil {
		return errNotFound
	}
	p, err := s.logProof(r.Context(), view)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="recu-`+view.Case.Ref+`.json"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(p.JSON)
	return nil
}

// refreshProof proves the submission's inclusion again, against the
// latest checkpoint, and shows the status page saying how the log grew.
// It changes nothing: the receipt to download is always the latest.
func (s *Server) refreshProof(w http.ResponseWriter, r *http.Request) error {
	view, err := s.openCase(w, r)
	if err != nil {
		return noAccess(w, r, err)
	}
	if s.d.LogReceipt == nil {
		return errNotFound
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("refresh proof: %w: %w", guichet.ErrInvalid, err)
	}
	p, err := s.statusPage(r, view, "")
	if err != nil {
		return err
	}
	if bad != nil {
		p.setErrors(bad)
		return s.render(w, r, http.StatusUnprocessableEntity, "status", p)
	}
	d, ok := p.Data.(statusData)
	if !ok || d.Log == nil {
		return errNotFound
	}
	d.Log.Refreshed = true
	if since, err := strconv.ParseInt(r.PostForm.Get("taille"), 10, 64); err == nil && since > 0 && since <= d.Log.TreeSize {
		d.Log.Since = since
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "status", p)
}

// receiptPageData is the printable receipt's data: the confirmation's,
// with the submission's place in the log.
type receiptPageData struct {
	confirmationData
	Log *logStatus
}
