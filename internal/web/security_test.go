package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, func(c *Config, _ *complaint.Config) { c.Secure = secure })
		for _, path := range []string{"/", "/preplainte", "/nulle-part", "/static/css/site.css", "/healthz"} {
			r := e.client("fr").get(path)
			h := r.Header
			want := map[string]string{
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("secure=%v %s: %s = %q, want %q", secure, path, k, got, v)
				}
			}
			if !strings.Contains(h.Get("Permissions-Policy"), "camera=()") {
				t.Errorf("%s: Permissions-Policy %q", path, h.Get("Permissions-Policy"))
			}
			if hsts := h.Get("Strict-Transport-Security"); (hsts != "") != secure {
				t.Errorf("secure=%v %s: HSTS %q", secure, path, hsts)
			}
		}
	}
}

// TestNoInlineScriptOrStyle keeps pages within the CSP: no <style>, no
// style attribute, no inline script or event handler.
func TestNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	ref, _ := c.submit()
	for _, path := range []string{"/", "/preplainte", "/suivi", "/suivi/" + ref, "/commissariats", "/absent"} {
		body := c.get(path).Body
		for _, bad := range []string{"<style", " style=", "<script>", "onclick=", "onload=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
	}
}

func TestSecureCookies(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *complaint.Config) { c.Secure = true })
	req := httptest.NewRequest(http.MethodPost, "/preplainte", strings.NewReader(answers().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(w, req)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	k := cookies[0]
	if k.Name != "__Host-brouillon" || !k.Secure || !k.HttpOnly || k.SameSite != http.SameSiteLaxMode || k.Path != "/" || k.MaxAge != 0 {
		t.Errorf("draft cookie %+v", k)
	}
}

// TestCrossOriginPostRefused: forms posted from another site are refused.
func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	} {
		r := c.post("/preplainte", answers(), h...).must(t, http.StatusForbidden, "Action refusée", `<html lang="fr">`)
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("%v: a cookie was set", h)
		}
	}
	c.post("/preplainte", answers(), "Sec-Fetch-Site", "same-origin").must(t, 200)
	c.post("/preplainte", answers(), "Origin", e.srv.URL).must(t, 200)
	// The public address is trusted too (behind a proxy rewriting Host).
	c.post("/preplainte", answers(), "Origin", "https://guichet.test", "Sec-Fetch-Site", "cross-site").must(t, 200)
}

// TestStatusNeedsAccessToThatCase: the access cookie of case A never
// opens case B (IDOR), nor does a forged one.
func TestStatusNeedsAccessToThatCase(t *testing.T) {
	e := newEnv(t)
	a, b := e.client("fr"), e.client("fr")
	refA, _ := a.submit()
	refB, _ := b.submit()
	a.get("/suivi/"+refA).must(t, 200, refA)
	na := a.noRedirect()
	for _, p := range []string{"/suivi/" + refB, "/suivi/" + refB + "/recu", "/suivi/" + refB + "/recu.pdf", "/suivi/" + refB + "/recu.json", "/suivi/" + refB + "/rendez-vous/annuler"} {
		r := na.get(p).must(t, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/suivi?ref="+refB {
			t.Errorf("GET %s: Location %q", p, loc)
		}
	}
	for _, p := range []string{"/suivi/" + refB + "/rendez-vous/annuler", "/suivi/" + refB + "/rendez-vous", "/suivi/" + refB + "/preuve"} {
		na.post(p, url.Values{"slot_id": {"x"}}).must(t, http.StatusSeeOther)
	}
	v, err := e.svc.View(t.Context(), refB)
	if err != nil || v.Appointment == nil {
		t.Fatalf("case B changed through A's cookie: %v %+v", err, v)
	}

	// A cookie naming B but signed for A, or expired, is refused.
	exp := e.clock.Now().Add(time.Hour).Unix()
	forge := func(ref string, exp int64, mac []byte) *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/suivi/"+refB, nil)
		req.AddCookie(&http.Cookie{Name: accessCookie, Value: ref + "." + itoa(exp) + "." + b64(mac)})
		return req
	}
	for name, req := range map[string]*http.Request{
		"mac of A":    forge(refB, exp, e.web.accessMAC(refA, exp)),
		"no mac":      forge(refB, exp, nil),
		"expired":     forge(refB, e.clock.Now().Unix()-1, e.web.accessMAC(refB, e.clock.Now().Unix()-1)),
		"other field": forge(refB, exp+1, e.web.accessMAC(refB, exp)),
	} {
		if e.web.hasAccess(req, refB) {
			t.Errorf("%s: access granted", name)
		}
	}
	if !e.web.hasAccess(forge(refB, exp, e.web.accessMAC(refB, exp)), refB) {
		t.Error("a good cookie is refused")
	}
	// Access lapses after an hour.
	e.clock.Add(accessTTL + time.Second)
	if r := a.get("/suivi/" + refA); r.Path != "/suivi?ref="+refA {
		t.Errorf("access still open after its lifetime: %s", r.Path)
	}
}

// TestTrackingCode: wrong codes and unknown references read the same;
// typing mistakes in a reference are caught and said; wrong codes never
// lock the reference.
func TestTrackingCode(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	ref, code := c.submit()
	o := e.client("fr")
	const wrong = "La référence ou le code de suivi est incorrect."
	o.post("/suivi", url.Values{"ref": {ref}, "code": {"AAAA-BBBB-CCCC-DDDD"}}).must(t, http.StatusUnauthorized, wrong, `value="`+ref+`"`).lacks(t, "AAAA-BBBB-CCCC-DDDD")
	// An unknown but well-formed reference.
	other := "PP-2026-0000-0000"
	for i := 0; i < 32; i++ { // find the check symbol
		cand := other[:len(other)-1] + string(alphabetForTest[i])
		if o.post("/suivi", url.Values{"ref": {cand}, "code": {code}}).StatusCode == http.StatusUnauthorized {
			other = cand
			break
		}
	}
	o.post("/suivi", url.Values{"ref": {other}, "code": {code}}).must(t, http.StatusUnauthorized, wrong)
	// A typing mistake: one symbol changed.
	typo := []byte(ref)
	if typo[8] == 'A' {
		typo[8] = 'B'
	} else {
		typo[8] = 'A'
	}
	o.post("/suivi", url.Values{"ref": {string(typo)}, "code": {code}}).must(t, http.StatusUnprocessableEntity, "faute de frappe", "PP-2026-XXXX-XXXX")
	o.post("/suivi", url.Values{"ref": {"12345"}, "code": {code}}).must(t, http.StatusUnprocessableEntity, "Vérifiez la référence\u202f: elle a la forme PP-2026-XXXX-XXXX.")
	// Lower case, spaces: forgiven; the status page opens.
	o.post("/suivi", url.Values{"ref": {strings.ToLower(ref)}, "code": {strings.ReplaceAll(code, "-", " ")}}).must(t, 200, "Dossier "+ref)

	// Many wrong codes do not lock the reference: the right code opens it.
	for i := 0; i < 20; i++ {
		o.post("/suivi", url.Values{"ref": {ref}, "code": {"AAAA-BBBB-CCCC-DDDD"}}).must(t, http.StatusUnauthorized, wrong)
	}
	e.client("fr").post("/suivi", url.Values{"ref": {ref}, "code": {code}}).must(t, 200, "Dossier "+ref)
	if strings.Contains(e.logs.String(), code) {
		t.Error("a tracking code reached the logs")
	}
}

const alphabetForTest = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// TestTrackingCodeAttempts: with the per-client limit on, refused
// attempts at a reference that exists and at one that does not get the
// same answers, one for one (status, page, headers), up to and past the
// limit, whose Retry-After says the time really left; and the citizen's
// right code still opens the case, from any address, even from the one
// that made all the wrong attempts. Nothing is written onto the case.
func TestTrackingCodeAttempts(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *complaint.Config) {
		c.CodeRateLimit = Limit{Rate: 10.0 / 60, Burst: 10} // the default
		c.ClientIPHeader = "X-Real-IP"
	})
	ref, code := e.client("fr").submit()
	missing := ref
	for missing == ref {
		r, err := caseref.New(caseref.PreComplaint, 2026, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		missing = r.String()
	}
	before, err := e.svc.View(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	// An answer with what depends on the typed reference (its echo in the
	// form) and on the moment (Date) taken out.
	answer := func(r resp, typed string) string {
		h := r.Header.Clone()
		h.Del("Date")
		var b strings.Builder
		h.Write(&b)
		return strconv.Itoa(r.StatusCode) + "\n" + b.String() + "\n" + strings.ReplaceAll(r.Body, typed, "REF")
	}
	try := func(addr, typed, code string) resp {
		return e.client("fr").post("/suivi", url.Values{"ref": {typed}, "code": {code}}, "X-Real-IP", addr)
	}
	wrongs := []string{"AAAA-BBBB-CCCC-DDDD", "not a code", "", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}
	var limited int
	for i := 0; i < 14; i++ {
		wc := wrongs[i%len(wrongs)]
		known := try("203.0.113.7", ref, wc)
		unknown := try("198.51.100.9", missing, wc)
		if a, b := answer(known, ref), answer(unknown, missing); a != b {
			t.Fatalf("attempt %d (%q): the answers differ:\nknown reference:\n%s\nunknown reference:\n%s", i, wc, excerpt(a), excerpt(b))
		}
		switch known.StatusCode {
		case http.StatusUnauthorized, http.StatusUnprocessableEntity:
			if limited > 0 {
				t.Fatalf("attempt %d: %d after a 429", i, known.StatusCode)
			}
		case http.StatusTooManyRequests:
			limited++
			if ra := known.Header.Get("Retry-After"); ra != "6" { // one attempt every 6 s
				t.Errorf("attempt %d: Retry-After %q, want 6", i, ra)
			}
		default:
			t.Fatalf("attempt %d: status %d", i, known.StatusCode)
		}
	}
	if limited != 4 {
		t.Errorf("%d attempts of 14 limited, want 4 (burst 10)", limited)
	}
	// Retry-After is the time left, rounded up to the second.
	e.clock.Add(4500 * time.Millisecond)
	r := try("203.0.113.7", ref, "AAAA-BBBB-CCCC-DDDD").must(t, http.StatusTooManyRequests, "Trop de tentatives")
	if ra := r.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After %q 4.5 s later, want 2", ra)
	}

	// The right code opens the case from the address that made every
	// wrong attempt, from the other one, and from a new one.
	for _, addr := range []string{"203.0.113.7", "198.51.100.9", "192.0.2.1"} {
		try(addr, ref, code).must(t, 200, "Dossier "+ref)
	}
	after, err := e.svc.View(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Events) != len(before.Events) {
		t.Errorf("wrong codes wrote %d events onto the case", len(after.Events)-len(before.Events))
	}
	_, sec, err := e.store.CaseByRef(t.Context(), ref)
	if err != nil || sec.CodeFailures != 0 {
		t.Errorf("wrong codes counted on the case: %d, %v", sec.CodeFailures, err)
	}
	// A wrong one from the limited address is still refused.
	try("203.0.113.7", ref, "AAAA-BBBB-CCCC-DDDD").must(t, http.StatusTooManyRequests)
}

// TestRescheduleAndCancel moves then cancels the appointment from the
// status page, then books again.
func TestRescheduleAndCancel(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	ref, _ := c.submit()
	before, _ := e.svc.View(t.Context(), ref)
	r := c.get("/suivi/"+ref).must(t, 200, "Changer de créneau", "Annuler mon rendez-vous", "À apporter au rendez-vous", "Effacement des données prévu le", "dimanche 20\u00a0décembre 2026")
	var slot string
	for _, m := range slotRE.FindAllStringSubmatch(r.Body, -1) {
		if m[1] != before.Appointment.SlotID {
			slot = m[1]
			break
		}
	}
	c.post("/suivi/"+ref+"/rendez-vous", url.Values{}).must(t, http.StatusUnprocessableEntity, `href="#f-slot_id"`)
	c.post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {slot}}).must(t, 200, "Votre rendez-vous a été déplacé.", "Rendez-vous déplacé")
	after, _ := e.svc.View(t.Context(), ref)
	if after.Appointment.SlotID != slot {
		t.Fatalf("appointment not moved")
	}
	c.get("/suivi/"+ref+"/rendez-vous/annuler").must(t, 200, "Oui, annuler le rendez-vous")
	c.post("/suivi/"+ref+"/rendez-vous/annuler", url.Values{}).must(t, 200, "Votre rendez-vous a été annulé", "Aucun rendez-vous", "Prendre un nouveau rendez-vous")
	c.post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {slot}}).must(t, 200, "Rendez-vous pris")
}

// TestErasedCase: after expiry the status page says when personal data
// was erased and shows none of it.
func TestErasedCase(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	ref, code := c.submit()
	e.clock.Add(31 * 24 * time.Hour)
	if _, err := e.svc.RunRetention(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := e.client("en")
	o.post("/suivi", url.Values{"ref": {ref}, "code": {code}}).
		must(t, 200, "The personal data of this case was erased on Monday 21\u00a0December 2026.", "Expired").
		lacks(t, "Martin", "Move my appointment", "recu.pdf")
	// Its state does not look like a live one: a badge of its own.
	o.get("/suivi/"+ref).must(t, 200, `class="badge badge--ended">Expired<`)
}

// TestUploads: a disguised executable is refused by its content, a file
// too large gets a message (not a reset connection), and files can be
// removed.
func TestUploads(t *testing.T) {
	e := newEnv(t, func(_ *Config, cc *complaint.Config) { cc.MaxFileSize = 64 << 10 })
	c := e.client("fr")
	c.post("/preplainte", answers())
	c.post("/preplainte/identite", identity())
	c.post("/preplainte/faits", facts())
	c.post("/preplainte/objets", items()).must(t, 200, "Formats acceptés")

	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
	c.upload("facture.pdf", exe).must(t, http.StatusUnprocessableEntity,
		"Ce type de fichier n’est pas accepté", `href="#f-evidence"`, `aria-invalid="true"`, "<title>Erreur\u202f: ")
	c.upload("vide.pdf", nil).must(t, http.StatusUnprocessableEntity, "Ce fichier est vide.")

	// Just over the file limit: refused by the service.
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 64<<10)...)
	c.upload("gros.pdf", big).must(t, http.StatusUnprocessableEntity, "Ce fichier est trop volumineux\u202f: 0 Mo au plus.")
	// Far over the body limit: the server reads on and answers.
	huge := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 3<<20)...)
	c.upload("enorme.pdf", huge).must(t, http.StatusUnprocessableEntity, "trop volumineux")

	r := c.upload("photo.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{1}, 100)...)).must(t, 200, "photo.png", "Le fichier a été ajouté.")
	id := regexp1(t, `action="/preplainte/preuves/([^/]+)/supprimer"`, r.Body)
	c.post("/preplainte/preuves/"+id+"/supprimer", url.Values{}).must(t, 200, "Le fichier a été retiré.", "Aucun fichier joint.")
	// Removing again is harmless.
	c.post("/preplainte/preuves/"+id+"/supprimer", url.Values{}).must(t, 200)
	for i := 0; i < 5; i++ {
		c.upload("p.pdf", []byte("%PDF-1.4\n%%EOF\n")).must(t, 200)
	}
	c.get("/preplainte/preuves").must(t, 200, "nombre maximal de fichiers").lacks(t, `type="file"`)
}

// TestRateLimit: past the burst, 429 with Retry-After; health probes are
// never limited; code attempts have their own tighter limit.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *complaint.Config) {
		c.RateLimit = Limit{Rate: 1, Burst: 3}
		c.CodeRateLimit = Limit{Rate: 1.0 / 60, Burst: 2}
	})
	c := e.client("fr")
	for i := 0; i < 3; i++ {
		c.get("/").must(t, 200)
	}
	r := c.get("/").must(t, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	c.get("/healthz").must(t, 200)
	e.clock.Add(10 * time.Second)
	c.post("/preplainte/reprendre", url.Values{"draft_code": {"x"}}).must(t, http.StatusUnprocessableEntity)
	c.post("/suivi", url.Values{"ref": {"x"}}).must(t, http.StatusUnprocessableEntity)
	c.post("/preplainte/reprendre", url.Values{"draft_code": {"x"}}).must(t, http.StatusTooManyRequests)
	if strings.Contains(e.logs.String(), "127.0.0.1") {
		t.Error("a client address reached the logs")
	}
}

func TestLimiterForgetsIdleClients(t *testing.T) {
	now := start
	l := newLimiter(Limit{Rate: 1, Burst: 2}, func() time.Time { return now })
	for i := 0; i < 100; i++ {
		l.allow(itoa(int64(i)))
	}
	now = now.Add(2 * time.Minute)
	l.allow("new")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets kept", len(l.buckets))
	}
}

func TestClientKey(t *testing.T) {
	s := &Server{}
	for addr, want := range map[string]string{
		"192.0.2.1:1234":             "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.9]:80":      "192.0.2.9",
		"not an address":             "not an address",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		if got := s.clientKey(r); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	s.cfg.ClientIPHeader = "X-Forwarded-For"
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Forwarded-For", "203.0.113.7, 198.51.100.2")
	if got := s.clientKey(r); got != "198.51.100.2" {
		t.Errorf("forwarded: %q", got)
	}
}

// TestErrorPages: friendly 404 and 500 pages; the 500 is logged with the
// route, never with what the citizen typed.
func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.get("/nulle-part").must(t, 404, "Page introuvable", `<html lang="fr">`, `href="/langue/en?retour=%2Fnulle-part"`)
	c.get("/preplainte/etape-inconnue").must(t, 404, "Page introuvable")
	c.get("/suivi/pas-une-reference").must(t, 404)
	e.client("en").get("/nowhere").must(t, 404, "Page not found")

	e.web.handle("GET /panique", func(http.ResponseWriter, *http.Request) error { panic("Léa Martin") })
	e.web.handle("GET /echec", func(http.ResponseWriter, *http.Request) error {
		return errors.New("store: connection refused")
	})
	c.get("/panique").must(t, 500, "Une erreur est survenue").lacks(t, "Léa Martin")
	c.get("/echec").must(t, 500, "Une erreur est survenue").lacks(t, "connection refused")
	logs := e.logs.String()
	for _, want := range []string{`"msg":"panic"`, `"msg":"request failed"`, `"route":"GET /echec"`, `"status":500`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	if strings.Contains(logs, "Léa Martin") {
		t.Error("a panic value reached the logs")
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	c := e.client("")
	c.get("/healthz").must(t, 200, "ok")
	c.get("/readyz").must(t, 200, "ok")
	e.web.d.Ready = func(context.Context) error { return errors.New("database locked") }
	c.get("/readyz").must(t, http.StatusServiceUnavailable)
}

func TestLogMounted(t *testing.T) {
	e := newEnv(t)
	e.client("").get("/log/checkpoint").must(t, 404)
	s, err := New(e.web.cfg, Deps{Complaints: e.svc, Log: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("log " + r.URL.Path))
	})})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/log/checkpoint", nil))
	if w.Body.String() != "log /log/checkpoint" {
		t.Errorf("log handler: %d %q", w.Code, w.Body.String())
	}
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	c := e.client("")
	css := e.web.assets.url("css/site.css")
	if !strings.Contains(css, "?v=") {
		t.Fatalf("unversioned %s", css)
	}
	r := c.get(css).must(t, 200, "--blue")
	if r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("versioned: %q %q", r.Header.Get("Cache-Control"), r.Header.Get("Content-Type"))
	}
	if r := c.get("/static/css/site.css").must(t, 200); r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("bare: %q", r.Header.Get("Cache-Control"))
	}
	c.get("/static/").must(t, 404)
	c.get("/static/css/").must(t, 404)
	c.get("/static/../server.go").must(t, 404)
	home := c.get("/").Body
	for _, a := range []string{"css/site.css", "js/site.js", "img/favicon.svg"} {
		if !strings.Contains(home, e.web.assets.url(a)) {
			t.Errorf("home does not link %s", e.web.assets.url(a))
		}
	}
}

func TestNewFailsOnBrokenTemplate(t *testing.T) {
	e := newEnv(t)
	good, _ := templateFS.ReadFile("templates/_layout.html")
	for name, fsys := range map[string]fstest.MapFS{
		"syntax":   {"templates/_layout.html": {Data: good}, "templates/x.html": {Data: []byte(`{{define "title"}}{{end}}{{define "main"}}{{if}}{{end}}`)}},
		"no main":  {"templates/_layout.html": {Data: good}, "templates/x.html": {Data: []byte(`{{define "title"}}x{{end}}`)}},
		"bad func": {"templates/_layout.html": {Data: good}, "templates/x.html": {Data: []byte(`{{define "title"}}{{nope}}{{end}}{{define "main"}}{{end}}`)}},
	} {
		if _, err := e.web.parseTemplates(fsys); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := New(Config{CookieKey: []byte("short")}, Deps{Complaints: e.svc}); err == nil {
		t.Error("short cookie key accepted")
	}
	if _, err := New(Config{CookieKey: make([]byte, 32), PublicURL: "guichet.test"}, Deps{Complaints: e.svc}); err == nil {
		t.Error("relative public URL accepted")
	}
}
