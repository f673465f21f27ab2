package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/station"
	"golang.org/x/text/language"
)

var placeholderRE = regexp.MustCompile(`\{\d\}`)

// TestCatalogueParity: both languages have the same keys, no empty
// message, and the same placeholders in each message.
func TestCatalogueParity(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	fr, en := cats["fr"].msgs, cats["en"].msgs
	for k, v := range fr {
		w, ok := en[k]
		if !ok {
			t.Errorf("en lacks %q", k)
			continue
		}
		if strings.TrimSpace(v) == "" || strings.TrimSpace(w) == "" {
			t.Errorf("%q is empty", k)
		}
		pf, pe := placeholderRE.FindAllString(v, -1), placeholderRE.FindAllString(w, -1)
		sort.Strings(pf)
		sort.Strings(pe)
		if strings.Join(pf, "") != strings.Join(pe, "") {
			t.Errorf("%q: placeholders fr %v, en %v", k, pf, pe)
		}
	}
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("fr lacks %q", k)
		}
	}
}

// usedKeys lists every key pages and code can ask for.
func usedKeys(t *testing.T) map[string]bool {
	keys := map[string]bool{}
	// Static keys in templates: {{t "key"}}, (t "key" …).
	static := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		for _, m := range static.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Message keys written in Go here and in the complaint service.
	lit := regexp.MustCompile(`"((?:err|notice|hint|field)\.[a-z0-9_.]+[a-z0-9_])"`)
	for _, glob := range []string{"*.go", "../complaint/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
				keys[m[1]] = true
			}
		}
	}
	// Keys built from values.
	for name := range fieldAttrs {
		keys["field."+name] = true
	}
	for _, c := range complaint.Categories {
		keys["category."+string(c)] = true
	}
	keys["category.online_scam"], keys["category.other"] = true, true
	for _, k := range complaint.ItemKinds {
		keys["item.kind."+k] = true
	}
	for _, c := range []string{"mme", "m", "x"} {
		keys["civility."+c] = true
	}
	for _, s := range []casefile.Status{casefile.StatusDraft, casefile.StatusSubmitted, casefile.StatusTriaged, casefile.StatusAssigned,
		casefile.StatusInProgress, casefile.StatusConfirmed, casefile.StatusReferred, casefile.StatusClosed, casefile.StatusExpired} {
		keys["status."+string(s)], keys["status."+string(s)+".help"] = true, true
	}
	for _, k := range eventKeys {
		keys[k] = true
	}
	keys["event.other"] = true
	for _, s := range complaint.Steps {
		keys["step."+string(s)] = true
	}
	for _, k := range []station.Kind{station.Commissariat, station.Brigade} {
		keys["unit.kind."+string(k)] = true
	}
	for _, r := range []complaint.Reason{complaint.ReasonEmergency, complaint.ReasonViolence, complaint.ReasonKnownAuthor, complaint.ReasonOnlineScam, complaint.ReasonOther} {
		keys["orient."+string(r)+".title"], keys["orient."+string(r)+".lead"] = true, true
		if r != complaint.ReasonEmergency && r != complaint.ReasonOnlineScam {
			keys["orient."+string(r)+".why"] = true
		}
	}
	for _, k := range []string{"not_found", "invalid", "conflict", "unauthenticated", "forbidden", "rate_limited", "unavailable", "internal", "too_large", "key_reused", "media_type"} {
		keys["error."+k+".title"], keys["error."+k+".body"] = true, true
	}
	for _, pt := range problem.Types() {
		keys[problemAboutKey(pt)] = true
	}
	for _, o := range []string{"yes", "no"} {
		keys["opt."+o] = true
	}
	return keys
}

// TestCatalogueHasEveryKey: every key asked for exists.
func TestCatalogueHasEveryKey(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	used := usedKeys(t)
	if len(used) < 200 {
		t.Fatalf("only %d keys found: the scan is broken", len(used))
	}
	for k := range used {
		for lang, c := range cats {
			if !c.Has(k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}

func TestClassifyKeysExist(t *testing.T) {
	// The problem table's pages must be among those the key scan knows.
	used := usedKeys(t)
	for _, err := range []error{errNotFound, http.ErrBodyNotAllowed, &http.MaxBytesError{}} {
		k := problem.Of(err).Key
		if !used[k+".title"] {
			t.Errorf("%s.title not covered", k)
		}
	}
	for _, pt := range problem.Types() {
		if !used[pt.Key+".title"] || !used[pt.Key+".body"] {
			t.Errorf("%s (problem %s) not covered", pt.Key, pt.Slug)
		}
	}
}

func TestChooseLang(t *testing.T) {
	m := language.NewMatcher(languages)
	for _, tc := range []struct{ cookie, accept, want string }{
		{"", "", "fr"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "en-US", "en"},
		{"", "de-DE,de;q=0.9", "fr"},
		{"", "de-DE,en;q=0.5", "en"},
		{"", "fr-BE,en;q=0.8", "fr"},
		{"", "*", "fr"},
		{"", "garbage;;;", "fr"},
		{"en", "fr", "en"},
		{"fr", "en", "fr"},
		{"xx", "en", "en"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if got := chooseLang(r, m); got != tc.want {
			t.Errorf("cookie %q accept %q: %s, want %s", tc.cookie, tc.accept, got, tc.want)
		}
	}
}

// TestLanguageSwitch: every page offers the other language and comes
// back to itself; the return address must be local.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.post("/preplainte", answers())
	for _, p := range []string{"/", "/preplainte", "/preplainte/identite", "/suivi", "/commissariats?q=69003", "/nulle-part"} {
		want := `href="/langue/en?retour=` + url.QueryEscape(p) + `" lang="en" hreflang="en"`
		c.get(p).must(t, c.get(p).StatusCode, want)
	}
	nr := c.noRedirect()
	r := nr.get("/langue/en?retour="+url.QueryEscape("/commissariats?q=69003")).must(t, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/commissariats?q=69003" {
		t.Errorf("Location %q", loc)
	}
	var lang *http.Cookie
	for _, k := range r.Cookies() {
		if k.Name == langCookie {
			lang = k
		}
	}
	if lang == nil || lang.Value != "en" || !lang.HttpOnly || lang.MaxAge <= 0 {
		t.Fatalf("lang cookie %+v", lang)
	}
	c.get("/langue/en?retour=/preplainte/identite").must(t, 200, `<html lang="en">`, "About you", `href="/langue/fr?retour=%2Fpreplainte%2Fidentite" lang="fr"`)
	c.get("/langue/fr?retour=/").must(t, 200, `<html lang="fr">`)
	c.get("/langue/de?retour=/").must(t, 404)

	for _, evil := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
		"/\t/evil.example", "evil.example", "", "/%0d%0aSet-Cookie:x=1", "///evil.example", "http:/evil.example"} {
		r := nr.get("/langue/en?retour="+url.QueryEscape(evil)).must(t, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/" && !strings.HasPrefix(loc, "/%") {
			t.Errorf("retour %q → Location %q", evil, loc)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                        "/",
		"/preplainte/faits":        "/preplainte/faits",
		"/commissariats?q=lyon":    "/commissariats?q=lyon",
		"/suivi/PP-2026-7KQ3-M9TX": "/suivi/PP-2026-7KQ3-M9TX",
		"//evil":                   "/",
		"/\\evil":                  "/",
		"https://evil":             "/",
		"evil":                     "/",
		"/a\nb":                    "/",
		"":                         "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDates(t *testing.T) {
	at := time.Date(2026, 11, 24, 13, 30, 0, 0, time.UTC)
	fr := dates{lang: "fr", loc: complaint.Paris}
	en := dates{lang: "en", loc: complaint.Paris}
	for got, want := range map[string]string{
		fr.DateTime(at): "mardi 24\u00a0novembre 2026 à 14\u00a0h\u00a030",
		en.DateTime(at): "Tuesday 24\u00a0November 2026, 2:30\u00a0pm",
		fr.Day(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)):  "mardi 1er\u00a0décembre 2026",
		fr.Clock(time.Date(2026, 7, 1, 7, 5, 0, 0, time.UTC)):  "9\u00a0h\u00a005", // summer time
		en.Clock(time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)): "12:00\u00a0pm",
		// Late on the 31st in UTC is already the 1st in Paris.
		fr.Day(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)): "vendredi 1er\u00a0janvier 2027",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

func TestCatalogueInterpolation(t *testing.T) {
	c := &catalogue{msgs: map[string]string{"a": "{0} sur {1}", "b": "sans"}}
	if got := c.T("a", 2, 6); got != "2 sur 6" {
		t.Errorf("%q", got)
	}
	if got := c.T("b", 1); got != "sans" {
		t.Errorf("%q", got)
	}
	if got := c.T("missing"); got != "missing" {
		t.Errorf("%q", got)
	}
}
