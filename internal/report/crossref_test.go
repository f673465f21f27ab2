package report_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newService(t *testing.T) *report.Service {
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
	c := &clock{time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	return report.New(report.Deps{Store: st, Vault: v, Digest: func(c caseref.Code) []byte { return []byte(c) },
		Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader)})
}

var (
	analyst    = account.Principal{Pseudonym: "A7F2", Role: account.RoleAnalyst}
	supervisor = account.Principal{Pseudonym: "S1B4", Role: account.RoleSupervisor}
	agent      = account.Principal{Pseudonym: "G3K9", Role: account.RoleAgent}
)

func submit(t *testing.T, s *report.Service, seen ...report.SeenInput) *report.Filed {
	t.Helper()
	f, err := s.Submit(t.Context(), report.Input{Category: report.CatFakeAdviser, Seen: seen, Lane: report.LaneNormal})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAnalystSeesMatchesAtOnce: once filed, a report says to an analyst
// how many reports hold each of its values and in which campaign, or why a
// value ties it to nothing.
func TestAnalystSeesMatchesAtOnce(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	phone := report.SeenInput{Channel: "phone", Value: "06 12 34 56 78"}
	for range 3 {
		submit(t, s, phone, report.SeenInput{Channel: "email", Value: "contact@gmail.com"})
	}
	f := submit(t, s, report.SeenInput{Channel: "phone", Value: "+33 6 12 34 56 78"},
		report.SeenInput{Channel: "url", Value: "https://www.gmail.com"}, report.SeenInput{Channel: "iban", Value: "FR76 1234"})
	m, err := s.Matches(ctx, analyst, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if m.Campaign.Reports != 4 || m.Campaign.Ref == "" || len(m.Matches) != 2 {
		t.Fatalf("matching: %+v", m)
	}
	num, home := m.Matches[0], m.Matches[1]
	if num.Seen.Key != "phone:+33612345678" || num.Reports != 4 || num.Others() != 3 || !num.Links {
		t.Errorf("the number: %+v", num)
	}
	if home.Links || home.NoLink.Code != report.NoLinkKnownGood || home.NoLink.KnownGood.Label != "Gmail (Google)" ||
		home.NoLink.MessageKey() != "report.nolink.known_good" {
		t.Errorf("gmail's home page: %+v", home)
	}
	if _, err := s.Matches(ctx, agent, f.Ref); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an agent read matches: %v", err)
	}
	if _, err := s.Matches(ctx, analyst, "SG-2026-0000-0000"); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("unknown report: %v", err)
	}

	v, err := s.Campaign(ctx, analyst, m.Campaign.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Reports == nil || len(v.Reports) != 4 || v.Asked != "" || len(v.Keys) == 0 || v.Keys[0].Key != "phone:+33612345678" || !v.Keys[0].Links {
		t.Errorf("campaign: %+v", v)
	}
	if len(v.Categories) != 1 || v.Categories[0] != (report.Count{Value: string(report.CatFakeAdviser), Reports: 4}) {
		t.Errorf("categories: %+v", v.Categories)
	}
	list, err := s.Campaigns(ctx, analyst, report.CampaignFilter{})
	if err != nil || len(list) != 1 || list[0].Ref != m.Campaign.Ref {
		t.Errorf("list: %+v, %v", list, err)
	}
	if _, err := s.Campaign(ctx, analyst, "C-2026-XXXX"); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("a malformed reference: %v", err)
	}
}

// TestMergedCampaignLeadsOn: the reference of a campaign merged into a
// larger one opens the larger one.
func TestMergedCampaignLeadsOn(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	a := report.SeenInput{Channel: "url", Value: "http://faux-colis.example/suivi"}
	b := report.SeenInput{Channel: "phone", Value: "06 11 22 33 44"}
	submit(t, s, a)
	submit(t, s, a)
	small := submit(t, s, b)
	ms, err := s.Matches(ctx, analyst, small.Ref)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, s, a, b)
	v, err := s.Campaign(ctx, analyst, ms.Campaign.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Asked != ms.Campaign.Ref || v.Ref == ms.Campaign.Ref || v.Campaign.Reports != 4 {
		t.Errorf("merged reference: asked %s, got %+v", ms.Campaign.Ref, v.Campaign)
	}
}

// TestKnownGoodBySupervisors: supervisors edit the list, with errors said
// beside the field; analysts cannot.
func TestKnownGoodBySupervisors(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	x := submit(t, s, report.SeenInput{Channel: "url", Value: "https://www.ma-banque-exemple.fr/"})
	y := submit(t, s, report.SeenInput{Channel: "url", Value: "https://ma-banque-exemple.fr"}, report.SeenInput{Channel: "url", Value: "https://www.ma-banque-exemple.fr"})
	if _, err := s.AddKnownGood(ctx, analyst, "domain", "ma-banque-exemple.fr", report.KnownGoodBank, "Ma Banque"); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an analyst edited the list: %v", err)
	}
	_, err := s.AddKnownGood(ctx, supervisor, "planet", "not a domain", "nothing", " ")
	var verr *guichet.ValidationError
	if !errors.As(err, &verr) || len(verr.Fields) != 3 {
		t.Fatalf("bad entry: %v", err)
	}
	e, err := s.AddKnownGood(ctx, supervisor, "domain", "WWW.Ma-Banque-Exemple.fr.", report.KnownGoodBank, " Ma Banque ")
	if err != nil {
		t.Fatal(err)
	}
	if e.Key != "domain:www.ma-banque-exemple.fr" || e.Label != "Ma Banque" || e.AddedBy != "S1B4" {
		t.Errorf("entry %+v", e)
	}
	_, err = s.AddKnownGood(ctx, supervisor, "domain", "www.ma-banque-exemple.fr", report.KnownGoodBank, "Ma Banque")
	if !errors.As(err, &verr) || verr.Fields[0].Field != "value" || verr.Fields[0].Key != "report.err.known_good_listed" {
		t.Errorf("a second time: %v", err)
	}
	mx, err := s.Matches(ctx, analyst, x.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if mx.Campaign.Reports != 1 || mx.Matches[0].NoLink.Code != report.NoLinkKnownGood {
		t.Errorf("after listing: %+v", mx)
	}
	list, err := s.KnownGood(ctx, analyst)
	if err != nil || len(list) < 50 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	if err := s.RemoveKnownGood(ctx, analyst, e.Key); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an analyst removed an entry: %v", err)
	}
	if err := s.RemoveKnownGood(ctx, supervisor, e.Key); err != nil {
		t.Fatal(err)
	}
	my, err := s.Matches(ctx, analyst, y.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if my.Campaign.Reports != 2 {
		t.Errorf("off the list, the home page links again: %+v", my.Campaign)
	}
}

// TestReporterSeesOnlyPublished: a reporter sees how many reports hold a
// value only once an analyst published it.
func TestReporterSeesOnlyPublished(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	num := report.SeenInput{Channel: "phone", Value: "06 98 76 54 32"}
	url := report.SeenInput{Channel: "url", Value: "http://faux-conseiller.example/"}
	submit(t, s, num, url)
	f := submit(t, s, num, url)
	v, err := s.View(ctx, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Published) != 0 {
		t.Fatalf("unpublished matches shown: %+v", v.Published)
	}
	if err := s.Publish(ctx, agent, "phone:+33698765432"); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an agent published: %v", err)
	}
	if err := s.Publish(ctx, analyst, "phone:+33698765432"); err != nil {
		t.Fatal(err)
	}
	v, err = s.View(ctx, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Published) != 1 || v.Published[0].Seen.Key != "phone:+33698765432" || v.Published[0].Reports != 2 {
		t.Errorf("published: %+v", v.Published)
	}
	if err := s.Unpublish(ctx, analyst, "phone:+33698765432"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.View(ctx, f.Ref); len(v.Published) != 0 {
		t.Errorf("still shown: %+v", v.Published)
	}
}
