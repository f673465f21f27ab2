package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
)

// codeDesk is what issuing a new tracking code needs of the case desk.
type codeDesk interface {
	ReissueCode(ctx context.Context, p account.Principal, ref string) (caseref.Code, error)
}

// newCodeData is the page that shows a reissued code, once.
type newCodeData struct {
	Ref  string
	Code caseref.Code
}

// agentReissueCode gives a case a new tracking code for a citizen who
// lost theirs and came with an identity document. The agent confirms
// they checked it; the page that answers shows the code once (no-store,
// not a redirect: it is never in a URL or history entry).
func (s *Server) agentReissueCode(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("reissue code %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	if bad != nil || r.PostForm.Get("identity_checked") != "yes" {
		// Back to the case summary, which says why; the file is opened
		// again with a purpose (an access the journal records).
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		if !p.setErrors(bad) {
			p.addError("identity_checked", "cases.err.identity_checked")
		}
		return s.renderSummary(w, r, pr, ref, http.StatusUnprocessableEntity, p)
	}
	code, err := s.d.Cases.ReissueCode(r.Context(), pr, ref)
	if errors.Is(err, guichet.ErrConflict) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.addError("identity_checked", "cases.err.no_code")
		return s.renderSummary(w, r, pr, ref, http.StatusConflict, p)
	}
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Path = "/agent/dossiers/" + ref
	p.Data = &newCodeData{Ref: ref, Code: code}
	return s.render(w, r, http.StatusOK, "agent_code", p)
}
