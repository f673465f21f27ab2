package bulletin_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/storetest"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	supervisor = account.Principal{Pseudonym: "S1P2", Role: account.RoleSupervisor}
	analyst    = account.Principal{Pseudonym: "A7F2", Role: account.RoleAnalyst}
	agent      = account.Principal{Pseudonym: "G3H4", Role: account.RoleAgent}
	admin      = account.Principal{Pseudonym: "D5E6", Role: account.RoleAdmin}
)

type env struct {
	store    *sqlite.Store
	clock    *stepClock
	svc      *bulletin.Service
	reports  *report.Service
	campaign string // a campaign of the reports filed
	key      string // a key of it, published
	unpub    string // a key of it, not published
}

// newEnv opens a real SQLite store, files two reports of the same
// phishing SMS through the report service and publishes its phone number.
func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &stepClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	ids := uuid7.New(c.Now, rand.Reader)
	reps := report.New(report.Deps{Store: st, Vault: v, Clock: c, Rand: rand.Reader, IDs: ids,
		Digest: func(code caseref.Code) []byte { s := sha256.Sum256([]byte(code)); return s[:] }})
	e := &env{store: st, clock: c, reports: reps,
		svc: bulletin.New(bulletin.Deps{Store: st, Evidence: st, Clock: c, Rand: rand.Reader, IDs: ids})}
	var ref string
	for range 2 {
		f, err := reps.Submit(t.Context(), report.Input{Category: report.CatPhishing, Lang: "fr", Victim: report.VictimNo,
			Seen: []report.SeenInput{{Channel: "sms", Value: "Colis bloqué : https://colis-frais.example/p ou 01 99 00 12 34"}}})
		if err != nil {
			t.Fatal(err)
		}
		ref = f.Ref
	}
	cs, _, err := st.CaseByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := st.ReportCampaign(t.Context(), cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.campaign, e.key, e.unpub = camp.Ref, "phone:+33199001234", "url:https://colis-frais.example/p"
	if err := reps.Publish(t.Context(), analyst, e.key); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) content(slug string) bulletin.Content {
	c := storetest.SampleBulletin(slug)
	c.ValidFrom = e.clock.Now().Add(-time.Hour)
	c.Keys = []string{e.key}
	c.Campaigns = []string{e.campaign}
	return c
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	ref, err := e.svc.Create(ctx, analyst, e.content("faux-sms-colis"))
	if err != nil {
		t.Fatal(err)
	}
	// A draft is not public, not current, cited by nothing.
	if _, err := e.svc.Public(ctx, "faux-sms-colis"); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("draft public: %v, want ErrNotFound", err)
	}
	if cur, _ := e.svc.Current(ctx, e.clock.Now(), ""); len(cur) != 0 {
		t.Fatalf("draft current: %+v", cur)
	}
	// Preview: the writer reads the draft.
	b, err := e.svc.Get(ctx, analyst, ref)
	if err != nil || b.Draft == nil || b.Draft.FR.Title == "" {
		t.Fatalf("preview: %+v, %v", b, err)
	}
	v1, err := e.svc.Publish(ctx, supervisor, ref)
	if err != nil {
		t.Fatal(err)
	}
	if v1.N != 1 || v1.Digest != v1.Content.Digest() {
		t.Fatalf("version 1 = %+v", v1)
	}
	// Public by slug and by reference, in any case.
	for _, k := range []string{"faux-sms-colis", ref, toLower(ref)} {
		got, err := e.svc.Public(ctx, k)
		if err != nil || got.Ref() != ref || got.Published.N != 1 {
			t.Fatalf("Public(%q) = %+v, %v", k, got, err)
		}
	}
	cites, err := e.svc.Citing(ctx, []string{e.key, "phone:+33100000000"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(cites) != 1 || cites[0].Ref != ref || cites[0].Slug != "faux-sms-colis" || len(cites[0].Keys) != 1 || cites[0].Keys[0] != e.key ||
		cites[0].Titles["en"] != "Fake parcel fee text messages" {
		t.Fatalf("Citing = %+v", cites)
	}
	// Nothing to publish without a new draft.
	if _, err := e.svc.Publish(ctx, supervisor, ref); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("publish without draft: %v, want ErrConflict", err)
	}
	// Update: version 2, version 1 kept.
	c2 := e.content("faux-sms-colis")
	c2.EN.Summary = "A text asks for a 1.99 euro fee for a parcel."
	e.clock.Add(time.Hour)
	if err := e.svc.SaveDraft(ctx, analyst, ref, c2); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Public(ctx, ref); got.Published.Content.EN.Summary == c2.EN.Summary {
		t.Fatal("a saved draft changed the published bulletin before it was published")
	}
	v2, err := e.svc.Publish(ctx, analyst, ref)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Public(ctx, ref)
	vs, err := e.svc.Versions(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if v2.N != 2 || len(vs) != 2 || vs[0].Digest != v1.Digest || vs[1].Content.EN.Summary != c2.EN.Summary {
		t.Fatalf("versions = %+v", vs)
	}
	// The log gets the digest of each version.
	evs, _ := e.store.CaseEvents(ctx, got.Case.ID)
	if len(evs) != 3 || evs[1].Data["digest"] != v1.Digest || evs[2].Type != bulletin.EventUpdated || evs[2].Data["digest"] != v2.Digest {
		t.Fatalf("events = %+v", evs)
	}
	// Withdraw: no longer current nor cited; still readable (a CAP Cancel).
	if err := e.svc.Withdraw(ctx, supervisor, ref); err != nil {
		t.Fatal(err)
	}
	if cur, _ := e.svc.Current(ctx, e.clock.Now(), ""); len(cur) != 0 {
		t.Fatalf("withdrawn still current: %+v", cur)
	}
	if cites, _ := e.svc.Citing(ctx, []string{e.key}, e.clock.Now()); len(cites) != 0 {
		t.Fatalf("withdrawn still cited: %+v", cites)
	}
	if got, err := e.svc.Public(ctx, ref); err != nil || !got.Withdrawn() {
		t.Fatalf("withdrawn: %+v, %v", got, err)
	}
	if err := e.svc.Withdraw(ctx, supervisor, ref); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("withdraw twice: %v, want ErrConflict", err)
	}
	if err := e.svc.SaveDraft(ctx, analyst, ref, c2); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("edit withdrawn: %v, want ErrConflict", err)
	}
}

func toLower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestRoles(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, p := range []account.Principal{agent, admin, {Role: account.RoleDispatcher}} {
		if _, err := e.svc.Create(ctx, p, e.content("role-"+string(p.Role))); !errors.Is(err, guichet.ErrForbidden) {
			t.Errorf("%s creates: %v, want ErrForbidden", p.Role, err)
		}
	}
	ref, err := e.svc.Create(ctx, analyst, e.content("par-analyste"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(ctx, agent, ref); !errors.Is(err, guichet.ErrForbidden) {
		t.Fatalf("agent publishes: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Get(ctx, agent, ref); !errors.Is(err, guichet.ErrForbidden) {
		t.Fatalf("agent reads a draft: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.List(ctx, agent); !errors.Is(err, guichet.ErrForbidden) {
		t.Fatalf("agent lists: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Publish(ctx, analyst, ref); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(ctx, agent, ref); !errors.Is(err, guichet.ErrForbidden) {
		t.Fatalf("agent withdraws: %v, want ErrForbidden", err)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	bad := e.content("Pas Un Slug!")
	bad.FR.Title = ""
	bad.EN.Do = ""
	bad.Level = "extreme"
	bad.Audiences = nil
	bad.ValidUntil = bad.ValidFrom.Add(-time.Hour)
	bad.Keys = []string{e.unpub, "phone:+33100000000"}
	bad.Campaigns = []string{"C-2026-0000-0000", "pas une référence"}
	_, err := e.svc.Create(ctx, analyst, bad)
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("Create(bad) = %v, want a ValidationError", err)
	}
	for _, f := range []string{"slug", "level", "audiences", "fr.title", "en.do", "valid_until", "keys", "campaigns"} {
		if _, ok := v.For(f); !ok {
			t.Errorf("no error for %s in %v", f, v)
		}
	}
	n := 0
	for _, fe := range v.Fields {
		if fe.Field == "keys" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("keys: %d errors, want one per key neither published (%s) nor known", n, e.unpub)
	}
	// Only published keys may be cited: unpublishing one stops a later
	// publication of a draft citing it.
	ref, err := e.svc.Create(ctx, analyst, e.content("cite-puis-retire"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.reports.Unpublish(ctx, analyst, e.key); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(ctx, analyst, ref); !errors.As(err, &v) {
		t.Fatalf("publish citing an unpublished key: %v, want a ValidationError", err)
	}
	// A slug is taken once.
	if err := e.reports.Publish(ctx, analyst, e.key); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(ctx, analyst, e.content("cite-puis-retire")); !errors.As(err, &v) {
		t.Fatalf("slug taken: %v", err)
	} else if _, ok := v.For("slug"); !ok {
		t.Fatalf("slug taken: %v", v)
	}
}

func TestCurrentFilters(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := e.clock.Now()
	mk := func(slug string, aud bulletin.Audience, lvl bulletin.Level, from, until time.Time) {
		c := e.content(slug)
		c.Audiences, c.Level, c.ValidFrom, c.ValidUntil = []bulletin.Audience{aud}, lvl, from, until
		ref, err := e.svc.Create(ctx, supervisor, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Publish(ctx, supervisor, ref); err != nil {
			t.Fatal(err)
		}
	}
	mk("jeunes", bulletin.AudienceYoung, bulletin.LevelInfo, now.Add(-time.Hour), time.Time{})
	mk("entreprises", bulletin.AudienceBusiness, bulletin.LevelAlert, now.Add(-time.Hour), now.Add(time.Hour))
	mk("tous", bulletin.AudienceEveryone, bulletin.LevelWarning, now.Add(-time.Hour), time.Time{})
	mk("fini", bulletin.AudienceEveryone, bulletin.LevelAlert, now.Add(-48*time.Hour), now.Add(-time.Hour))
	mk("futur", bulletin.AudienceEveryone, bulletin.LevelAlert, now.Add(time.Hour), time.Time{})
	slugs := func(a bulletin.Audience) []string {
		cur, err := e.svc.Current(ctx, now, a)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range cur {
			out = append(out, b.Slug)
		}
		return out
	}
	if got := slugs(""); len(got) != 3 || got[0] != "entreprises" || got[1] != "tous" || got[2] != "jeunes" {
		t.Fatalf("current = %v, want the most serious first: entreprises, tous, jeunes", got)
	}
	if got := slugs(bulletin.AudienceYoung); len(got) != 2 || got[0] != "tous" || got[1] != "jeunes" {
		t.Fatalf("for young people = %v, want tous, jeunes", got)
	}
}

func TestCAPMapping(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := bulletin.Content{Level: bulletin.LevelAlert, ValidFrom: now.Add(-time.Hour)}
	if c.Severity() != "Severe" || c.Urgency(now, false) != "Immediate" || c.Certainty() != "Likely" {
		t.Fatalf("alert: %s %s %s", c.Severity(), c.Urgency(now, false), c.Certainty())
	}
	c.Level, c.Keys = bulletin.LevelWarning, []string{"phone:+33199001234"}
	if c.Severity() != "Moderate" || c.Urgency(now, false) != "Expected" || c.Certainty() != "Observed" {
		t.Fatalf("warning: %s %s %s", c.Severity(), c.Urgency(now, false), c.Certainty())
	}
	c.Level = bulletin.LevelInfo
	if c.Severity() != "Minor" || c.Urgency(now, true) != "Past" || c.Urgency(now.Add(-2*time.Hour), false) != "Future" {
		t.Fatalf("info: %s %s %s", c.Severity(), c.Urgency(now, true), c.Urgency(now.Add(-2*time.Hour), false))
	}
}

func TestNormalizeFrench(t *testing.T) {
	c := bulletin.Content{FR: bulletin.Text{Title: "Faux SMS : « colis »", Do: "Appelez le 17 ! [Pharos](https://www.internet-signalement.gouv.fr/a?b=c:d)"}}
	bulletin.Normalize(&c)
	if c.FR.Title != "Faux SMS\u202f: «\u202fcolis\u202f»" {
		t.Errorf("title = %q", c.FR.Title)
	}
	if want := "Appelez le 17\u202f! [Pharos](https://www.internet-signalement.gouv.fr/a?b=c:d)"; c.FR.Do != want {
		t.Errorf("do = %q, want %q (the URL untouched)", c.FR.Do, want)
	}
}
