package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/partner"
)

// The partners of the API, for administrators: create and disable
// partners, create and revoke their tokens. The service checks the admin
// role on every call; the page is not offered to other roles.

func (s *Server) partnerRoutes() {
	if s.d.Partners == nil {
		return
	}
	s.handle("GET /agent/partenaires", s.agentOnly(s.agentPartners))
	s.handle("POST /agent/partenaires", s.agentOnly(s.agentPartnerCreate))
	s.handle("POST /agent/partenaires/{id}/jetons", s.agentOnly(s.agentTokenCreate))
	s.handle("POST /agent/partenaires/{id}/jetons/{token}/revoquer", s.agentOnly(s.agentTokenRevoke))
	s.handle("POST /agent/partenaires/{id}/desactiver", s.agentOnly(s.agentPartnerDisable))
}

// partnerView is one partner and its tokens, as the page shows them.
type partnerView struct {
	partner.Partner
	Tokens []tokenView
}

type tokenView struct {
	partner.Token
	// State is "valid", "rotated", "expired" or "revoked".
	State string
}

type partnersData struct {
	Partners []partnerView
	Kinds    []partner.Kind
	Scopes   []partner.Scope
	// Secret is a token just made, shown this once, for partner For.
	Secret, For string
	// Done names what was just done ("created", "revoked", "disabled").
	Done string
}

func (s *Server) partnersPage(r *http.Request, pr account.Principal) (*page, error) {
	all, err := s.d.Partners.Partners(r.Context(), pr)
	if err != nil {
		return nil, err
	}
	now := s.now()
	d := &partnersData{Kinds: partner.Kinds, Scopes: partner.Scopes}
	for _, p := range all {
		_, toks, err := s.d.Partners.Partner(r.Context(), pr, p.ID)
		if err != nil {
			return nil, err
		}
		v := partnerView{Partner: p}
		for _, t := range toks {
			st := "valid"
			switch {
			case !t.RevokedAt.IsZero():
				st = "revoked"
			case !now.Before(t.ExpiresAt):
				st = "expired"
			case t.ReplacedBy != "":
				st = "rotated"
			}
			v.Tokens = append(v.Tokens, tokenView{Token: t, State: st})
		}
		d.Partners = append(d.Partners, v)
	}
	p := s.newPage(r)
	p.Path = "/agent/partenaires"
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	p.Data = d
	return p, nil
}

func (s *Server) agentPartners(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, err := s.partnersPage(r, pr)
	if err != nil {
		return err
	}
	switch done := r.URL.Query().Get("fait"); done {
	case "created", "revoked", "disabled":
		p.Data.(*partnersData).Done = done
	}
	return s.render(w, r, http.StatusOK, "agent_partners", p)
}

func (s *Server) agentPartnerCreate(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("partners: %w: %w", guichet.ErrInvalid, err)
	}
	f := r.PostForm
	if bad == nil {
		var scopes []partner.Scope
		for _, v := range f["scopes"] {
			scopes = append(scopes, partner.Scope(v))
		}
		_, err = s.d.Partners.CreatePartner(r.Context(), pr, partner.NewPartner{Name: f.Get("name"), Kind: partner.Kind(f.Get("kind")), Scopes: scopes})
		var v *guichet.ValidationError
		switch {
		case errors.Is(err, guichet.ErrConflict):
			var c guichet.ValidationError
			c.Add("name", "partners.err.name_taken")
			err = &c
		case err != nil && !errors.As(err, &v):
			return err
		}
		bad = err
	}
	if bad != nil {
		p, perr := s.partnersPage(r, pr)
		if perr != nil {
			return perr
		}
		p.setErrors(bad)
		p.Values["name"], p.Values["kind"] = f.Get("name"), f.Get("kind")
		for _, sc := range f["scopes"] {
			p.Values["scope."+sc] = "on"
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_partners", p)
	}
	return redirect(w, r, "/agent/partenaires?fait=created")
}

// agentTokenCreate makes a token and shows it on the answer itself: it
// is never put in a URL, a cookie or a log.
func (s *Server) agentTokenCreate(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("partners: %w: %w", guichet.ErrInvalid, err)
	}
	in := partner.NewToken{}
	if days, err := strconv.Atoi(r.PostForm.Get("days")); err == nil && days > 0 {
		in.TTL = time.Duration(days) * 24 * time.Hour
	}
	if rate, err := strconv.Atoi(r.PostForm.Get("rate")); err == nil {
		in.Rate = rate
	}
	iss, err := s.d.Partners.CreateToken(r.Context(), pr, r.PathValue("id"), in)
	var v *guichet.ValidationError
	if err != nil && !errors.As(err, &v) {
		return err
	}
	p, perr := s.partnersPage(r, pr)
	if perr != nil {
		return perr
	}
	if err != nil {
		moved := &guichet.ValidationError{}
		for _, fe := range v.Fields {
			moved.Add("token."+fe.Field, fe.Key, fe.Args...)
		}
		p.setErrors(moved)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_partners", p)
	}
	d := p.Data.(*partnersData)
	d.Secret = iss.Secret
	for _, x := range d.Partners {
		if x.ID == iss.Token.PartnerID {
			d.For = x.Name
		}
	}
	return s.render(w, r, http.StatusOK, "agent_partners", p)
}

func (s *Server) agentTokenRevoke(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("partners: %w: %w", guichet.ErrInvalid, err)
	}
	if err := s.d.Partners.RevokeToken(r.Context(), pr, r.PathValue("id"), r.PathValue("token")); err != nil {
		return err
	}
	return redirect(w, r, "/agent/partenaires?fait=revoked")
}

func (s *Server) agentPartnerDisable(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("partners: %w: %w", guichet.ErrInvalid, err)
	}
	if err := s.d.Partners.DisablePartner(r.Context(), pr, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/agent/partenaires?fait=disabled")
}
