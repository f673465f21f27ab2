package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
)

// The back-office lives under /agent/. Its pages share the citizens'
// layout, catalogues and middleware (CSP, cross-origin protection, rate
// limits); every one of them goes through agentOnly, which checks the
// server-side session on every request.

// agentCookie holds an agent's session token (SameSite=Strict, HttpOnly).
const agentCookie = "agent"

// agentHandler is a back-office page handler, called only with an
// authenticated principal.
type agentHandler func(w http.ResponseWriter, r *http.Request, p account.Principal) error

type principalKey struct{}

// principalFrom returns the agent the request was authenticated as, if any.
func principalFrom(ctx context.Context) (account.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(account.Principal)
	return p, ok
}

// principal authenticates the request's session cookie. It fails with an
// error wrapping guichet.ErrUnauthenticated when there is no valid session.
func (s *Server) principal(r *http.Request) (account.Principal, error) {
	if s.d.Agents == nil {
		return account.Principal{}, guichet.ErrUnauthenticated
	}
	c, err := r.Cookie(s.cookieName(agentCookie))
	if err != nil || c.Value == "" {
		return account.Principal{}, guichet.ErrUnauthenticated
	}
	return s.d.Agents.Authenticate(r.Context(), c.Value)
}

// agentOnly wraps a back-office handler: without a valid session, a GET is
// sent to the login page (and back after), anything else is refused. The
// principal is put in the request's context, so pages show who is
// signed in.
func (s *Server) agentOnly(h agentHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.principal(r)
		if err != nil {
			if errors.Is(err, guichet.ErrUnauthenticated) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				return redirect(w, r, "/agent/connexion?retour="+url.QueryEscape(r.URL.RequestURI()))
			}
			return err
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		return h(w, r, p)
	}
}
