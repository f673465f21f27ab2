package web

import (
	"bytes"
	"crypto/sha256"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
)

var sgRefRE = regexp.MustCompile(`<p class="ref">(SG-[0-9A-Z-]+)</p>`)

// phishingSMS is a report of a phishing text message, as a reporter
// without JavaScript sends it.
func phishingSMS() url.Values {
	return url.Values{
		"categorie": {"phishing"}, "action": {"envoyer"},
		"vu.0.canal":  {"sms"},
		"vu.0.valeur": {"Votre colis est bloqué. Payez 1,99 € de frais : https://Colis-Suivi.example.com/%70ay?utm_source=sms ou appelez le 06 12 34 56 78."},
		"vu_le":       {"18/11/2026"},
		"recit":       {"Reçu ce matin, je n’attends aucun colis."},
		"victime":     {"no"},
	}
}

// TestReportWithoutJavaScript: a phishing SMS is reported anonymously by
// a browser that runs no script: accepted (review lane), a reference and
// a code that survive a reload, a status page that shows what was read.
// Errors keep what was typed; another row can be added without script.
func TestReportWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.get("/").must(t, http.StatusOK, `href="/signaler"`)
	c.get("/signaler").must(t, http.StatusOK, "De quoi s’agit-il", "Hameçonnage", `name="categorie"`)
	// No category chosen: said beside the choices.
	c.get("/signaler/signalement").must(t, http.StatusUnprocessableEntity, "Choisissez de quoi il s’agit", `href="#f-categorie"`)
	form := c.get("/signaler/signalement?categorie=phishing").must(t, http.StatusOK, `name="pow_challenge"`, "Texte d’un SMS")
	if !strings.Contains(form.Body, `<option value="sms" selected>`) {
		t.Error("a phishing report does not offer an SMS first")
	}

	// Nothing seen given, a bad date and a bad address: three errors, each
	// saying what to do, and every value typed kept.
	bad := phishingSMS()
	bad.Set("vu.0.valeur", "")
	bad.Set("vu_le", "hier")
	bad.Set("courriel", "lea@")
	r := c.post("/signaler/signalement", bad).must(t, http.StatusUnprocessableEntity,
		"Indiquez au moins un élément", "Indiquez la date au format jj/mm/aaaa", "Indiquez une adresse électronique complète",
		`value="hier"`, `value="lea@"`, "je n’attends aucun colis", `href="#f-vu-0-valeur"`)
	_ = r
	// Another row, without JavaScript: nothing filed, everything kept.
	more := phishingSMS()
	more.Set("action", "ajouter")
	// Each row is a group named by its legend; the next "add" opens the
	// page on the row it adds.
	r = c.post("/signaler/signalement", more).must(t, http.StatusOK, `name="vu.1.valeur"`, "colis est bloqué",
		`<fieldset class="fieldset seen-row" id="element-2">`, `<legend class="legend seen-row-title">Élément 2</legend>`,
		`formaction="/signaler/signalement#element-3"`)

	r = c.post("/signaler/signalement", phishingSMS()).must(t, http.StatusOK, "Votre signalement est envoyé")
	if r.Path != "/signaler/envoye" {
		t.Fatalf("after sending: at %s", r.Path)
	}
	m := sgRefRE.FindStringSubmatch(r.Body)
	code := codeRE.FindStringSubmatch(r.Body)
	if m == nil || code == nil {
		t.Fatalf("no reference or code:\n%s", excerpt(r.Body))
	}
	ref := m[1]
	// A reload shows the same.
	again := c.get("/signaler/envoye").must(t, http.StatusOK, ref)
	if c2 := codeRE.FindStringSubmatch(again.Body); c2 == nil || c2[1] != code[1] {
		t.Errorf("after a reload: code %v, want %s", c2, code[1])
	}
	// Its status page, in plain words, with what was read from the SMS.
	st := c.get("/suivi/"+ref).must(t, http.StatusOK, "Signalement "+ref, "Transmis", "Office de lutte contre la cybercriminalité", "Observatoire des messages indésirables", "Ce que vous avez signalé", "33 6 12 34 56 78", "Numéro de téléphone (dans le message)", "colis-suivi.example.com")
	if strings.Contains(st.Body, "utm_source") {
		t.Error("the status page shows the tracking parameter")
	}
	// Another browser, with the reference and code, sees it too; without, not.
	other := e.client("fr")
	if r := other.get("/suivi/" + ref); r.Path != "/suivi?ref="+ref {
		t.Errorf("without the code: at %s", r.Path)
	}
	other.post("/suivi", url.Values{"ref": {ref}, "code": {code[1]}}).must(t, http.StatusOK, "Signalement "+ref)

	// The report was filed in the review lane: no proof of work.
	v, err := e.web.d.Reports.View(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Lane != "review" {
		t.Errorf("lane %q, want review", v.Lane)
	}
	if len(v.Seen) != 2 || v.Seen[0].Kind != "url" || v.Seen[1].Key != "phone:+33612345678" {
		t.Errorf("values read from the SMS: %+v", v.Seen)
	}

	// In English.
	en := e.client("en")
	en.get("/signaler").must(t, http.StatusOK, "What is it about?", "Phishing")
	en.post("/signaler/signalement", phishingSMS()).must(t, http.StatusOK, "Your report has been sent")
}

// solve finds the proof of work of a challenge, as pow.js does.
func solve(t *testing.T, challenge string) string {
	t.Helper()
	for n := 0; n < 1<<26; n++ {
		s := strconv.Itoa(n)
		if leadingZeroBits(sha256.Sum256([]byte(challenge+":"+s))) >= powBits {
			return s
		}
	}
	t.Fatal("no nonce found")
	return ""
}

var challengeRE = regexp.MustCompile(`name="pow_challenge" value="([^"]+)"`)

// TestReportProofOfWork: a solved challenge puts the report in the normal
// lane, once; a challenge replayed, forged, unsolved or stale goes to the
// review lane — never refused.
func TestReportProofOfWork(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	file := func(challenge, nonce string) string {
		t.Helper()
		f := phishingSMS()
		f.Set("pow_challenge", challenge)
		f.Set("pow_nonce", nonce)
		r := c.post("/signaler/signalement", f).must(t, http.StatusOK, "Votre signalement est envoyé")
		ref := sgRefRE.FindStringSubmatch(r.Body)[1]
		v, err := e.web.d.Reports.View(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		return string(v.Lane)
	}
	form := c.get("/signaler/signalement?categorie=phishing")
	ch := challengeRE.FindStringSubmatch(form.Body)[1]
	nonce := solve(t, ch)
	if lane := file(ch, nonce); lane != "normal" {
		t.Errorf("solved: lane %s", lane)
	}
	if lane := file(ch, nonce); lane != "review" {
		t.Errorf("replayed: lane %s", lane)
	}
	forged := strings.Replace(ch, "v1.", "v1.1", 1)
	if lane := file(forged, solve(t, forged)); lane != "review" {
		t.Errorf("forged: lane %s", lane)
	}
	ch2 := challengeRE.FindStringSubmatch(c.get("/signaler/signalement?categorie=phishing").Body)[1]
	if lane := file(ch2, "1"); lane != "review" && leadingZeroBits(sha256.Sum256([]byte(ch2+":1"))) < powBits {
		t.Errorf("unsolved: lane %s", lane)
	}
	n2 := solve(t, ch2)
	e.clock.Add(powMaxAge + time.Minute)
	if lane := file(ch2, n2); lane != "review" {
		t.Errorf("stale: lane %s", lane)
	}
}

// TestReportStoresNoIP: the reporter's address reaches neither the
// database nor the logs, and the report rate limit, keyed by it in memory,
// refuses a flood in words while keeping what was typed.
func TestReportStoresNoIP(t *testing.T) {
	const ip = "203.0.113.77"
	e := newEnv(t, func(w *Config, _ *complaint.Config) {
		w.ClientIPHeader = "X-Real-IP"
		w.ReportRateLimit = Limit{Rate: 1.0 / 3600, Burst: 2}
	})
	c := e.client("fr")
	for range 2 {
		c.post("/signaler/signalement", phishingSMS(), "X-Real-IP", ip).must(t, http.StatusOK, "Votre signalement est envoyé")
	}
	r := c.post("/signaler/signalement", phishingSMS(), "X-Real-IP", ip).must(t, http.StatusTooManyRequests,
		"Trop de signalements", "colis est bloqué", "je n’attends aucun colis")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another address is not held back.
	c.post("/signaler/signalement", phishingSMS(), "X-Real-IP", "198.51.100.4").must(t, http.StatusOK, "Votre signalement est envoyé")

	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "guichet.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{ip, "198.51.100.4"} {
			if bytes.Contains(b, []byte(needle)) {
				t.Errorf("%s holds the address %s", filepath.Base(f), needle)
			}
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, ip) || strings.Contains(logs, "colis") || strings.Contains(logs, "06 12 34") {
		t.Error("the logs hold the address or what was reported")
	}
}

// postReport sends a report form with files, as a browser sends it.
func (c *client) postReport(form url.Values, files map[string][]byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("captures", name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+"/signaler/signalement", &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestReportScreenshots: screenshots go up with the report, sealed; a
// page sent back for a correction says they must be chosen again; a file
// that is no image or PDF is refused beside the field; for child sexual
// abuse material no file is taken at all.
func TestReportScreenshots(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.get("/signaler/signalement?categorie=phishing").must(t, http.StatusOK, `enctype="multipart/form-data"`, `name="captures"`, "Captures d’écran")
	bad := phishingSMS()
	bad.Set("courriel", "x@")
	c.postReport(bad, map[string][]byte{"sms.png": pngBytes}).must(t, http.StatusUnprocessableEntity,
		"Vos captures (1) n’ont pas été gardées", "Indiquez une adresse électronique complète")
	c.postReport(phishingSMS(), map[string][]byte{"notes.txt": []byte("just text")}).must(t, http.StatusUnprocessableEntity,
		"n’est ni une image", `href="#f-captures"`)
	r := c.postReport(phishingSMS(), map[string][]byte{"sms.png": pngBytes}).must(t, http.StatusOK, "Votre signalement est envoyé")
	ref := sgRefRE.FindStringSubmatch(r.Body)[1]
	cs, _, err := e.store.CaseByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := e.store.ListEvidence(t.Context(), cs.ID)
	if err != nil || len(ev) != 1 || ev[0].ContentType != "image/png" {
		t.Fatalf("evidence %+v %v", ev, err)
	}
	raw, err := os.ReadFile(filepath.Join(e.dir, "blobs", ev[0].BlobKey))
	if err == nil && bytes.Contains(raw, pngBytes[:12]) {
		t.Error("the screenshot is stored in clear")
	}

	// Child sexual abuse material: no file input, and a file sent anyway
	// is refused, nothing filed.
	page := c.get("/signaler/signalement?categorie=child_abuse").must(t, http.StatusOK, "n’envoyez aucun fichier")
	if strings.Contains(page.Body, `type="file"`) {
		t.Error("the child abuse form has a file input")
	}
	csam := phishingSMS()
	csam.Set("categorie", "child_abuse")
	csam.Set("vu.0.canal", "url")
	csam.Set("vu.0.valeur", "https://abuse.example/x")
	before, _ := e.web.d.Reports.Queue(t.Context(), analystP, report.QueueQuery{Limit: 200})
	c.postReport(csam, map[string][]byte{"x.png": pngBytes}).must(t, http.StatusUnprocessableEntity, "n’envoyez aucun fichier")
	after, _ := e.web.d.Reports.Queue(t.Context(), analystP, report.QueueQuery{Limit: 200})
	if len(after) != len(before) {
		t.Error("a child abuse report with a file was filed")
	}
}

var analystP = account.Principal{Pseudonym: "AN01", Role: account.RoleAnalyst}
