package web

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

const (
	agentSecret   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	agentPassword = "correct horse battery"
)

// agentEnv is a web server with the real account service on SQLite.
type agentEnv struct {
	t     *testing.T
	srv   *httptest.Server
	acc   *account.Service
	clock *testClock
	unit  station.Unit
}

func newAgentEnv(t *testing.T) *agentEnv {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := evidence.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	clock := &testClock{t: start}
	ids := uuid7.New(clock.Now, rand.Reader)
	v, _ := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	codes, _ := caseref.NewHasher(bytes.Repeat([]byte{9}, 32))
	svc := complaint.New(complaint.DefaultConfig(), complaint.Deps{
		Store: st, Vault: v, Blobs: blobs, Sniff: evidence.Sniff, Codes: codes, Clock: clock, Rand: rand.Reader, IDs: ids,
	})
	acfg := account.DefaultConfig("https://guichet.test")
	acfg.Argon2 = account.Argon2{Memory: 64, Time: 1, Threads: 1} // fast tests
	acc, err := account.New(acfg, account.Deps{Store: st, Vault: v, Clock: clock, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	e := &agentEnv{t: t, acc: acc, clock: clock}
	e.unit = station.Unit{ID: ids.New(), Code: "CSP-LYON3", Name: "Commissariat de Lyon 3e", Kind: station.Commissariat}
	if err := st.CreateUnit(ctx, e.unit); err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}}, Deps{Complaints: svc, Agents: acc, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *agentEnv) seed(sn string) {
	e.t.Helper()
	if _, err := e.acc.Seed(e.t.Context(), account.Seeded{
		NewAgent: account.NewAgent{ServiceNumber: sn, Name: "Julie Moreau", UnitID: e.unit.ID, Role: account.RoleAgent},
		Password: agentPassword, TOTPSecret: agentSecret, Recovery: []string{"AAAAA-BBBBB"},
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *agentEnv) code() string {
	c, err := account.TOTPCode(agentSecret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e   *agentEnv
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *agentEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status   int
	body     string
	location string
	cookies  []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, header ...string) answer {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer r.Body.Close()
	raw, _ := io.ReadAll(r.Body)
	return answer{status: r.StatusCode, body: string(raw), location: r.Header.Get("Location"), cookies: r.Cookies()}
}

func (b *browser) session() string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == agentCookie {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setSession(tok string) {
	u, _ := url.Parse(b.e.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: agentCookie, Value: tok, Path: "/"}})
}

// signIn posts the password then the code and returns the final answer.
func (b *browser) signIn(sn string) answer {
	b.e.t.Helper()
	a := b.do("POST", "/agent/connexion", url.Values{"agent_login": {sn}, "agent_password": {agentPassword}, "retour": {"/agent/securite"}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/agent/connexion/code") {
		b.e.t.Fatalf("password step: %d %s", a.status, a.location)
	}
	a = b.do("POST", "/agent/connexion/code", url.Values{"agent_code": {b.e.code()}, "retour": {"/agent/securite"}})
	b.e.clock.Add(30 * time.Second)
	return a
}

func TestAgentSignInAndFixation(t *testing.T) {
	e := newAgentEnv(t)
	e.seed("AGT-1")
	b := e.browser()
	if a := b.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther || a.location != "/agent/connexion?retour=%2Fagent%2Fsecurite" {
		t.Fatalf("unauthenticated page: %d %s", a.status, a.location)
	}
	if a := b.do("GET", "/agent/connexion", nil); a.status != 200 || !strings.Contains(a.body, `autocomplete="current-password"`) {
		t.Fatalf("login page: %d", a.status)
	}

	a := b.do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1"}, "agent_password": {agentPassword}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("password: %d", a.status)
	}
	var c *http.Cookie
	for _, k := range a.cookies {
		if k.Name == agentCookie {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict", c)
	}
	pre := b.session()
	// The password-stage cookie opens no page.
	if a := b.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Fatalf("password stage reached a back-office page: %d", a.status)
	}
	a = b.do("POST", "/agent/connexion/code", url.Values{"agent_code": {"123456"}})
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "n&#39;est pas valide") || !strings.Contains(a.body, `aria-invalid="true"`) {
		t.Fatalf("wrong code: %d", a.status)
	}
	a = b.do("POST", "/agent/connexion/code", url.Values{"agent_code": {e.code()}, "retour": {"/agent/securite"}})
	if a.status != http.StatusSeeOther || a.location != "/agent/securite" {
		t.Fatalf("code: %d %s", a.status, a.location)
	}
	full := b.session()
	if full == pre || full == "" {
		t.Fatal("session token not renewed at sign-in")
	}
	a = b.do("GET", "/agent/securite", nil)
	if a.status != 200 || !strings.Contains(a.body, "Julie Moreau") || !strings.Contains(a.body, `action="/agent/deconnexion"`) {
		t.Fatalf("security page: %d", a.status)
	}
	// An attacker who planted or saw the pre-login token gets nothing.
	evil := e.browser()
	evil.setSession(pre)
	if a := evil.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Fatalf("pre-login token after sign-in: %d", a.status)
	}
	// Open redirects are refused.
	b2 := e.browser()
	b2.do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1"}, "agent_password": {agentPassword}})
	e.clock.Add(30 * time.Second)
	a = b2.do("POST", "/agent/connexion/code", url.Values{"agent_code": {e.code()}, "retour": {"//evil.example/agent/"}})
	if a.location != "/agent/" {
		t.Errorf("retour to another site: %s", a.location)
	}
}

func TestAgentLoginNoEnumeration(t *testing.T) {
	e := newAgentEnv(t)
	e.seed("AGT-1")
	b := e.browser()
	msg := regexp.MustCompile(`id="f-agent_password-error">.*?</p>`)
	var bodies []string
	post := func(sn, pw string) answer {
		return b.do("POST", "/agent/connexion", url.Values{"agent_login": {sn}, "agent_password": {pw}})
	}
	for range 5 {
		a := post("AGT-1", "wrong password!")
		if a.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", a.status)
		}
		bodies = append(bodies, msg.FindString(a.body))
	}
	locked := post("AGT-1", agentPassword) // right password, locked account
	unknown := post("NOBODY", agentPassword)
	for _, a := range []answer{locked, unknown} {
		if a.status != http.StatusUnauthorized {
			t.Fatalf("status %d", a.status)
		}
		bodies = append(bodies, msg.FindString(a.body))
	}
	for _, s := range bodies {
		if s == "" || s != bodies[0] {
			t.Fatalf("messages differ: %q", bodies)
		}
	}
}

func TestAgentLogoutAndCSRF(t *testing.T) {
	e := newAgentEnv(t)
	e.seed("AGT-1")
	b := e.browser()
	b.signIn("AGT-1")
	// Cross-origin posts are refused by the global protection.
	for _, p := range []string{"/agent/deconnexion", "/agent/deconnexion/partout", "/agent/connexion"} {
		a := b.do("POST", p, url.Values{"agent_login": {"AGT-1"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if a.status != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d, want 403", p, a.status)
		}
	}
	if a := b.do("GET", "/agent/securite", nil); a.status != 200 {
		t.Fatalf("session ended by a cross-origin post: %d", a.status)
	}
	a := b.do("POST", "/agent/deconnexion", url.Values{}, "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin")
	if a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	if a := b.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", a.status)
	}

	// Logout everywhere ends the other browser's session too.
	b1, b2 := e.browser(), e.browser()
	b1.signIn("AGT-1")
	b2.signIn("AGT-1")
	if a := b1.do("POST", "/agent/deconnexion/partout", url.Values{}); a.status != http.StatusSeeOther {
		t.Fatalf("logout everywhere: %d", a.status)
	}
	if a := b2.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Fatalf("other session after logout everywhere: %d", a.status)
	}

	// A disabled agent's session is refused at once.
	b3 := e.browser()
	b3.signIn("AGT-1")
	if err := e.acc.SetDisabled(t.Context(), "AGT-1", true); err != nil {
		t.Fatal(err)
	}
	if a := b3.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Fatalf("disabled agent: %d", a.status)
	}
}

func TestAgentActivation(t *testing.T) {
	e := newAgentEnv(t)
	_, token, err := e.acc.CreateAgent(t.Context(), account.NewAgent{ServiceNumber: "AGT-9", Name: "Léa Roux", UnitID: e.unit.ID, Role: account.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	path := account.EnrolmentPath(token)
	if a := b.do("GET", path, nil); a.status != 200 || !strings.Contains(a.body, `autocomplete="new-password"`) {
		t.Fatalf("activation page: %d", a.status)
	}
	a := b.do("POST", path, url.Values{"step": {"password"}, "agent_new_password": {"trop court"}, "agent_password_confirm": {"trop court"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "au moins 12 caractères") {
		t.Fatalf("short password: %d", a.status)
	}
	a = b.do("POST", path, url.Values{"step": {"password"}, "agent_new_password": {agentPassword}, "agent_password_confirm": {agentPassword}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("password: %d", a.status)
	}
	a = b.do("GET", path, nil)
	secret := regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7 ]+)<`).FindStringSubmatch(a.body)
	if a.status != 200 || secret == nil || !strings.Contains(a.body, path+"/qr.png") {
		t.Fatalf("QR step: %d", a.status)
	}
	if q := b.do("GET", path+"/qr.png", nil); q.status != 200 || !strings.HasPrefix(q.body, "\x89PNG") {
		t.Fatalf("QR image: %d", q.status)
	}
	code, _ := account.TOTPCode(strings.ReplaceAll(secret[1], " ", ""), e.clock.Now())
	a = b.do("POST", path, url.Values{"step": {"code"}, "agent_code": {code}})
	if a.status != 200 || strings.Count(a.body, "<li><code>") != account.RecoveryCodes {
		t.Fatalf("confirmation: %d, %d codes", a.status, strings.Count(a.body, "<li><code>"))
	}
	if a := b.do("GET", "/agent/securite", nil); a.status != 200 || !strings.Contains(a.body, "Léa Roux") {
		t.Fatalf("signed in after activation: %d", a.status)
	}
	if a := b.do("GET", path, nil); a.status != http.StatusNotFound {
		t.Fatalf("used link: %d", a.status)
	}
}

// sessionRows returns the rows of the security page's sessions table.
func sessionRows(t *testing.T, body string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table class="agent-table" id="sessions">.*?<tbody>(.*?)</tbody>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sessions table on the security page:\n%s", body)
	}
	return regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(m[1], -1)
}

func TestAgentSecurityListsSessions(t *testing.T) {
	e := newAgentEnv(t)
	e.seed("AGT-1")
	e.seed("AGT-2")
	paris, _ := time.LoadLocation("Europe/Paris")
	iso := func(t time.Time) string {
		return `datetime="` + strings.ReplaceAll(t.In(paris).Format(time.RFC3339), "+", "&#43;") + `"`
	}

	b1, b2, other := e.browser(), e.browser(), e.browser()
	first := e.clock.Now()
	b1.signIn("AGT-1")
	second := e.clock.Now()
	b2.signIn("AGT-1")
	other.signIn("AGT-2")
	// A sign-in stopped after the password is not a session yet.
	e.browser().do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1"}, "agent_password": {agentPassword}})

	a := b1.do("GET", "/agent/securite", nil)
	if a.status != 200 {
		t.Fatalf("security page: %d", a.status)
	}
	rows := sessionRows(t, a.body)
	if len(rows) != 2 {
		t.Fatalf("%d session rows, want AGT-1's two signed-in sessions:\n%s", len(rows), rows)
	}
	// Newest first; the older one is this browser's.
	if !strings.Contains(rows[0], iso(second)) || strings.Contains(rows[0], "cette session") {
		t.Errorf("first row is not b2's session (started %v): %s", second, rows[0])
	}
	if !strings.Contains(rows[1], iso(first)) || !strings.Contains(rows[1], "cette session") {
		t.Errorf("second row is not this session (started %v): %s", first, rows[1])
	}
	if strings.Contains(a.body, "127.0.0.1") {
		t.Error("the security page shows a network address")
	}
	if !strings.Contains(a.body, `action="/agent/deconnexion/partout"`) {
		t.Error("no log-out-everywhere form beside the sessions")
	}

	// b2 marks its own; in English too.
	a = b2.do("GET", "/agent/securite", nil, "Accept-Language", "en")
	rows = sessionRows(t, a.body)
	if len(rows) != 2 || !strings.Contains(rows[0], "this session") || strings.Contains(rows[1], "this session") {
		t.Errorf("b2's view: %s", rows)
	}

	// b2 idles past 30 minutes while b1 works: b1 sees one session, last
	// active now (this very request).
	e.clock.Add(20 * time.Minute)
	b1.do("GET", "/agent/securite", nil)
	other.do("GET", "/agent/securite", nil)
	e.clock.Add(15 * time.Minute)
	rows = sessionRows(t, b1.do("GET", "/agent/securite", nil).body)
	if len(rows) != 1 || !strings.Contains(rows[0], iso(first)) || !strings.Contains(rows[0], iso(e.clock.Now())) || !strings.Contains(rows[0], "cette session") {
		t.Errorf("after b2 went idle: %s", rows)
	}

	// Log out everywhere: b1 is signed out, and AGT-2 is not.
	if a := b1.do("POST", "/agent/deconnexion/partout", url.Values{}); a.status != http.StatusSeeOther {
		t.Fatalf("logout everywhere: %d", a.status)
	}
	if a := b1.do("GET", "/agent/securite", nil); a.status != http.StatusSeeOther {
		t.Errorf("b1 after logout everywhere: %d", a.status)
	}
	if a := other.do("GET", "/agent/securite", nil); a.status != 200 || len(sessionRows(t, a.body)) != 1 {
		t.Errorf("AGT-2 after AGT-1 logged out everywhere: %d", a.status)
	}
}
