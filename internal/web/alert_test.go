package web

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// alertEnv is env with the alert service wired in, as cmd/guichet does.
type alertEnv struct {
	*env
	alerts *alert.Service
}

var dispatcher = account.Principal{Pseudonym: "D1A7", Role: account.RoleDispatcher, UnitID: "u1"}

func newAlertEnv(t *testing.T, opts ...func(*Config)) *alertEnv {
	t.Helper()
	e := newEnv(t)
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	svc := alert.New(alert.Deps{Store: e.store, Vault: v, Clock: e.clock, Rand: rand.Reader, IDs: uuid7.New(e.clock.Now, rand.Reader)})
	cfg := Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32), RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}}
	for _, o := range opts {
		o(&cfg)
	}
	e.web, err = New(cfg, Deps{Complaints: e.svc, Logger: e.web.d.Logger, Clock: e.clock, Alerts: svc})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = httptest.NewServer(e.web.Handler())
	t.Cleanup(e.srv.Close)
	return &alertEnv{env: e, alerts: svc}
}

// api calls a JSON endpoint as the app's fetch does: same-origin, JSON.
func (c *client) api(method, path, key string, body any) resp {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(alertKeyHeader, key)
	}
	return c.do(req)
}

func raiseJSON(key string) map[string]any {
	return map[string]any{
		"type": "domestic_violence", "key": key, "lang": "fr",
		"position": map[string]any{"lat": 45.7578, "lon": 4.8320, "accuracy": 12, "battery": 0.4},
		"profile": map[string]any{"name": "Léa Martin", "phone": "+33612345678", "medical_notes": "asthme", "deaf": true,
			"contacts": []map[string]string{{"name": "Sam", "phone": "+33698765432"}}},
	}
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("%s: %v\n%s", r.Path, err, r.Body)
	}
	return v
}

func (a *alertEnv) openCount(t *testing.T) int {
	t.Helper()
	open, err := a.alerts.Open(t.Context(), dispatcher)
	if err != nil {
		t.Fatal(err)
	}
	return len(open)
}

const key1 = "Zk3Y-0123456789abcdefghij"

// raise raises an alert through the JSON endpoint and returns its ref.
func (a *alertEnv) raise(t *testing.T, c *client, key string) string {
	t.Helper()
	r := c.api("POST", "/alerte/api/alertes", "", raiseJSON(key)).must(t, 201)
	got := decode[raisedBody](t, r)
	if !got.Created || !strings.HasPrefix(got.Ref, "AL-") {
		t.Fatalf("raise: %+v", got)
	}
	return got.Ref
}

func TestAlertRaiseJSONOnce(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	// The answer was lost: the app sends the same alert again.
	r := c.api("POST", "/alerte/api/alertes", "", raiseJSON(key1)).must(t, 200)
	if got := decode[raisedBody](t, r); got.Created || got.Ref != ref {
		t.Fatalf("retry: %+v, want %s not created", got, ref)
	}
	if n := a.openCount(t); n != 1 {
		t.Fatalf("%d alerts open, want 1", n)
	}
	p, err := a.alerts.Profile(t.Context(), dispatcher, ref)
	if err != nil || p.Name != "Léa Martin" || !p.Deaf || len(p.Contacts) != 1 {
		t.Errorf("profile %+v, %v", p, err)
	}
	pos, _, err := a.alerts.Positions(t.Context(), dispatcher, ref, "")
	if err != nil || len(pos) != 1 || pos[0].Battery != 0.4 {
		t.Errorf("positions %+v, %v", pos, err)
	}
	// Refusals are problem details naming the fields.
	bad := raiseJSON("short")
	bad["type"] = "burglary"
	r = c.api("POST", "/alerte/api/alertes", "", bad).must(t, 422, `"field":"type"`, `"field":"key"`, "Choisissez ce qui se passe")
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q", ct)
	}
	c.api("POST", "/alerte/api/alertes", "", map[string]any{"type": "other", "key": key1, "extra": 1}).must(t, 400)
	for _, secret := range []string{"Léa", "Martin", "asthme", "+336", key1} {
		if strings.Contains(a.logs.String(), secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
}

func TestAlertStatusHonest(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	st := decode[statusBody](t, c.api("GET", "/alerte/api/alertes/"+ref, key1, nil).must(t, 200))
	if st.State != "raised" || st.AckAt != nil || strings.Contains(st.Text, "Reçue") || !strings.Contains(st.Text, "09:00:00") {
		t.Fatalf("before acknowledgement: %+v", st)
	}
	a.clock.Add(7 * time.Second)
	if err := a.alerts.Acknowledge(t.Context(), dispatcher, ref); err != nil {
		t.Fatal(err)
	}
	st = decode[statusBody](t, c.api("GET", "/alerte/api/alertes/"+ref, key1, nil).must(t, 200))
	if st.State != "acknowledged" || st.AckAt == nil || st.Text != "Reçue par la police à 09:00:07." {
		t.Fatalf("after acknowledgement: %+v", st)
	}
	if err := a.alerts.AssignUnit(t.Context(), dispatcher, ref, "PATROL-7"); err != nil {
		t.Fatal(err)
	}
	en := a.client("en")
	st = decode[statusBody](t, en.api("GET", "/alerte/api/alertes/"+ref, key1, nil).must(t, 200))
	if st.State != "dispatched" || !strings.Contains(st.Text, "A unit is on its way") || strings.Contains(r2s(st), "PATROL-7") {
		t.Fatalf("dispatched: %+v", st)
	}
}

func r2s(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestAlertChatAndPositions(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	base := "/alerte/api/alertes/" + ref
	c.api("POST", base+"/messages", key1, map[string]string{"quick": "cant_talk"}).must(t, 204)
	c.api("POST", base+"/messages", key1, map[string]string{"text": "🔪 arme"}).must(t, 204)
	c.api("POST", base+"/messages", key1, map[string]string{}).must(t, 422, "Écrivez un message")
	if err := a.alerts.Chat(t.Context(), dispatcher, ref, alert.Message{Quick: alert.QuickOnTheirWay, Text: "Restez caché·e."}); err != nil {
		t.Fatal(err)
	}
	st := decode[statusBody](t, c.api("GET", base, key1, nil).must(t, 200))
	if len(st.Messages) != 3 {
		t.Fatalf("messages %+v", st.Messages)
	}
	want := []chatLine{
		{From: "citizen", Quick: "cant_talk", Label: "Je ne peux pas parler", Picto: "🤫"},
		{From: "citizen", Text: "🔪 arme"},
		{From: "dispatcher", Quick: "on_their_way", Text: "Restez caché·e.", Label: "Les secours arrivent", Picto: "🚓"},
	}
	for i, m := range st.Messages {
		if m != want[i] {
			t.Errorf("message %d = %+v, want %+v", i, m, want[i])
		}
	}
	msgs, err := a.alerts.Messages(t.Context(), dispatcher, ref, "")
	if err != nil || len(msgs) != 3 || msgs[0].Quick != "cant_talk" {
		t.Errorf("dispatcher reads %+v, %v", msgs, err)
	}
	c.api("POST", base+"/positions", key1, alert.Position{Lat: 45.76, Lon: 4.84, Accuracy: 8, Battery: -1}).must(t, 204)
	c.api("POST", base+"/positions", key1, alert.Position{Lat: 145, Lon: 4.84, Accuracy: 8, Battery: -1}).must(t, 422)
	pos, _, err := a.alerts.Positions(t.Context(), dispatcher, ref, "")
	if err != nil || len(pos) != 2 || pos[1].Lat != 45.76 {
		t.Errorf("positions %+v, %v", pos, err)
	}
}

func TestAlertCloseByCitizen(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	base := "/alerte/api/alertes/" + ref
	c.api("POST", base+"/fin", key1, nil).must(t, 204)
	st := decode[statusBody](t, c.api("GET", base, key1, nil).must(t, 200))
	if !st.Closed || st.Outcome != "safe" || !strings.Contains(st.Text, "en sécurité") {
		t.Fatalf("closed: %+v", st)
	}
	c.api("POST", base+"/positions", key1, alert.Position{Lat: 45.76, Lon: 4.84, Accuracy: 8, Battery: -1}).must(t, 409)
	c.api("POST", base+"/fin", key1, nil).must(t, 409)
	if n := a.openCount(t); n != 0 {
		t.Errorf("%d alerts still open", n)
	}
}

func TestAlertOtherKeyNotFound(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	other := a.raise(t, c, "Other-key-0123456789abcd")
	base := "/alerte/api/alertes/" + ref
	for _, k := range []string{"Other-key-0123456789abcd", "", "Zk3Y-0123456789abcdefghiX"} {
		c.api("GET", base, k, nil).must(t, 404, "not-found")
		c.api("POST", base+"/messages", k, map[string]string{"text": "x"}).must(t, 404)
		c.api("POST", base+"/fin", k, nil).must(t, 404)
	}
	c.api("GET", "/alerte/api/alertes/AL-2026-0000-0000", key1, nil).must(t, 404)
	c.api("GET", "/alerte/api/alertes/"+other, key1, nil).must(t, 404)
	// The key is never taken from the query.
	c.api("GET", base+"?key="+key1, "", nil).must(t, 404)
}

func TestAlertCrossSiteRefused(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	b, _ := json.Marshal(raiseJSON(key1))
	req, _ := http.NewRequest("POST", a.srv.URL+"/alerte/api/alertes", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	c.do(req).must(t, 403)
	req, _ = http.NewRequest("POST", a.srv.URL+"/alerte/api/alertes", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	c.do(req).must(t, 403)
	// A form (the only body a cross-site page could send without CORS) is not JSON.
	c.post("/alerte/api/alertes", url.Values{"type": {"other"}, "key": {key1}}, "Sec-Fetch-Site", "same-origin").must(t, 400)
	if n := a.openCount(t); n != 0 {
		t.Errorf("%d alerts raised", n)
	}
}

func TestAlertRateLimit(t *testing.T) {
	a := newAlertEnv(t, func(c *Config) { c.AlertRateLimit = Limit{Rate: 0, Burst: 2} })
	c := a.client("fr")
	ref := a.raise(t, c, key1)
	a.raise(t, c, "Second-key-0123456789abc")
	r := c.api("POST", "/alerte/api/alertes", "", raiseJSON("Third-key-0123456789abcd")).must(t, 429, "rate-limited")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// A retry of an alert raised is never refused.
	r = c.api("POST", "/alerte/api/alertes", "", raiseJSON(key1)).must(t, 200)
	if got := decode[raisedBody](t, r); got.Ref != ref || got.Created {
		t.Errorf("retry %+v", got)
	}
	// The form without JavaScript is held back too, and says what to do.
	c.post("/alerte", url.Values{"lieu": {"12 rue de la Paix"}, "cle": {"Fourth-key-0123456789abc"}}).
		must(t, 429, "Trop d’alertes", "12 rue de la Paix", `href="tel:17"`)
	if n := a.openCount(t); n != 2 {
		t.Errorf("%d alerts, want 2", n)
	}
	// Chat and positions: bursts of 30 per alert, then 429; someone who
	// knows the reference but not the key does not wear them out.
	base := "/alerte/api/alertes/" + ref
	for range 40 {
		c.api("POST", base+"/messages", "Wrong-key-0123456789abcd", map[string]string{"quick": "yes"})
	}
	for i := range 30 {
		if r := c.api("POST", base+"/messages", key1, map[string]string{"quick": "yes"}); r.StatusCode != 204 {
			t.Fatalf("message %d: %d", i, r.StatusCode)
		}
	}
	c.api("POST", base+"/messages", key1, map[string]string{"quick": "yes"}).must(t, 429)
	a.clock.Add(2 * time.Second)
	c.api("POST", base+"/messages", key1, map[string]string{"quick": "no"}).must(t, 204)
	// Another client's address is not held back by the first one's alerts.
	limited := a.web.alertLim.ip
	if ok, _ := limited.allow("192.0.2.7"); !ok {
		t.Error("a fresh address refused")
	}
}

var plainKeyRE = regexp.MustCompile(`name="cle" value="([A-Za-z0-9_-]+)"`)

func TestAlertWithoutJavaScript(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("fr")
	c.get("/").must(t, 200, `href="/alerte"`)
	newEnv(t).client("fr").get("/").must(t, 200).lacks(t, `href="/alerte"`)
	r := c.get("/alerte").must(t, 200, `<form method="post" action="/alerte"`, `name="lieu"`, `name="telephone"`, `rel="manifest"`)
	key := regexp1(t, plainKeyRE.String(), r.Body)
	if len(key) < alert.MinKeyLen {
		t.Fatalf("key %q", key)
	}
	// Nothing said where: the form comes back with what was typed.
	r = c.post("/alerte", url.Values{"cle": {key}, "type": {"assault"}, "telephone": {"06 12 34 56 78"}}).
		must(t, 422, `class="error-summary"`, `href="#f-lieu"`, "Indiquez où vous êtes", `value="06 12 34 56 78"`, `value="assault" checked`, `data-open="1"`)
	if k := regexp1(t, plainKeyRE.String(), r.Body); k != key {
		t.Errorf("the key changed on the form's errors: %s", k)
	}
	form := url.Values{"cle": {key}, "type": {"assault"}, "telephone": {"06 12 34 56 78"}, "lieu": {"Gare Part-Dieu, quai B"}}
	r = c.post("/alerte", form).must(t, 200, `<meta http-equiv="refresh" content="10">`, "Envoyée à 09:00:00", "Pas encore de message")
	if r.Path != "/alerte/suivi" {
		t.Fatalf("landed on %s", r.Path)
	}
	ref := regexp1(t, `(AL-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`, r.Body)
	// Sent twice (a double tap, a reload): one alert.
	c.post("/alerte", form).must(t, 200)
	if n := a.openCount(t); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	p, err := a.alerts.Profile(t.Context(), dispatcher, ref)
	if err != nil || p.Address != "Gare Part-Dieu, quai B" || p.Phone != "06 12 34 56 78" {
		t.Errorf("profile %+v, %v", p, err)
	}
	// The key lives in a sealed cookie, not in clear.
	for _, ck := range c.http.Jar.Cookies(mustURL(t, a.srv.URL)) {
		if strings.Contains(ck.Value, key) || strings.Contains(ck.Value, ref) {
			t.Errorf("cookie %s holds the key or the reference", ck.Name)
		}
	}
	// Quick reply, pictogram and a typed message.
	c.post("/alerte/suivi/message", url.Values{"quick": {"hidden"}}).must(t, 200, "Message envoyé", "Je suis caché·e")
	c.post("/alerte/suivi/message", url.Values{"picto": {"🩸 blessé·e"}}).must(t, 200, "🩸 blessé·e")
	c.get("/alerte/suivi/ecrire").must(t, 200, `name="texte"`).lacks(t, `http-equiv="refresh"`)
	c.post("/alerte/suivi/message", url.Values{"texte": {""}}).must(t, 422, `class="error-summary"`, `href="#f-texte"`)
	c.post("/alerte/suivi/message", url.Values{"texte": {"Il est dans la cuisine"}}).must(t, 200, "Il est dans la cuisine")
	if err := a.alerts.Acknowledge(t.Context(), dispatcher, ref); err != nil {
		t.Fatal(err)
	}
	if err := a.alerts.Chat(t.Context(), dispatcher, ref, alert.Message{Text: "Nous arrivons."}); err != nil {
		t.Fatal(err)
	}
	c.get("/alerte/suivi").must(t, 200, "Reçue par la police à 09:00:00", "Opérateur", "Nous arrivons.")
	c.get("/alerte/suivi?auto=0").lacks(t, `http-equiv="refresh"`)
	r = c.post("/alerte/suivi/fin", url.Values{}).must(t, 200, "vous avez indiqué être en sécurité", `href="/alerte"`).lacks(t, `http-equiv="refresh"`)
	msgs, _ := a.alerts.Messages(t.Context(), dispatcher, ref, "")
	if len(msgs) != 4 {
		t.Errorf("%d messages, want 4", len(msgs))
	}
	// Another browser has no alert: it gets the form.
	if r := a.client("fr").get("/alerte/suivi"); r.Path != "/alerte" {
		t.Errorf("a stranger landed on %s", r.Path)
	}
	for _, secret := range []string{"Part-Dieu", "cuisine", "06 12", key} {
		if strings.Contains(a.logs.String(), secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
	for _, bad := range []string{"<style", " style=", "<script>", "onclick="} {
		if strings.Contains(c.get("/alerte").Body, bad) {
			t.Errorf("/alerte holds %q", bad)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAlertManifestAndServiceWorker(t *testing.T) {
	a := newAlertEnv(t)
	c := a.client("en")
	r := c.get("/alerte/manifest.webmanifest").must(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/manifest+json" {
		t.Errorf("manifest type %q", ct)
	}
	var m struct {
		Name       string `json:"name"`
		ShortName  string `json:"short_name"`
		StartURL   string `json:"start_url"`
		Scope      string `json:"scope"`
		Display    string `json:"display"`
		ThemeColor string `json:"theme_color"`
		Icons      []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatal(err)
	}
	if m.StartURL != "/alerte" || m.Scope != "/alerte" || m.Display != "standalone" || m.ThemeColor == "" || m.ShortName != "Alert" || len(m.Icons) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, ic := range m.Icons {
		ir := c.get(ic.Src).must(t, 200)
		if ct := ir.Header.Get("Content-Type"); !strings.HasPrefix(ct, ic.Type) {
			t.Errorf("%s: %s, want %s", ic.Src, ct, ic.Type)
		}
	}
	r = c.get("/alerte/sw.js").must(t, 200, "const SHELL = [", "addEventListener(\"fetch\"", "importScripts(QUEUE_SCRIPT)")
	if r.Header.Get("Service-Worker-Allowed") != "/alerte" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("worker headers %v", r.Header)
	}
	line := regexp1(t, `const SHELL = (\[.*\]);`, r.Body)
	var shell []string
	if err := json.Unmarshal([]byte(line), &shell); err != nil {
		t.Fatal(err)
	}
	if len(shell) != len(alertShell)+2 {
		t.Fatalf("shell %v", shell)
	}
	for _, u := range shell {
		if u != "/alerte" && u != "/alerte/manifest.webmanifest" && !strings.Contains(u, "?v=") {
			t.Errorf("shell URL %s not versioned", u)
		}
		c.get(u).must(t, 200)
	}
}
