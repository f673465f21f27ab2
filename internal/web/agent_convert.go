package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
)

// convertDesk is what the conversion into a complaint needs of the case
// desk, besides opening the case (casePageDesk).
type convertDesk interface {
	Convert(ctx context.Context, p account.Principal, ref string, in casework.ConvertInput) (string, error)
	ComplaintRecord(ctx context.Context, p account.Principal, plRef string) ([]byte, error)
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
