package web

import (
	"bytes"
	"crypto/rand"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/station"
)

// scope is where the object of a request lives, seen from agents of unit
// "own": their unit, another unit, or a sub-unit of theirs (which only
// their supervisor sees). scopeNone: the page has no object.
type scope string

const (
	scopeOwn   scope = "own unit"
	scopeOther scope = "other unit"
	scopeSub   scope = "sub-unit"
	scopeNone  scope = "no object"
)

// authzFixture is the back-office on the real case desk and the real
// account service over SQLite: agents of every role in unit "own", with
// sessions opened by password and TOTP code.
type authzFixture struct {
	t      *testing.T
	desk   *deskEnv
	units  map[scope]station.Unit
	tokens map[account.Role]string
	// assignee is an active agent of each unit, to assign its cases to.
	assignee map[scope]string
	// root sees every unit: it prepares objects without going through
	// the pages.
	root account.Principal
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	ctx := t.Context()
	cw := caseworktest.New(t)
	f := &authzFixture{t: t, tokens: map[account.Role]string{}, assignee: map[scope]string{},
		units: map[scope]station.Unit{scopeOwn: cw.Units[0], scopeOther: cw.Units[1]}}
	sub := demo.SubUnit
	sub.ID, sub.ParentID, sub.Code, sub.AcceptsAppointments = cw.IDs.New(), cw.Units[0].ID, "SUB-AUTHZ", true
	if err := cw.Store.CreateUnit(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedSlots(ctx, cw.Store, cw.IDs, sub, cw.Clock.Now(), cw.Clock.Now().Add(14*24*time.Hour), 2); err != nil {
		t.Fatal(err)
	}
	f.units[scopeSub] = sub
	f.root = account.Principal{AgentID: cw.IDs.New(), Pseudonym: "ROOT", Role: account.RoleSupervisor,
		UnitID: cw.Units[0].ID, Units: []string{cw.Units[0].ID, cw.Units[1].ID, sub.ID}}

	cfg := account.DefaultConfig("https://guichet.test")
	cfg.Argon2 = account.Argon2{Memory: 1024, Time: 1, Threads: 1} // sessions, not password cost, are tested here
	accounts, err := account.New(cfg, account.Deps{Store: cw.Store, Vault: cw.Vault, Clock: cw.Clock, Rand: rand.Reader,
		IDs: cw.IDs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const password = "mot de passe de test 2026"
	hash, err := accounts.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	seed := func(sn string, role account.Role, unit station.Unit) account.Agent {
		secret := demo.DemoTOTPSecret(sn)
		a, err := accounts.Seed(ctx, account.Seeded{NewAgent: account.NewAgent{ServiceNumber: sn, Name: "Agent " + sn,
			UnitID: unit.ID, Role: role}, Password: password, PasswordHash: hash, TOTPSecret: secret})
		if err != nil {
			t.Fatalf("seed %s: %v", sn, err)
		}
		// The case desk's directory, for assignments.
		cw.Agents.Put(casework.Agent{ID: a.ID, Pseudonym: a.Pseudonym, Name: a.Name, ServiceNumber: sn,
			UnitID: unit.ID, Role: role, Active: true})
		return a
	}
	for i, role := range account.Roles {
		sn := "OWN-" + strconv.Itoa(i)
		seed(sn, role, cw.Units[0])
		pre, err := accounts.Login(ctx, sn, password)
		if err != nil {
			t.Fatalf("login %s: %v", sn, err)
		}
		code, err := account.TOTPCode(demo.DemoTOTPSecret(sn), cw.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if f.tokens[role], err = accounts.VerifyCode(ctx, pre, code); err != nil {
			t.Fatalf("second factor %s: %v", sn, err)
		}
	}
	for sc, sn := range map[scope]string{scopeOwn: "ASG-OWN", scopeOther: "ASG-OTHER", scopeSub: "ASG-SUB"} {
		f.assignee[sc] = seed(sn, account.RoleAgent, f.units[sc]).ID
	}

	f.desk = &deskEnv{t: t, cw: cw}
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{7}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}},
		Deps{Complaints: cw.Complaints, Agents: accounts, Cases: cw.Cases, Clock: cw.Clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.desk.srv = httptest.NewServer(w.Handler())
	t.Cleanup(f.desk.srv.Close)
	return f
}

// newCase files a pre-complaint (with one evidence file) in the scope's
// unit and returns its reference.
func (f *authzFixture) newCase(sc scope) string {
	return f.desk.cw.Submit(f.units[sc], caseworktest.Filing{FileName: "photo.png", File: caseworktest.PNG}).Ref
}

// newComplaint converts a new case of the scope's unit into a formal
// complaint and returns the complaint's (PL) reference.
func (f *authzFixture) newComplaint(sc scope) string {
	cw := f.desk.cw
	pl, err := cw.Cases.Convert(f.t.Context(), f.root, f.newCase(sc), casework.ConvertInput{
		IdentityChecked: true, IDDocument: casework.IDCard, Form: cw.Form(caseworktest.Filing{LastName: "Martin", FirstName: "Camille",
			Description: "Vol de mon vélo attaché devant la gare."})})
	if err != nil {
		f.t.Fatalf("convert: %v", err)
	}
	return pl
}

func (f *authzFixture) evidenceID(ref string) string {
	sum, err := f.desk.cw.Cases.Summary(f.t.Context(), f.root, ref)
	if err != nil || len(sum.Evidence) == 0 {
		f.t.Fatalf("evidence of %s: %v", ref, err)
	}
	return sum.Evidence[0].ID
}

func (f *authzFixture) newSlot(sc scope) string {
	cw := f.desk.cw
	start := cw.Clock.Now().Add(72 * time.Hour).Truncate(time.Hour)
	sl, err := cw.Cases.OpenSlot(f.t.Context(), f.root, f.units[sc].ID, start, start.Add(30*time.Minute), 3)
	if err != nil {
		f.t.Fatalf("open slot: %v", err)
	}
	return sl.ID
}

// convertForm is the conversion form as an agent sends it back, corrected
// with the citizen, identity checked.
func convertForm(now time.Time) url.Values {
	form := with(identity())
	for _, v := range []url.Values{facts(), items()} {
		for k, vs := range v {
			form[k] = vs
		}
	}
	form.Set("facts_from", now.Add(-48*time.Hour).In(complaint.Paris).Format("2006-01-02T15:04"))
	form.Set("id_document", string(casework.IDCard))
	form.Set("identity_checked", "yes")
	return form
}

// authzRoute is one route of caseRoutes and how to request it about an
// object of a given scope.
type authzRoute struct {
	pattern string
	// scoped: the request names an object (case, evidence, slot, unit).
	scoped bool
	// supervisors: only supervisors reach the page.
	supervisors bool
	// landing, when set, is where roles that do not reach the page are
	// sent (303) instead of a 404: the back-office home of their role.
	landing string
	// req builds the request's path and form for an object in sc.
	req func(f *authzFixture, sc scope) (string, url.Values)
}

func casePath(suffix string) func(*authzFixture, scope) (string, url.Values) {
	return func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/dossiers/" + f.newCase(sc) + suffix, nil
	}
}

func casePost(suffix string, form func(f *authzFixture, sc scope) url.Values) func(*authzFixture, scope) (string, url.Values) {
	return func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/dossiers/" + f.newCase(sc) + suffix, form(f, sc)
	}
}

func fixed(path string) func(*authzFixture, scope) (string, url.Values) {
	return func(*authzFixture, scope) (string, url.Values) { return path, nil }
}

// authzRoutes is every route of caseRoutes (TestAuthzTableCoversEveryRoute
// keeps it so).
var authzRoutes = []authzRoute{
	{pattern: "GET /agent/{$}", req: fixed("/agent/"), landing: "/agent/securite"},
	{pattern: "GET /agent/dossiers/{ref}", scoped: true, req: casePath("")},
	{pattern: "POST /agent/dossiers/{ref}/rendez-vous", scoped: true,
		req: casePost("/rendez-vous", func(f *authzFixture, sc scope) url.Values { return url.Values{"slot_id": {f.newSlot(sc)}} })},
	{pattern: "POST /agent/dossiers/{ref}/consulter", scoped: true,
		req: casePost("/consulter", func(*authzFixture, scope) url.Values { return url.Values{"purpose": {"processing"}} })},
	{pattern: "GET /agent/dossiers/{ref}/preuves/{id}", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		ref := f.newCase(sc)
		return "/agent/dossiers/" + ref + "/preuves/" + f.evidenceID(ref), nil
	}},
	{pattern: "POST /agent/dossiers/{ref}/notes", scoped: true,
		req: casePost("/notes", func(*authzFixture, scope) url.Values {
			return url.Values{"note": {"Rappeler la victime."}, "to": {"internal"}}
		})},
	{pattern: "POST /agent/dossiers/{ref}/attribuer", scoped: true,
		req: casePost("/attribuer", func(f *authzFixture, sc scope) url.Values { return url.Values{"agent": {f.assignee[sc]}} })},
	{pattern: "GET /agent/dossiers/{ref}/convertir", scoped: true, req: casePath("/convertir")},
	{pattern: "POST /agent/dossiers/{ref}/convertir", scoped: true,
		req: casePost("/convertir", func(f *authzFixture, _ scope) url.Values { return convertForm(f.desk.cw.Clock.Now()) })},
	{pattern: "GET /agent/dossiers/{ref}/plainte.pdf", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/dossiers/" + f.newComplaint(sc) + "/plainte.pdf", nil
	}},
	{pattern: "POST /agent/dossiers/{ref}/code", scoped: true,
		req: casePost("/code", func(*authzFixture, scope) url.Values { return url.Values{"identity_checked": {"yes"}} })},
	{pattern: "GET /agent/dossiers/{ref}/cloturer", scoped: true, req: casePath("/cloturer")},
	{pattern: "POST /agent/dossiers/{ref}/cloturer", scoped: true,
		req: casePost("/cloturer", func(*authzFixture, scope) url.Values { return url.Values{"reason": {"duplicate"}} })},
	{pattern: "GET /agent/calendrier", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/calendrier?unite=" + f.units[sc].ID, nil
	}},
	{pattern: "POST /agent/calendrier/creneaux", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/calendrier/creneaux", url.Values{"unite": {f.units[sc].ID}, "date": {"2026-03-20"}, "time": {"10:00"},
			"duration": {"30"}, "capacity": {"2"}}
	}},
	{pattern: "POST /agent/calendrier/creneaux/{id}/capacite", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/calendrier/creneaux/" + f.newSlot(sc) + "/capacite", url.Values{"unite": {f.units[sc].ID}, "capacity": {"4"}}
	}},
	{pattern: "POST /agent/calendrier/creneaux/{id}/fermer", scoped: true, req: func(f *authzFixture, sc scope) (string, url.Values) {
		return "/agent/calendrier/creneaux/" + f.newSlot(sc) + "/fermer", url.Values{"unite": {f.units[sc].ID}}
	}},
	{pattern: "GET /agent/echeances", supervisors: true, req: fixed("/agent/echeances")},
	{pattern: "GET /agent/acces", supervisors: true, req: fixed("/agent/acces")},
	{pattern: "GET /agent/envois", req: fixed("/agent/envois")},
}

// allowed says whether role may reach a route's object in sc.
func (rt authzRoute) allowed(role account.Role, sc scope) bool {
	switch {
	case role != account.RoleAgent && role != account.RoleSupervisor:
		return false
	case rt.supervisors && role != account.RoleSupervisor:
		return false
	case sc == scopeOwn || sc == scopeNone:
		return true
	case sc == scopeSub:
		return role == account.RoleSupervisor
	}
	return false
}

func (rt authzRoute) method() string { return strings.Fields(rt.pattern)[0] }

// TestAuthzTableCoversEveryRoute: the table above lists exactly the
// routes caseRoutes registers (read from the package's source, whichever
// file holds it), so a new page cannot be added without its authorisation
// being tested.
func TestAuthzTableCoversEveryRoute(t *testing.T) {
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var decls []ast.Decl
	fset := token.NewFileSet()
	for _, name := range sources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, file.Decls...)
	}
	var registered []string
	found := 0
	for _, d := range decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "caseRoutes" {
			continue
		}
		found++
		ast.Inspect(fn, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "handle") {
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok {
					t.Fatalf("caseRoutes registers a route whose pattern is not a literal: %T", call.Args[0])
				}
				p, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				registered = append(registered, p)
			}
			return true
		})
	}
	if found != 1 {
		t.Fatalf("found %d functions named caseRoutes, want 1", found)
	}
	if len(registered) < 10 {
		t.Fatalf("found %d routes in caseRoutes: the scan is broken", len(registered))
	}
	var table []string
	for _, rt := range authzRoutes {
		table = append(table, rt.pattern)
	}
	for _, p := range registered {
		if !slices.Contains(table, p) {
			t.Errorf("route %q is not in the authorisation table", p)
		}
	}
	for _, p := range table {
		if !slices.Contains(registered, p) {
			t.Errorf("the table lists %q, which caseRoutes does not register", p)
		}
	}
}

// TestAgentAuthorisation requests every back-office case route as every
// role, about objects of their unit, of another unit and of a sub-unit,
// and anonymously: allowed requests answer 200 or 303, everything else
// 404 exactly like a missing case, and anonymous ones are sent to sign in
// (GET) or refused (POST).
func TestAgentAuthorisation(t *testing.T) {
	f := newAuthzFixture(t)
	missing := map[account.Role]string{}
	for _, role := range account.Roles {
		_, body := f.desk.do("GET", "/agent/dossiers/PP-2026-0000-0000", f.tokens[role], nil)
		missing[role] = visible(body)
	}
	for _, rt := range authzRoutes {
		scopes := []scope{scopeNone}
		if rt.scoped {
			scopes = []scope{scopeOwn, scopeOther, scopeSub}
		}
		t.Run(rt.pattern, func(t *testing.T) {
			for _, sc := range scopes {
				for _, role := range account.Roles {
					path, form := rt.req(f, sc)
					if form == nil && rt.method() == "POST" {
						form = url.Values{}
					}
					r, body := f.desk.do(rt.method(), path, f.tokens[role], form)
					switch ok := r.StatusCode == http.StatusOK || r.StatusCode == http.StatusSeeOther; {
					case !rt.allowed(role, sc) && rt.landing != "":
						if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != rt.landing {
							t.Errorf("%s, %s: %d to %q, want 303 to %s", role, sc, r.StatusCode, loc, rt.landing)
						}
					case rt.allowed(role, sc) && !ok:
						t.Errorf("%s, %s: %d, want 200 or 303\n%s", role, sc, r.StatusCode, excerpt(body))
					case !rt.allowed(role, sc) && r.StatusCode != http.StatusNotFound:
						t.Errorf("%s, %s: %d, want 404", role, sc, r.StatusCode)
					case !rt.allowed(role, sc) && visible(body) != missing[role]:
						t.Errorf("%s, %s: the 404 page differs from a missing case's:\n%s\n%s", role, sc, visible(body), missing[role])
					}
				}
				path, form := rt.req(f, sc)
				if rt.method() == "POST" && form == nil {
					form = url.Values{}
				}
				r, _ := f.desk.do(rt.method(), path, "", form)
				switch rt.method() {
				case "GET":
					if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/agent/connexion?retour="+url.QueryEscape(path) {
						t.Errorf("anonymous, %s: %d to %q, want 303 to the sign-in page and back", sc, r.StatusCode, loc)
					}
				default:
					if r.StatusCode != http.StatusUnauthorized {
						t.Errorf("anonymous, %s: %d, want 401", sc, r.StatusCode)
					}
				}
			}
		})
	}
}

// TestAgentCSRF sends every state-changing back-office route, with a valid
// supervisor session and a valid form, from another site: each is refused
// with 403, and the same request from the page itself is accepted — so
// the refusal is the cross-origin check and nothing else.
func TestAgentCSRF(t *testing.T) {
	f := newAuthzFixture(t)
	tok := f.tokens[account.RoleSupervisor]
	for _, rt := range authzRoutes {
		if rt.method() != "POST" {
			continue
		}
		t.Run(rt.pattern, func(t *testing.T) {
			sc := scopeNone
			if rt.scoped {
				sc = scopeOwn
			}
			path, form := rt.req(f, sc)
			if form == nil {
				form = url.Values{}
			}
			r, _ := f.desk.do("POST", path, tok, form, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site POST %s: %d, want 403", path, r.StatusCode)
			}
			r, _ = f.desk.do("POST", path, tok, form, "Sec-Fetch-Site", "same-origin")
			if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusSeeOther {
				t.Errorf("same-origin POST %s: %d, want 200 or 303", path, r.StatusCode)
			}
		})
	}
}
