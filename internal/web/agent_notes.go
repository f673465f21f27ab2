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

// noteDesk is what the note form needs of the case desk.
type noteDesk interface {
	AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error)
}

// noteData is the note form shown again with its error.
type noteData struct {
	Ref string
}

func (s *Server) agentNote(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("note %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	text := r.PostForm.Get("note")
	toCitizen := r.PostForm.Get("to") == "citizen"
	if err = bad; err == nil {
		_, err = s.d.Cases.AddNote(r.Context(), pr, ref, text, toCitizen)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.Values = map[string]string{"note": text, "to": r.PostForm.Get("to")}
		p.setErrors(err)
		p.Data = noteData{Ref: ref}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_note", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=note")
}
