package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
)

// closeDesk is what closing a case needs of the case desk, besides its
// summary (casePageDesk).
type closeDesk interface {
	Close(ctx context.Context, p account.Principal, ref string, reason casework.CloseReason, redirect string) error
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
