package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
)

// assignDesk is what assigning a case needs of the case desk (a refusal
// shows the summary again, through casePageDesk).
type assignDesk interface {
	Assign(ctx context.Context, p account.Principal, ref, agentID string) error
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
