package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/problem"
)

// The citizen side of silent alerts (issue 13): the PWA at /alerte.
//
// With JavaScript the page is an app (static/js/alert.js): hold to send,
// a queue in IndexedDB retried until the server answers, status, chat and
// positions through the JSON endpoints of alert_api.go, authenticated by
// the alert's reference and its key sent in a header. Without it the same
// page is a plain form (where, optional phone) posted here; the key is
// drawn by the server when it shows the form (so that a double submission
// raises one alert) and kept in a sealed, HttpOnly cookie; the status page
// refreshes itself and has a plain chat form.
//
// Nothing here logs or stores the client's address; the profile, address,
// positions and chat are sealed by the alert service.

const (
	alertCookie      = "alerte"
	alertCookieLabel = "guichet/alert-cookie/v1"
	// alertCookieFor is how long the browser without JavaScript keeps
	// its alert: as long as an open alert lives.
	alertCookieFor = 7 * 24 * time.Hour
	// alertRefresh is the status page's refresh, in seconds.
	alertRefresh = 10
)

func (s *Server) alertRoutes() {
	if s.d.Alerts == nil {
		return
	}
	s.alertLim = newAlertLimits(s.cfg.AlertRateLimit, s.d.Clock.Now)
	s.handle("GET /alerte", s.alertApp)
	s.handle("POST /alerte", s.alertPlainRaise)
	s.handle("GET /alerte/suivi", s.alertPlainStatus)
	s.handle("GET /alerte/suivi/ecrire", s.alertPlainWrite)
	s.handle("POST /alerte/suivi/message", s.alertPlainChat)
	s.handle("POST /alerte/suivi/fin", s.alertPlainClose)
	s.handle("GET /alerte/manifest.webmanifest", s.alertManifest)
	s.handle("GET /alerte/sw.js", s.alertServiceWorker)
	s.alertAPIRoutes()
}

// alertHeld is what the browser without JavaScript keeps of its alert.
type alertHeld struct {
	Ref string `json:"r"`
	Key string `json:"k"`
	At  int64  `json:"t"`
}

func (s *Server) heldAlert(r *http.Request) (alertHeld, bool) {
	var h alertHeld
	if !s.openSealed(r, alertCookie, alertCookieLabel, &h) || h.Ref == "" || h.Key == "" {
		return alertHeld{}, false
	}
	return h, true
}

// newAlertKey draws a key for the form without JavaScript: 192 bits.
func newAlertKey() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// alertQuick is a quick reply as offered: its code, label and pictogram.
type alertQuick struct {
	Code, Label, Picto string
}

// alertPicto is a pictogram sent as text, for those who cannot write.
type alertPicto struct {
	Symbol, Label string
}

// alertAppData is the data of the app page.
type alertAppData struct {
	Type      field
	Where     field
	Phone     field
	Key       string
	Quick     []alertQuick
	Pictos    []alertPicto
	Limited   string // why nothing was sent: too many alerts from here
	Manifest  string
	HoldMS    int
	CancelSec int
}

// Hold and cancel times of the app.
const (
	alertHoldMS    = 2000
	alertCancelSec = 5
)

// citizenQuick are the quick replies the citizen may send.
var citizenQuick = []string{alert.QuickCantTalk, alert.QuickNextToMe, alert.QuickHidden, alert.QuickYes, alert.QuickNo}

var quickPicto = map[string]string{
	alert.QuickCantTalk: "🤫", alert.QuickNextToMe: "👤", alert.QuickHidden: "🙈",
	alert.QuickYes: "✅", alert.QuickNo: "❌", alert.QuickOnTheirWay: "🚓",
}

// alertPictos are sent as text: the pictogram and its word.
var alertPictos = []struct{ symbol, key string }{
	{"🩸", "pwa.picto.injured"}, {"🔪", "pwa.picto.weapon"}, {"🚪", "pwa.picto.locked"},
	{"👶", "pwa.picto.child"}, {"🔥", "pwa.picto.fire"}, {"🚑", "pwa.picto.ambulance"},
}

func (s *Server) quickReplies(p *page) []alertQuick {
	out := make([]alertQuick, 0, len(citizenQuick))
	for _, q := range citizenQuick {
		out = append(out, alertQuick{Code: q, Label: p.cat.T("pwa.quick." + q), Picto: quickPicto[q]})
	}
	return out
}

func (s *Server) pictos(p *page) []alertPicto {
	out := make([]alertPicto, 0, len(alertPictos))
	for _, x := range alertPictos {
		out = append(out, alertPicto{Symbol: x.symbol, Label: p.cat.T(x.key)})
	}
	return out
}

// alertAppPage builds the app page with the values typed and verr's
// errors (both may be nil).
func (s *Server) alertAppPage(r *http.Request, values map[string]string, verr error) *page {
	p := s.newPage(r)
	p.Path = "/alerte"
	p.Values = values
	if p.Values == nil {
		p.Values = map[string]string{}
	}
	if verr != nil {
		p.setErrors(verr)
	}
	key := p.Values["cle"]
	if !validAlertKey(key) {
		key = newAlertKey()
	}
	d := alertAppData{Key: key, Quick: s.quickReplies(p), Pictos: s.pictos(p), HoldMS: alertHoldMS, CancelSec: alertCancelSec}
	d.Type = field{Name: "type", ID: fieldID("type"), Label: p.cat.T("pwa.field.type"), Value: p.Values["type"], Error: p.Err("type"), Optional: true}
	for i, t := range alert.Types {
		o := option{Value: string(t), ID: d.Type.ID, Label: p.cat.T("pwa.type." + string(t)), Checked: string(t) == d.Type.Value}
		if i > 0 {
			o.ID = d.Type.ID + "-" + string(t)
		}
		d.Type.Options = append(d.Type.Options, o)
	}
	d.Where = field{Name: "lieu", ID: fieldID("lieu"), Type: "textarea", Label: p.cat.T("pwa.field.lieu"), Hint: p.cat.T("pwa.hint.lieu"),
		Value: p.Values["lieu"], Error: p.Err("lieu")}
	d.Phone = field{Name: "telephone", ID: fieldID("telephone"), Type: "tel", Autocomplete: "tel", Label: p.cat.T("pwa.field.telephone"),
		Hint: p.cat.T("pwa.hint.telephone"), Value: p.Values["telephone"], Error: p.Err("telephone"), Optional: true}
	p.Data = &d
	return p
}

func validAlertKey(k string) bool {
	if len(k) < alert.MinKeyLen || len(k) > alert.MaxKeyLen {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// alertApp shows the app, which is also the form without JavaScript.
func (s *Server) alertApp(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "alert_app", s.alertAppPage(r, nil, nil))
}

// pwaErr renames the alert service's message keys into this page's
// catalogue ("alert.err.type" → "pwa.alert.err.type"), which keeps every
// key of the citizen's side under "pwa.".
func pwaErr(err error) error {
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	out := &guichet.ValidationError{}
	for _, f := range v.Fields {
		k := f.Key
		if !strings.HasPrefix(k, "pwa.") && !strings.HasPrefix(k, "err.") {
			k = "pwa." + k
		}
		out.Add(f.Field, k, f.Args...)
	}
	return out
}

// alertPlainRaise takes the form without JavaScript.
func (s *Server) alertPlainRaise(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("alert form: %w: %w", guichet.ErrInvalid, err)
	}
	values := map[string]string{}
	for _, k := range []string{"type", "lieu", "telephone", "cle"} {
		values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	if bad != nil {
		return s.render(w, r, http.StatusUnprocessableEntity, "alert_app", s.alertAppPage(r, values, bad))
	}
	v := &guichet.ValidationError{}
	typ := alert.Type(values["type"])
	if typ == "" {
		typ = alert.TypeOther
	}
	if values["lieu"] == "" {
		v.Add("lieu", "pwa.err.lieu_required")
	} else if utf8.RuneCountInString(values["lieu"]) > alert.MaxTextLen {
		v.Add("lieu", "pwa.err.too_long", alert.MaxTextLen)
	}
	if utf8.RuneCountInString(values["telephone"]) > 40 {
		v.Add("telephone", "pwa.err.phone")
	}
	if len(v.Fields) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "alert_app", s.alertAppPage(r, values, v))
	}
	key := values["cle"]
	if !validAlertKey(key) {
		key = newAlertKey()
	}
	if err := s.allowRaise(r, key, ""); err != nil {
		values["cle"] = key
		p := s.alertAppPage(r, values, nil)
		p.Data.(*alertAppData).Limited = p.cat.T("pwa.limited")
		problem.SetRetryAfter(w.Header(), problem.Of(err), err)
		return s.render(w, r, http.StatusTooManyRequests, "alert_app", p)
	}
	raised, err := s.d.Alerts.Raise(r.Context(), alert.RaiseInput{
		Type: typ, Key: key, Lang: chooseLang(r, s.matcher),
		Profile: alert.Profile{Address: values["lieu"], Phone: values["telephone"]},
	})
	if err != nil {
		values["cle"] = key
		if p := s.alertAppPage(r, values, pwaErr(err)); len(p.Errors) > 0 {
			return s.render(w, r, http.StatusUnprocessableEntity, "alert_app", p)
		}
		return err
	}
	s.alertLim.remember(key)
	s.setSealed(w, alertCookie, alertCookieLabel, alertHeld{Ref: raised.Ref, Key: key, At: s.now().Unix()}, alertCookieFor)
	return redirect(w, r, "/alerte/suivi")
}

// alertView is an alert as the citizen sees it: the honest state, never
// more than the server knows.
type alertView struct {
	Ref     string
	State   string // raised, acknowledged, dispatched, closed
	Text    string // the state in words
	SentAt  time.Time
	AckAt   time.Time
	Closed  bool
	Outcome string
	Chat    []chatLine
}

// chatLine is one message of the chat as the citizen reads it.
type chatLine struct {
	From  string `json:"from"` // "citizen" or "dispatcher"
	Text  string `json:"text,omitempty"`
	Quick string `json:"quick,omitempty"`
	Label string `json:"label,omitempty"` // the quick reply in the reader's language
	Picto string `json:"picto,omitempty"`
}

// clockSeconds is the time of day to the second, in Paris: "14:05:32".
func clockSeconds(t time.Time) string { return t.In(complaint.Paris).Format("15:04:05") }

// alertState words a's state for the citizen.
func alertState(c *catalogue, a alert.Alert) (state, text string) {
	switch {
	case a.Case.Status == alert.StatusClosed || a.Case.Status == alert.StatusExpired:
		o := string(a.Outcome)
		if o == "" {
			o = "expired"
		}
		return "closed", c.T("pwa.state.closed." + o)
	case a.Case.Status == alert.StatusDispatched:
		return "dispatched", c.T("pwa.state.dispatched", clockSeconds(a.AckAt))
	case !a.AckAt.IsZero() || a.Case.Status == alert.StatusAcknowledged:
		return "acknowledged", c.T("pwa.state.acknowledged", clockSeconds(a.AckAt))
	default:
		return "raised", c.T("pwa.state.raised", clockSeconds(a.Case.SubmittedAt))
	}
}

// alertViewOf reads alert ref for the holder of key, with its chat.
func (s *Server) alertViewOf(r *http.Request, c *catalogue, ref, key string) (*alertView, error) {
	a, err := s.d.Alerts.Status(r.Context(), ref, key)
	if err != nil {
		return nil, err
	}
	msgs, err := s.d.Alerts.Messages(r.Context(), alertNobody, ref, key)
	if err != nil {
		return nil, err
	}
	v := &alertView{Ref: a.Case.Ref, SentAt: a.Case.SubmittedAt, AckAt: a.AckAt, Outcome: string(a.Outcome)}
	v.State, v.Text = alertState(c, a)
	v.Closed = v.State == "closed"
	for _, m := range msgs {
		l := chatLine{From: "dispatcher", Text: m.Text, Quick: m.Quick}
		if m.From == string(casefile.ActorCitizen) {
			l.From = "citizen"
		}
		if m.Quick != "" {
			l.Label = c.T("pwa.quick." + m.Quick)
			l.Picto = quickPicto[m.Quick]
		}
		v.Chat = append(v.Chat, l)
	}
	return v, nil
}

// alertStatusData is the data of the status page without JavaScript.
type alertStatusData struct {
	Alert   *alertView
	Quick   []alertQuick
	Pictos  []alertPicto
	Refresh int // seconds; 0: no refresh
	Text    field
	Sent    bool // a message was just sent
}

func (s *Server) alertStatusPage(r *http.Request, held alertHeld) (*page, error) {
	p := s.newPage(r)
	v, err := s.alertViewOf(r, p.cat, held.Ref, held.Key)
	if err != nil {
		return nil, err
	}
	d := &alertStatusData{Alert: v, Quick: s.quickReplies(p), Pictos: s.pictos(p)}
	if !v.Closed && r.URL.Query().Get("auto") != "0" {
		d.Refresh = alertRefresh
	}
	d.Text = field{Name: "texte", ID: fieldID("texte"), Type: "textarea", Label: p.cat.T("pwa.field.texte"), Value: p.Values["texte"], Error: p.Err("texte")}
	p.Data = d
	return p, nil
}

// alertPlainStatus shows the alert of this browser without JavaScript.
func (s *Server) alertPlainStatus(w http.ResponseWriter, r *http.Request) error {
	held, ok := s.heldAlert(r)
	if !ok {
		return redirect(w, r, "/alerte")
	}
	p, err := s.alertStatusPage(r, held)
	if errors.Is(err, guichet.ErrNotFound) {
		s.setCookie(w, alertCookie, "", -1, http.SameSiteLaxMode)
		return redirect(w, r, "/alerte")
	}
	if err != nil {
		return err
	}
	p.Data.(*alertStatusData).Sent = r.URL.Query().Get("envoye") == "1"
	return s.render(w, r, http.StatusOK, "alert_status", p)
}

// alertPlainWrite is the chat form without JavaScript, on a page that
// does not refresh (a refresh would lose what is being typed).
func (s *Server) alertPlainWrite(w http.ResponseWriter, r *http.Request) error {
	held, ok := s.heldAlert(r)
	if !ok {
		return redirect(w, r, "/alerte")
	}
	p, err := s.alertStatusPage(r, held)
	if err != nil {
		return err
	}
	p.Data.(*alertStatusData).Refresh = 0
	return s.render(w, r, http.StatusOK, "alert_write", p)
}

// alertPlainChat sends a message (typed, a quick reply or a pictogram).
func (s *Server) alertPlainChat(w http.ResponseWriter, r *http.Request) error {
	held, ok := s.heldAlert(r)
	if !ok {
		return redirect(w, r, "/alerte")
	}
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("alert chat: %w: %w", guichet.ErrInvalid, err)
	}
	m := alert.Message{Text: strings.TrimSpace(r.PostForm.Get("texte")), Quick: r.PostForm.Get("quick")}
	if picto := r.PostForm.Get("picto"); picto != "" && m.Text == "" {
		m.Text = picto
	}
	if bad == nil {
		if err = s.allowUpdate(held.Ref, held.Key); err != nil {
			return err
		}
		err = s.d.Alerts.ChatFromCitizen(r.Context(), held.Ref, held.Key, m)
	} else {
		err = bad
	}
	if err != nil {
		var v *guichet.ValidationError
		if !errors.As(err, &v) {
			return err
		}
		p, perr := s.alertStatusPage(r, held)
		if perr != nil {
			return perr
		}
		p.Values = map[string]string{"texte": r.PostForm.Get("texte")}
		p.setErrors(pwaErr(err))
		if len(p.Errors) > 0 && p.Errors[0].Field != "texte" {
			// A quick reply refused: show it on the text field, which
			// is the form's one input.
			p.Errors[0].Field, p.Errors[0].ID = "texte", fieldID("texte")
		}
		d := p.Data.(*alertStatusData)
		d.Refresh = 0
		d.Text.Value, d.Text.Error = p.Values["texte"], p.Err("texte")
		return s.render(w, r, http.StatusUnprocessableEntity, "alert_write", p)
	}
	return redirect(w, r, "/alerte/suivi?envoye=1")
}

// alertPlainClose is "I am safe now" without JavaScript.
func (s *Server) alertPlainClose(w http.ResponseWriter, r *http.Request) error {
	held, ok := s.heldAlert(r)
	if !ok {
		return redirect(w, r, "/alerte")
	}
	err := s.d.Alerts.CloseByCitizen(r.Context(), held.Ref, held.Key)
	if err != nil && !errors.Is(err, guichet.ErrConflict) { // closed already: show it
		return err
	}
	return redirect(w, r, "/alerte/suivi")
}
