package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"rsc.io/qr"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/problem"
)

// AgentAuth is what the back-office needs from the account service.
type AgentAuth interface {
	// Authenticate returns the principal of a live session token. It MUST
	// fail with an error wrapping guichet.ErrUnauthenticated for an unknown,
	// expired (idle or absolute) or revoked session.
	Authenticate(ctx context.Context, token string) (account.Principal, error)
}

// AgentSignIn is what the sign-in, activation and security pages need
// (*account.Service satisfies it). When Deps.Agents implements it, those
// pages are served; otherwise only Authenticate is used.
type AgentSignIn interface {
	AgentAuth
	signInDesk
	enrolDesk
	securityDesk
}

// signInDesk is what the sign-in steps (password, code or passkey) and
// signing out need.
type signInDesk interface {
	Login(ctx context.Context, serviceNumber, password string) (string, error)
	PreAuth(ctx context.Context, token string) (account.PreAuth, error)
	VerifyCode(ctx context.Context, token, code string) (string, error)
	BeginPasskeyLogin(ctx context.Context, token string) ([]byte, error)
	FinishPasskeyLogin(ctx context.Context, token string, body []byte) (string, error)
	Logout(ctx context.Context, token string) error
	LogoutEverywhere(ctx context.Context, p account.Principal) (int, error)
}

// enrolDesk is what the activation of a new account needs.
type enrolDesk interface {
	Enrolment(ctx context.Context, token string) (account.EnrolmentView, error)
	EnrolPassword(ctx context.Context, token, password, confirm string) error
	EnrolTOTP(ctx context.Context, token, code string) ([]string, string, error)
}

// securityDesk is what the agent's security page (recovery codes,
// passkeys) needs.
type securityDesk interface {
	Security(ctx context.Context, p account.Principal) (account.SecurityView, error)
	RegenerateRecoveryCodes(ctx context.Context, p account.Principal) ([]string, error)
	BeginPasskeyRegistration(ctx context.Context, p account.Principal) ([]byte, error)
	FinishPasskeyRegistration(ctx context.Context, p account.Principal, name string, body []byte) (account.Passkey, error)
	RemovePasskey(ctx context.Context, p account.Principal, id []byte) error
}

var _ AgentSignIn = (*account.Service)(nil)

// authRoutes registers the back-office sign-in pages. Secret-bearing posts
// (password, codes, activation) go through the per-client code limiter on
// top of the account service's per-account lock.
func (s *Server) authRoutes() {
	a, ok := s.d.Agents.(AgentSignIn)
	if !ok {
		return
	}
	h := &agentAuthPages{s: s, a: a}
	s.handle("GET /agent/connexion", h.loginForm)
	s.handle("POST /agent/connexion", h.loginSubmit)
	s.handle("GET /agent/connexion/code", h.codeForm)
	s.handle("POST /agent/connexion/code", h.codeSubmit)
	s.handle("POST /agent/connexion/passkey/options", h.passkeyLoginOptions)
	s.handle("POST /agent/connexion/passkey", h.passkeyLogin)
	s.handle("POST /agent/deconnexion", h.logout)
	s.handle("POST /agent/deconnexion/partout", s.agentOnly(h.logoutEverywhere))
	s.handle("GET /agent/activation/{token}", h.enrolForm)
	s.handle("POST /agent/activation/{token}", h.enrolSubmit)
	s.handle("GET /agent/activation/{token}/qr.png", h.enrolQR)
	s.handle("GET /agent/securite", s.agentOnly(h.security))
	s.handle("POST /agent/securite/codes", s.agentOnly(h.regenerateCodes))
	s.handle("POST /agent/securite/passkeys/options", s.agentOnly(h.passkeyRegisterOptions))
	s.handle("POST /agent/securite/passkeys", s.agentOnly(h.passkeyRegister))
	s.handle("POST /agent/securite/passkeys/{id}/supprimer", s.agentOnly(h.passkeyRemove))
}

type agentAuthPages struct {
	s *Server
	a AgentSignIn
}

// agentField describes one input of the sign-in forms.
type agentField struct {
	name, typ, auto, mode string
}

var agentFields = map[string]agentField{
	"agent_login":            {typ: "text", auto: "username"},
	"agent_password":         {typ: "password", auto: "current-password"},
	"agent_new_password":     {typ: "password", auto: "new-password"},
	"agent_password_confirm": {typ: "password", auto: "new-password"},
	"agent_code":             {typ: "text", auto: "one-time-code", mode: "numeric"},
	"agent_passkey_name":     {typ: "text", auto: "off"},
}

// AgentInput describes a field of the back-office sign-in forms for the
// "input" partial.
func (p *page) AgentInput(name string) field {
	a := agentFields[name]
	f := field{
		Name: name, ID: fieldID(name), Type: a.typ, Autocomplete: a.auto, Inputmode: a.mode, Class: "w-20",
		Value: p.Values[name], Label: p.cat.T("field." + name), Error: p.Err(name),
	}
	if p.cat.Has("hint." + name) {
		f.Hint = p.cat.T("hint." + name)
	}
	return f
}

// addAgentErrors shows the account service's field errors on the page's
// fields (named with an "agent_" prefix); it returns false when err holds
// none.
func (p *page) addAgentErrors(err error, rename map[string]string) bool {
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	for _, f := range v.Fields {
		name := "agent_" + f.Field
		if r, ok := rename[f.Field]; ok {
			name = r
		}
		p.addError(name, f.Key, f.Args...)
	}
	return true
}

// agentToken returns the session token of the request's cookie.
func (s *Server) agentToken(r *http.Request) string {
	c, err := r.Cookie(s.cookieName(agentCookie))
	if err != nil {
		return ""
	}
	return c.Value
}

// setAgentSession gives the browser a session token: a session cookie
// (gone when the browser closes), HttpOnly, SameSite=Strict.
func (s *Server) setAgentSession(w http.ResponseWriter, token string) {
	s.setCookie(w, agentCookie, token, 0, http.SameSiteStrictMode)
}

// safeReturn keeps "retour" only when it is a back-office path of this site.
func safeReturn(v string) string {
	if strings.HasPrefix(v, "/agent/") && !strings.HasPrefix(v, "//") && !strings.ContainsAny(v, "\\\r\n") &&
		!strings.HasPrefix(v, "/agent/connexion") && !strings.HasPrefix(v, "/agent/deconnexion") {
		return v
	}
	return "/agent/"
}

// loginData is the data of the sign-in pages.
type loginData struct {
	Return   string
	Passkeys bool
}

func (h *agentAuthPages) loginPage(w http.ResponseWriter, r *http.Request, status int, p *page) error {
	p.Path = "/agent/connexion"
	return h.s.render(w, r, status, "agent_login", p)
}

func (h *agentAuthPages) loginForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.s.principal(r); err == nil {
		return redirect(w, r, safeReturn(r.URL.Query().Get("retour")))
	}
	p := h.s.newPage(r)
	p.Data = loginData{Return: safeReturn(r.URL.Query().Get("retour"))}
	if r.URL.Query().Get("fin") == "1" {
		p.Notice = "agent.login.signed_out"
	}
	return h.loginPage(w, r, http.StatusOK, p)
}

func (h *agentAuthPages) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.allowCode(r); err != nil {
		return err
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("agent login: %w: %w", guichet.ErrInvalid, err)
	}
	login := strings.TrimSpace(r.PostForm.Get("agent_login"))
	password := r.PostForm.Get("agent_password")
	ret := safeReturn(r.PostForm.Get("retour"))
	p := h.s.newPage(r)
	p.Values = map[string]string{"agent_login": login} // never the password
	p.Data = loginData{Return: ret}
	if bad != nil {
		p.setErrors(bad)
	}
	if login == "" {
		p.addError("agent_login", "err.required")
	}
	if password == "" {
		p.addError("agent_password", "err.required")
	}
	if len(p.Errors) > 0 {
		return h.loginPage(w, r, http.StatusUnprocessableEntity, p)
	}
	token, err := h.a.Login(r.Context(), login, password)
	if errors.Is(err, guichet.ErrUnauthenticated) {
		p.addError("agent_password", "agent.err.login_refused")
		return h.loginPage(w, r, http.StatusUnauthorized, p)
	}
	if err != nil {
		return err
	}
	h.s.setAgentSession(w, token)
	return redirect(w, r, "/agent/connexion/code?retour="+url.QueryEscape(ret))
}

func (h *agentAuthPages) codePage(w http.ResponseWriter, r *http.Request, status int, p *page, pa account.PreAuth, ret string) error {
	p.Path = "/agent/connexion/code"
	p.Data = loginData{Return: ret, Passkeys: pa.Passkeys > 0}
	return h.s.render(w, r, status, "agent_login_code", p)
}

func (h *agentAuthPages) codeForm(w http.ResponseWriter, r *http.Request) error {
	ret := safeReturn(r.URL.Query().Get("retour"))
	pa, err := h.a.PreAuth(r.Context(), h.s.agentToken(r))
	if errors.Is(err, guichet.ErrUnauthenticated) {
		return redirect(w, r, "/agent/connexion?retour="+url.QueryEscape(ret))
	}
	if err != nil {
		return err
	}
	return h.codePage(w, r, http.StatusOK, h.s.newPage(r), pa, ret)
}

func (h *agentAuthPages) codeSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.allowCode(r); err != nil {
		return err
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("agent code: %w: %w", guichet.ErrInvalid, err)
	}
	ret := safeReturn(r.PostForm.Get("retour"))
	token := h.s.agentToken(r)
	p := h.s.newPage(r)
	code := strings.TrimSpace(r.PostForm.Get("agent_code"))
	pa, err := h.a.PreAuth(r.Context(), token)
	if err == nil && (code == "" || bad != nil) {
		if bad != nil {
			p.setErrors(bad)
		} else {
			p.addError("agent_code", "err.required")
		}
		return h.codePage(w, r, http.StatusUnprocessableEntity, p, pa, ret)
	}
	var full string
	if err == nil {
		full, err = h.a.VerifyCode(r.Context(), token, code)
	}
	switch {
	case p.addAgentErrors(err, nil):
		return h.codePage(w, r, http.StatusUnauthorized, p, pa, ret)
	case errors.Is(err, guichet.ErrUnauthenticated):
		// The session ended (expired, or the account locked): start again,
		// with the one message every refusal shares.
		h.s.setCookie(w, agentCookie, "", -1, http.SameSiteStrictMode)
		p.addError("agent_password", "agent.err.login_refused")
		p.Data = loginData{Return: ret}
		return h.loginPage(w, r, http.StatusUnauthorized, p)
	case err != nil:
		return err
	}
	h.s.setAgentSession(w, full)
	return redirect(w, r, ret)
}

// writeJSON answers a passkey ceremony step.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// jsonError answers a failed ceremony step with problem details whose
// detail is a message the script shows (in the page's language); server
// faults go to fail, which answers the script with problem details too.
func (h *agentAuthPages) jsonError(w http.ResponseWriter, r *http.Request, err error) error {
	pt := problem.Of(err)
	if pt.Status >= 500 {
		return err
	}
	key := "agent.passkey.failed"
	if pt == problem.Unauthenticated {
		key = "agent.passkey.session_gone"
	}
	h.s.problems.Write(w, r, problem.Explain(err, key))
	return nil
}

func readCeremony(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("passkey: %w: %w", guichet.ErrInvalid, err)
	}
	return b, nil
}

func (h *agentAuthPages) passkeyLoginOptions(w http.ResponseWriter, r *http.Request) error {
	opts, err := h.a.BeginPasskeyLogin(r.Context(), h.s.agentToken(r))
	if err != nil {
		return h.jsonError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, json.RawMessage(opts))
}

func (h *agentAuthPages) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.allowCode(r); err != nil {
		return h.jsonError(w, r, err)
	}
	body, err := readCeremony(r)
	if err != nil {
		return h.jsonError(w, r, err)
	}
	full, err := h.a.FinishPasskeyLogin(r.Context(), h.s.agentToken(r), body)
	if err != nil {
		return h.jsonError(w, r, err)
	}
	h.s.setAgentSession(w, full)
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": safeReturn(r.URL.Query().Get("retour"))})
}

func (h *agentAuthPages) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.a.Logout(r.Context(), h.s.agentToken(r)); err != nil {
		return err
	}
	h.s.setCookie(w, agentCookie, "", -1, http.SameSiteStrictMode)
	return redirect(w, r, "/agent/connexion?fin=1")
}

func (h *agentAuthPages) logoutEverywhere(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	if _, err := h.a.LogoutEverywhere(r.Context(), p); err != nil {
		return err
	}
	h.s.setCookie(w, agentCookie, "", -1, http.SameSiteStrictMode)
	return redirect(w, r, "/agent/connexion?fin=1")
}

// enrolData is the data of the activation pages.
type enrolData struct {
	Token    string
	View     account.EnrolmentView
	Secret   string // grouped for typing
	Recovery []string
}

func (h *agentAuthPages) enrolPage(w http.ResponseWriter, r *http.Request, status int, p *page, token string) error {
	v, err := h.a.Enrolment(r.Context(), token)
	if err != nil {
		return err
	}
	p.Path = "/agent/activation/" + token
	p.Data = enrolData{Token: token, View: v, Secret: account.GroupSecret(v.Secret)}
	return h.s.render(w, r, status, "agent_enrol", p)
}

func (h *agentAuthPages) enrolForm(w http.ResponseWriter, r *http.Request) error {
	return h.enrolPage(w, r, http.StatusOK, h.s.newPage(r), r.PathValue("token"))
}

func (h *agentAuthPages) enrolSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.allowCode(r); err != nil {
		return err
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("agent activation: %w: %w", guichet.ErrInvalid, err)
	}
	token := r.PathValue("token")
	p := h.s.newPage(r)
	if bad != nil {
		p.setErrors(bad)
		return h.enrolPage(w, r, http.StatusUnprocessableEntity, p, token)
	}
	if r.PostForm.Get("step") == "password" {
		err := h.a.EnrolPassword(r.Context(), token, r.PostForm.Get("agent_new_password"), r.PostForm.Get("agent_password_confirm"))
		if p.addAgentErrors(err, map[string]string{"password": "agent_new_password"}) {
			return h.enrolPage(w, r, http.StatusUnprocessableEntity, p, token)
		}
		if err != nil {
			return err
		}
		return redirect(w, r, "/agent/activation/"+token)
	}
	codes, session, err := h.a.EnrolTOTP(r.Context(), token, r.PostForm.Get("agent_code"))
	if p.addAgentErrors(err, nil) {
		return h.enrolPage(w, r, http.StatusUnprocessableEntity, p, token)
	}
	if err != nil {
		return err
	}
	h.s.setAgentSession(w, session)
	p.Path = "/agent/"
	p.Data = enrolData{Recovery: codes}
	return h.s.render(w, r, http.StatusOK, "agent_enrol_done", p)
}

// enrolQR draws the otpauth:// address of the activation link as a PNG QR
// code, served from this origin (the CSP allows no other).
func (h *agentAuthPages) enrolQR(w http.ResponseWriter, r *http.Request) error {
	v, err := h.a.Enrolment(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	if v.NeedPassword {
		return errNotFound
	}
	code, err := qr.Encode(v.URI, qr.M)
	if err != nil {
		return fmt.Errorf("agent activation: qr: %w", err)
	}
	code.Scale = 6
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(code.PNG())
	return nil
}

// securityData is the data of the security page.
type securityData struct {
	View     account.SecurityView
	Passkeys []passkeyRow
	Recovery []string // new codes, shown once
}

type passkeyRow struct {
	account.Passkey
	Key string // base64url of the ID, for the remove form
}

func (h *agentAuthPages) securityPage(w http.ResponseWriter, r *http.Request, p account.Principal, recovery []string) error {
	v, err := h.a.Security(r.Context(), p)
	if err != nil {
		return err
	}
	pg := h.s.newPage(r)
	pg.Path = "/agent/securite"
	d := securityData{View: v, Recovery: recovery}
	for _, k := range v.Passkeys {
		d.Passkeys = append(d.Passkeys, passkeyRow{Passkey: k, Key: base64.RawURLEncoding.EncodeToString(k.ID)})
	}
	if r.URL.Query().Get("cle") == "1" {
		pg.Notice = "agent.security.passkey_added_notice"
	}
	pg.Data = d
	return h.s.render(w, r, http.StatusOK, "agent_security", pg)
}

func (h *agentAuthPages) security(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	return h.securityPage(w, r, p, nil)
}

func (h *agentAuthPages) regenerateCodes(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	codes, err := h.a.RegenerateRecoveryCodes(r.Context(), p)
	if err != nil {
		return err
	}
	return h.securityPage(w, r, p, codes)
}

func (h *agentAuthPages) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	opts, err := h.a.BeginPasskeyRegistration(r.Context(), p)
	if err != nil {
		return h.jsonError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, json.RawMessage(opts))
}

func (h *agentAuthPages) passkeyRegister(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	body, err := readCeremony(r)
	if err != nil {
		return h.jsonError(w, r, err)
	}
	name := r.URL.Query().Get("nom")
	if !isText(name) {
		return h.jsonError(w, r, fmt.Errorf("passkey name: %w", guichet.ErrInvalid))
	}
	if _, err := h.a.FinishPasskeyRegistration(r.Context(), p, name, body); err != nil {
		return h.jsonError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": "/agent/securite?cle=1"})
}

func (h *agentAuthPages) passkeyRemove(w http.ResponseWriter, r *http.Request, p account.Principal) error {
	id, err := base64.RawURLEncoding.DecodeString(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	if err := h.a.RemovePasskey(r.Context(), p, id); err != nil {
		return err
	}
	return redirect(w, r, "/agent/securite")
}
