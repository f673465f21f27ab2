package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
)

// The PWA's JSON endpoints under /alerte/api/. Errors are RFC 9457
// problem details whatever the Accept header.
//
// The citizen is authenticated by the alert's reference (in the path) and
// its key, sent in the X-Alerte-Cle header (or, to raise, in the body):
// never in a URL, which request logs, proxies and the browser's history
// keep. A wrong key, an unknown reference and a stranger's alert all
// answer 404 alike.
//
// Cross-site requests are refused by the server's CrossOriginProtection
// like every POST: the app's fetches are same-origin, so browsers mark
// them Sec-Fetch-Site: same-origin (or send a matching Origin) and pass.
// The POSTs also require a JSON body (Content-Type application/json),
// which no cross-site HTML form can send.
//
//	POST /alerte/api/alertes                 {type, key, position?, profile?, device?, lang?} → 201 {ref, created: true} | 200 {ref, created: false}
//	GET  /alerte/api/alertes/{ref}           → {ref, state, text, sent_at, ack_at?, closed, outcome?, messages}
//	POST /alerte/api/alertes/{ref}/messages  {text?, quick?} → 204
//	POST /alerte/api/alertes/{ref}/positions {lat, lon, accuracy, battery} → 204
//	POST /alerte/api/alertes/{ref}/fin       → 204 ("I am safe now")

// alertKeyHeader carries the alert's key.
const alertKeyHeader = "X-Alerte-Cle"

// alertMaxJSON bounds an API body: a profile is at most a few KiB.
const alertMaxJSON = 32 << 10

// alertNobody is the principal passed for citizen calls, which take a key.
var alertNobody = account.Principal{}

func (s *Server) alertAPIRoutes() {
	s.apiHandle("POST /alerte/api/alertes", s.apiRaise)
	s.apiHandle("GET /alerte/api/alertes/{ref}", s.apiStatus)
	s.apiHandle("POST /alerte/api/alertes/{ref}/messages", s.apiChat)
	s.apiHandle("POST /alerte/api/alertes/{ref}/positions", s.apiPosition)
	s.apiHandle("POST /alerte/api/alertes/{ref}/fin", s.apiClose)
}

// apiHandle registers a JSON handler: its error is always answered as
// problem details.
func (s *Server) apiHandle(pattern string, h handlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.route = pattern
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, alertMaxJSON)
		}
		if err := h(w, r); err != nil {
			s.problems.Write(w, r, pwaErr(err))
		}
	}))
}

// decodeJSON reads r's JSON body into v: one object, no unknown members.
func decodeJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("alert api: body is not JSON: %w", guichet.ErrInvalid)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fmt.Errorf("alert api: %w: %w", guichet.ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("alert api: trailing data: %w", guichet.ErrInvalid)
	}
	return nil
}

func alertJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// raiseBody is an alert as the app posts it.
type raiseBody struct {
	Type     alert.Type      `json:"type"`
	Key      string          `json:"key"`
	Position *alert.Position `json:"position"`
	Profile  alert.Profile   `json:"profile"`
	Device   string          `json:"device"`
	Lang     string          `json:"lang"`
}

type raisedBody struct {
	Ref     string `json:"ref"`
	Created bool   `json:"created"`
}

func (s *Server) apiRaise(w http.ResponseWriter, r *http.Request) error {
	var b raiseBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if b.Device != "" && !validAlertKey(b.Device) {
		v := &guichet.ValidationError{}
		v.Add("device", "pwa.err.device")
		return v
	}
	in := alert.RaiseInput{Type: b.Type, Key: b.Key, Position: b.Position, Profile: b.Profile, DeviceToken: b.Device, Lang: b.Lang}
	if in.Lang != "fr" && in.Lang != "en" {
		in.Lang = chooseLang(r, s.matcher)
	}
	if v := alert.ValidateRaise(&in); v != nil {
		return v
	}
	if err := s.allowRaise(r, b.Key, b.Device); err != nil {
		return err
	}
	raised, err := s.d.Alerts.Raise(r.Context(), in)
	if err != nil {
		return err
	}
	s.alertLim.remember(b.Key)
	status := http.StatusOK
	if raised.Created {
		status = http.StatusCreated
	}
	return alertJSON(w, status, raisedBody{Ref: raised.Ref, Created: raised.Created})
}

// statusBody is the honest state of an alert as the app shows it.
type statusBody struct {
	Ref      string     `json:"ref"`
	State    string     `json:"state"`
	Text     string     `json:"text"`
	SentAt   time.Time  `json:"sent_at"`
	AckAt    *time.Time `json:"ack_at,omitempty"`
	Closed   bool       `json:"closed"`
	Outcome  string     `json:"outcome,omitempty"`
	Messages []chatLine `json:"messages"`
}

// citizenKey returns the request's alert key; a missing one is a
// stranger, 404 like a wrong one.
func citizenKey(r *http.Request) (string, error) {
	k := r.Header.Get(alertKeyHeader)
	if k == "" {
		return "", fmt.Errorf("alert: no key: %w", guichet.ErrNotFound)
	}
	return k, nil
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) error {
	key, err := citizenKey(r)
	if err != nil {
		return err
	}
	v, err := s.alertViewOf(r, s.cats[chooseLang(r, s.matcher)], r.PathValue("ref"), key)
	if err != nil {
		return err
	}
	b := statusBody{Ref: v.Ref, State: v.State, Text: v.Text, SentAt: v.SentAt, Closed: v.Closed, Outcome: v.Outcome, Messages: v.Chat}
	if b.Messages == nil {
		b.Messages = []chatLine{}
	}
	if !v.AckAt.IsZero() {
		b.AckAt = &v.AckAt
	}
	return alertJSON(w, http.StatusOK, b)
}

type chatBody struct {
	Text  string `json:"text"`
	Quick string `json:"quick"`
}

func (s *Server) apiChat(w http.ResponseWriter, r *http.Request) error {
	key, err := citizenKey(r)
	if err != nil {
		return err
	}
	var b chatBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if err := s.allowUpdate(ref, key); err != nil {
		return err
	}
	if err := s.d.Alerts.ChatFromCitizen(r.Context(), ref, key, alert.Message{Text: b.Text, Quick: b.Quick}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiPosition(w http.ResponseWriter, r *http.Request) error {
	key, err := citizenKey(r)
	if err != nil {
		return err
	}
	var pos alert.Position
	if err := decodeJSON(r, &pos); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	if err := s.allowUpdate(ref, key); err != nil {
		return err
	}
	if err := s.d.Alerts.AddPosition(r.Context(), ref, key, pos); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiClose(w http.ResponseWriter, r *http.Request) error {
	key, err := citizenKey(r)
	if err != nil {
		return err
	}
	if err := s.d.Alerts.CloseByCitizen(r.Context(), r.PathValue("ref"), key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
