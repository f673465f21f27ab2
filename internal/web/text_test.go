package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

const (
	notTextFR = "Ce champ contient des caractères illisibles"
	notTextEN = "This field holds characters that cannot be read"
)

func TestTextOnly(t *testing.T) {
	v := url.Values{
		"last_name":  {"Dupont\xff\xfe\xc3("},
		"first_name": {"Léa"},
		"note":       {"ok", "nul\x00byte"},
		"city":       {"Lyon"},
		"bad\xffkey": {"x"},
	}
	verr := textOnly(v)
	if verr == nil {
		t.Fatal("no error")
	}
	var fields []string
	for _, f := range verr.Fields {
		if f.Key != "err.text" {
			t.Errorf("%s: key %q", f.Field, f.Key)
		}
		fields = append(fields, f.Field)
	}
	if !slices.Equal(fields, []string{"last_name", "note"}) {
		t.Errorf("fields %v", fields)
	}
	want := url.Values{
		"last_name":  {"Dupont\uFFFD("},
		"first_name": {"Léa"},
		"note":       {"ok", "nul\uFFFDbyte"},
		"city":       {"Lyon"},
	}
	if !equalValues(v, want) {
		t.Errorf("values %q, want %q", v, want)
	}
	if textOnly(url.Values{"a": {"é", ""}, "b": nil}) != nil {
		t.Error("text refused")
	}

	// readForm: the body and the query, both cleaned; ParseForm's errors
	// come back as they are.
	req := httptest.NewRequest(http.MethodPost, "/x?q=a%FFb", strings.NewReader("last_name=Dupont%FF%FE%C3%28&city=Lyon"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	bad, err := readForm(req)
	var v2 *guichet.ValidationError
	if err != nil || !errors.As(bad, &v2) || !errors.Is(bad, guichet.ErrInvalid) || len(v2.Fields) != 2 {
		t.Fatalf("readForm: %v, %v", bad, err)
	}
	if got := req.PostForm.Get("last_name"); got != "Dupont\uFFFD(" {
		t.Errorf("PostForm last_name %q", got)
	}
	if got := req.Form.Get("last_name") + req.Form.Get("q"); got != "Dupont\uFFFD(a\uFFFDb" {
		t.Errorf("Form %q", got)
	}
	req = httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("city=Lyon"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bad, err := readForm(req); bad != nil || err != nil {
		t.Errorf("clean form: %v, %v", bad, err)
	}
	req = httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("a=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := readForm(req); err == nil {
		t.Error("a malformed body parsed")
	}
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestCutText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"Lyon", 10, "Lyon"},
		{"Lyon", 2, "Ly"},
		{"éé", 3, "é"}, // never half a character
		{"éé", 1, ""},
	} {
		if got := cutText(tt.in, tt.n); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// FuzzTextOnly: whatever a query holds, textOnly leaves only text, keeps
// text values as they were, and names exactly the inputs it changed.
func FuzzTextOnly(f *testing.F) {
	for _, s := range []string{
		"last_name=Dupont%FF%FE%C3%28", "a=%00&b=ok", "%FF=1", "a=%C3&a=%A9", "q=Lyon&q=%E2%82", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		orig := url.Values{}
		for k, vs := range v {
			orig[k] = slices.Clone(vs)
		}
		verr := textOnly(v)
		changed := map[string]bool{}
		if verr != nil {
			if len(verr.Fields) == 0 {
				t.Fatal("an error without fields")
			}
			for _, fe := range verr.Fields {
				changed[fe.Field] = true
			}
		}
		for k, vs := range orig {
			got, kept := v[k]
			if !isText(k) {
				if kept {
					t.Fatalf("input %q kept", k)
				}
				continue
			}
			if !kept || len(got) != len(vs) {
				t.Fatalf("input %q: %q became %q", k, vs, got)
			}
			wasText := true
			for i, s := range vs {
				if !isText(got[i]) {
					t.Fatalf("input %q: %q left as %q", k, s, got[i])
				}
				if isText(s) && got[i] != s {
					t.Fatalf("input %q: text %q changed to %q", k, s, got[i])
				}
				wasText = wasText && isText(s)
			}
			if changed[k] == wasText {
				t.Fatalf("input %q (%q): reported %v", k, vs, changed[k])
			}
		}
	})
}

// TestFormsRefuseWhatIsNotText: a value that is not text is refused beside
// its field on the citizens' forms, shown as far as it can be, and nothing
// is saved.
func TestFormsRefuseWhatIsNotText(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.post("/preplainte", with(answers(), "category", "theft\xff")).
		must(t, http.StatusUnprocessableEntity, notTextFR, `href="#f-category`)
	r := c.post("/preplainte", answers()).must(t, 200)
	code := draftCodeRE.FindStringSubmatch(r.Body)[1]

	// The identity step: refused beside the field, kept as typed (the bad
	// bytes shown as �), not saved, whichever button was pressed.
	for _, action := range []string{"continue", "later", "previous"} {
		r = c.post("/preplainte/identite", with(identity(), "last_name", "Dupont\xff\xfe\xc3(", "action", action)).
			must(t, http.StatusUnprocessableEntity, notTextFR, `href="#f-last_name"`, `value="Dupont`+"\uFFFD"+`("`,
				`aria-invalid="true"`, `value="Lyon"`, "<title>Erreur\u202f: ")
		if r.Path != "/preplainte/identite" {
			t.Errorf("%s: left the step for %s", action, r.Path)
		}
	}
	if strings.Contains(r.Body, "\xff") {
		t.Error("the page holds the invalid bytes")
	}
	if st, err := e.svc.Draft(t.Context(), mustCode(t, code)); err != nil || st.Form.LastName != "" || st.Form.City != "" {
		t.Fatalf("the step was saved: %v %+v", err, st)
	}
	// A NUL is refused too, in the facts' free text.
	c.post("/preplainte/identite", identity()).must(t, 200)
	c.post("/preplainte/faits", with(facts(), "description", "Mon sac a été volé\x00 à la terrasse d'un café.")).
		must(t, http.StatusUnprocessableEntity, notTextFR, `href="#f-description"`)
	// An item row.
	c.post("/preplainte/faits", facts()).must(t, 200)
	c.post("/preplainte/objets", with(items(), "items.0.description", "Fairphone\xc0")).
		must(t, http.StatusUnprocessableEntity, notTextFR, `href="#f-items-0-description"`, "Fairphone\uFFFD")
	// The station search, a form sent by GET.
	c.post("/preplainte/objets", items()).must(t, 200)
	c.post("/preplainte/preuves", url.Values{}).must(t, 200)
	c.get("/preplainte/commissariat?q=Ly%FFon").
		must(t, http.StatusUnprocessableEntity, notTextFR, `id="f-q-error"`, `value="Ly`+"\uFFFD"+`on"`, `aria-describedby="f-q-hint f-q-error"`)
	c.get("/commissariats?q=Ly%FFon").must(t, http.StatusUnprocessableEntity, notTextFR, `id="f-q-error"`)
	c.get("/commissariats?q=Lyon").must(t, 200, "Commissariat de Lyon 3e").lacks(t, notTextFR)

	// A file whose name is not text.
	e.client("fr").submit() // another citizen's case, for the tracking form below
	up := c.upload("facture\xff.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	up.must(t, http.StatusUnprocessableEntity, "Le nom de ce fichier contient des caractères illisibles", `href="#f-evidence"`)

	// The draft code and the tracking form, in English.
	o := e.client("en")
	o.post("/preplainte/reprendre", url.Values{"draft_code": {code + "\xff"}}).
		must(t, http.StatusUnprocessableEntity, notTextEN, `href="#f-draft_code"`)
	o.post("/suivi", url.Values{"ref": {"PP-2026-\xff"}, "code": {"AAAA-BBBB-CCCC-DDDD"}}).
		must(t, http.StatusUnprocessableEntity, notTextEN, `href="#f-ref"`, `value="PP-2026-`+"\uFFFD"+`"`).
		lacks(t, "AAAA-BBBB-CCCC-DDDD")
	o.get("/suivi?ref=PP-2026-%FF").must(t, 200).lacks(t, "PP-2026-\uFFFD", "\xff")
}

func mustCode(t *testing.T, s string) caseref.Code {
	t.Helper()
	c, err := caseref.ParseCode(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAgentFormsRefuseWhatIsNotText: the same on the back-office's forms.
func TestAgentFormsRefuseWhatIsNotText(t *testing.T) {
	e := newDeskEnv(t)
	unit := e.cw.Units[0]
	sub := e.cw.Submit(unit, caseworktest.Filing{})
	a := e.as(e.cw.Principal(unit, account.RoleAgent, "A7F2"))
	base := "/agent/dossiers/" + sub.Ref
	before, err := e.cw.Complaints.View(t.Context(), sub.Ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path  string
		form  url.Values
		wants []string
	}{
		{base + "/notes", url.Values{"note": {"Rappeler la victime\xff demain."}, "to": {"internal"}},
			[]string{`href="#f-note"`, "Rappeler la victime\uFFFD demain."}},
		{base + "/consulter", url.Values{"purpose": {"investigation\xff"}}, []string{`href="#f-purpose"`}},
		{base + "/cloturer", url.Values{"reason": {"duplicate"}, "redirect": {"x\xff"}}, []string{`href="#f-redirect"`}},
		{base + "/convertir", with(convertForm(e.cw.Clock.Now()), "first_name", "L\xe9a"),
			[]string{`href="#f-first_name"`, `value="L` + "\uFFFD" + `a"`}},
		{"/agent/calendrier/creneaux", url.Values{"unite": {unit.ID}, "date": {"2026-03-20"}, "time": {"10:00\xff"}, "duration": {"30"}, "capacity": {"2"}},
			[]string{`href="#f-time"`}},
	} {
		r, body := e.do("POST", tt.path, a, tt.form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, notTextFR) {
			t.Errorf("POST %s: %d, message shown: %v\n%s", tt.path, r.StatusCode, strings.Contains(body, notTextFR), excerpt(body))
			continue
		}
		for _, w := range tt.wants {
			if !strings.Contains(body, w) {
				t.Errorf("POST %s: body lacks %q\n%s", tt.path, w, excerpt(body))
			}
		}
	}
	after, err := e.cw.Complaints.View(t.Context(), sub.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Events) != len(before.Events) || after.Case.Status != before.Case.Status {
		t.Errorf("a refused form changed the case: %d → %d events, %s → %s",
			len(before.Events), len(after.Events), before.Case.Status, after.Case.Status)
	}
	// The queue's filter, a form sent by GET.
	r, body := e.do("GET", "/agent/?ref=PP-2026%FF", a, nil)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, notTextFR) {
		t.Errorf("queue filter: %d\n%s", r.StatusCode, excerpt(body))
	}
}

// TestAgentLoginRefusesWhatIsNotText: the sign-in form says so beside the
// field, and never shows the password.
func TestAgentLoginRefusesWhatIsNotText(t *testing.T) {
	e := newAgentEnv(t)
	b := e.browser()
	a := b.do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1\xff"}, "agent_password": {"s3cr3t-pw\xff"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, notTextFR) ||
		!strings.Contains(a.body, `href="#f-agent_password"`) || !strings.Contains(a.body, `href="#f-agent_login"`) ||
		strings.Contains(a.body, "s3cr3t-pw") {
		t.Errorf("sign-in: %d\n%s", a.status, excerpt(a.body))
	}
	e.seed("AGT-1")
	if a := b.do("POST", "/agent/connexion", url.Values{"agent_login": {"AGT-1"}, "agent_password": {agentPassword}}); a.status != http.StatusSeeOther {
		t.Fatalf("password step: %d", a.status)
	}
	a = b.do("POST", "/agent/connexion/code", url.Values{"agent_code": {"123\xff456"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, notTextFR) || !strings.Contains(a.body, `href="#f-agent_code"`) {
		t.Errorf("code: %d\n%s", a.status, excerpt(a.body))
	}
}
