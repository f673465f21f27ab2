package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

// After a submission the browser keeps a sealed cookie saying what was
// sent, so that the confirmation survives a reload or a return from
// another app: a victim who switches to a notes app to write the code
// down comes back to it, not to "no pre-complaint found".
const (
	sentCookie = "envoi"
	// codeShownFor is how long the confirmation shows the tracking code
	// again; after it, the page still says that the pre-complaint was
	// sent, under which reference, and how to follow it.
	codeShownFor = 30 * time.Minute
	// sentKept is how long this browser remembers that it sent one.
	sentKept = 12 * time.Hour
)

// sentProof is the sealed content of the cookie.
type sentProof struct {
	Ref  string `json:"r"`
	Code string `json:"c,omitempty"` // dropped once codeShownFor has passed
	At   int64  `json:"t"`           // Unix seconds of the submission
}

// sentLabel derives the key of the confirmation cookie.
const sentLabel = "guichet/sent-cookie/v1"

func (s *Server) setSent(w http.ResponseWriter, p sentProof) {
	left := time.Unix(p.At, 0).Add(sentKept).Sub(s.now())
	if left <= 0 {
		s.clearSent(w)
		return
	}
	s.setSealed(w, sentCookie, sentLabel, p, left)
}

func (s *Server) clearSent(w http.ResponseWriter) {
	s.setCookie(w, sentCookie, "", -1, http.SameSiteLaxMode)
}

// sent opens the request's cookie. A missing, tampered, malformed or
// stale cookie is absent; past codeShownFor the code is dropped.
func (s *Server) sent(r *http.Request) (sentProof, bool) {
	var p sentProof
	if !s.openSealed(r, sentCookie, sentLabel, &p) {
		return sentProof{}, false
	}
	at := time.Unix(p.At, 0)
	now := s.now()
	if _, err := caseref.Parse(p.Ref); err != nil || now.Sub(at) >= sentKept || at.After(now.Add(time.Minute)) {
		return sentProof{}, false
	}
	if now.Sub(at) >= codeShownFor {
		p.Code = ""
	}
	return p, true
}

// sealedAEAD is AES-256-GCM under a key of its own for label, derived
// from the cookie key: such a cookie is encrypted (a code in it never
// sits in clear in the browser's cookie store) and authenticated.
func (s *Server) sealedAEAD(label string) cipher.AEAD {
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte(label))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key never fails
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// setSealed sets cookie name to v, JSON encoded and sealed under label,
// HttpOnly and SameSite=Lax, for maxAge.
func (s *Server) setSealed(w http.ResponseWriter, name, label string, v any, maxAge time.Duration) {
	b, _ := json.Marshal(v)
	aead := s.sealedAEAD(label)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, b, []byte(s.cookieName(name)))
	s.setCookie(w, name, base64.RawURLEncoding.EncodeToString(sealed), int(maxAge/time.Second), http.SameSiteLaxMode)
}

// openSealed opens cookie name sealed under label into v; false when it is
// missing, tampered or malformed.
func (s *Server) openSealed(r *http.Request, name, label string, v any) bool {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	aead := s.sealedAEAD(label)
	if err != nil || len(raw) < aead.NonceSize() {
		return false
	}
	b, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(s.cookieName(name)))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// confirmationPage shows what was sent from this browser: the reference,
// the tracking code for codeShownFor, the appointment. Without the
// cookie, the resume page says what can be done.
func (s *Server) confirmationPage(w http.ResponseWriter, r *http.Request) error {
	proof, ok := s.sent(r)
	if !ok {
		return redirect(w, r, "/preplainte/reprendre?absent=1")
	}
	view, err := s.d.Complaints.View(r.Context(), proof.Ref)
	if errors.Is(err, guichet.ErrNotFound) {
		s.clearSent(w)
		return redirect(w, r, "/suivi")
	}
	if err != nil {
		return err
	}
	if proof.Code != "" {
		// A code an agent has replaced since no longer opens the case:
		// showing it would mislead.
		if _, err := s.d.Complaints.Authenticate(r.Context(), proof.Ref, proof.Code); errors.Is(err, guichet.ErrUnauthenticated) {
			proof.Code = ""
		} else if err != nil {
			return err
		}
	}
	if proof.Code == "" {
		// Re-seal without the code: it leaves the browser's cookie store.
		s.setSent(w, proof)
	}
	s.grantAccess(w, proof.Ref)
	p := s.newPage(r)
	// Switching language shows this page again in the other language.
	d := confirmationData{
		Ref: proof.Ref, TrackingCode: proof.Code, View: view, PDF: s.d.Receipt != nil,
		CodeUntil: time.Unix(proof.At, 0).Add(codeShownFor),
	}
	if s.d.SendCode != nil && proof.Code != "" && view.Form != nil && strings.TrimSpace(view.Form.Email) != "" {
		d.Mail = &codeMail{Sent: complaint.CodeEmailed(view.Events)}
		if done := r.URL.Query().Get("courriel"); mailOutcomes[done] {
			d.Mail.Done = done
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "confirmation", p)
}

// emailCode sends the tracking code this browser's confirmation shows to
// the address the citizen left, once a case, then shows the confirmation
// again with what came of it beside the button.
func (s *Server) emailCode(w http.ResponseWriter, r *http.Request) error {
	if s.d.SendCode == nil {
		return errNotFound
	}
	proof, ok := s.sent(r)
	if !ok || proof.Code == "" {
		// Nothing to send from here: the page says what is true now.
		return redirect(w, r, "/preplainte/envoyee")
	}
	code, err := caseref.ParseCode(proof.Code)
	if err != nil {
		return redirect(w, r, "/preplainte/envoyee")
	}
	done := "envoye"
	switch err := s.d.Complaints.EmailCode(r.Context(), proof.Ref, code, s.d.SendCode); {
	case errors.Is(err, complaint.ErrCodeEmailed):
		done = "deja"
	case errors.Is(err, guichet.ErrUnavailable):
		done = "echec"
	case errors.Is(err, guichet.ErrNotFound), errors.Is(err, guichet.ErrUnauthenticated):
		// No address left, the case erased, or the code replaced.
		return redirect(w, r, "/preplainte/envoyee")
	case err != nil:
		return err
	}
	return redirect(w, r, "/preplainte/envoyee?courriel="+done+"#courriel")
}

// forgetSent removes what this browser remembers of the sending (the
// confirmation and the case's access), for a shared device.
func (s *Server) forgetSent(w http.ResponseWriter, r *http.Request) error {
	s.clearSent(w)
	s.setCookie(w, accessCookie, "", -1, http.SameSiteStrictMode)
	return redirect(w, r, "/")
}
