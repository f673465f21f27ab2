package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/caseref"
)

// Cookies. With TLS they carry the __Host- prefix, which binds them to
// this host, Secure and Path=/.
const (
	draftCookie  = "brouillon" // the draft code of the pre-complaint being written
	accessCookie = "suivi"     // signed proof the citizen opened one case
)

// accessTTL is how long a case stays open after the tracking code (or the
// submission) proved the citizen's right to it.
const accessTTL = time.Hour

func (s *Server) cookieName(base string) string {
	if s.cfg.Secure {
		return "__Host-" + base
	}
	return base
}

// setCookie sets a cookie with the server's defaults: Path=/, HttpOnly,
// Secure under TLS. maxAge 0 makes a session cookie, negative deletes.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int, same http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: same,
	})
}

// draftCode returns the draft code of the request's cookie, if any.
func (s *Server) draftCode(r *http.Request) (caseref.Code, bool) {
	c, err := r.Cookie(s.cookieName(draftCookie))
	if err != nil {
		return "", false
	}
	code, err := caseref.ParseCode(c.Value)
	return code, err == nil
}

// setDraft keeps the draft code for this browser session. It is a session
// cookie so that a shared computer forgets it; the citizen notes the code
// to resume elsewhere.
func (s *Server) setDraft(w http.ResponseWriter, code caseref.Code) {
	s.setCookie(w, draftCookie, string(code), 0, http.SameSiteLaxMode)
}

func (s *Server) clearDraft(w http.ResponseWriter) {
	s.setCookie(w, draftCookie, "", -1, http.SameSiteLaxMode)
}

// accessMAC is HMAC-SHA-256 over the purpose, the reference and the expiry.
func (s *Server) accessMAC(ref string, exp int64) []byte {
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte("guichet/case-access/v1\x00"))
	m.Write([]byte(ref))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// grantAccess lets this browser open the case ref for accessTTL. ref MUST
// be canonical (caseref.Ref.String).
func (s *Server) grantAccess(w http.ResponseWriter, ref string) {
	exp := s.now().Add(accessTTL).Unix()
	v := ref + "." + strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString(s.accessMAC(ref, exp))
	s.setCookie(w, accessCookie, v, int(accessTTL/time.Second), http.SameSiteStrictMode)
}

func (s *Server) revokeAccess(w http.ResponseWriter) {
	s.setCookie(w, accessCookie, "", -1, http.SameSiteStrictMode)
}

// hasAccess reports whether the request carries a valid, unexpired access
// cookie for exactly the case ref (canonical).
func (s *Server) hasAccess(r *http.Request, ref string) bool {
	c, err := r.Cookie(s.cookieName(accessCookie))
	if err != nil {
		return false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || parts[0] != ref {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	return err == nil && hmac.Equal(mac, s.accessMAC(ref, exp))
}
