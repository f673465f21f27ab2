package demo_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// TestSeedReports: the demo's month of reports is what it says — a
// phishing campaign sharing one link and two numbers, routed by the
// rules, some with an outcome; every value it seeds is well formed.
func TestSeedReports(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, _ := vault.New(bytes.Repeat([]byte{1}, vault.KeySize), "t", rand.Reader)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ids := uuid7.New(nil, nil)
	if _, err := demo.SeedUnits(t.Context(), st, ids, now.AddDate(0, 0, -1), now); err != nil {
		t.Fatal(err)
	}
	svc := report.New(report.Deps{Store: st, Vault: v, Clock: fixedClock{now}, Rand: rand.Reader, IDs: ids, Units: st,
		Digest: func(c caseref.Code) []byte { s := sha256.Sum256([]byte(c)); return s[:] }})
	an := account.Principal{Pseudonym: "AN01", Role: account.RoleAnalyst}
	if err := demo.SeedRules(t.Context(), svc, account.Principal{Pseudonym: "SU01", Role: account.RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	got, err := demo.SeedReports(t.Context(), svc, an, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total < 400 || len(got.Samples) != 3 {
		t.Fatalf("seeded %d, samples %d", got.Total, len(got.Samples))
	}
	_, rows, err := svc.Search(t.Context(), an, "https://lnk.example/c0lis-7Hq")
	if err != nil || len(rows) != 100 { // the search lists 100 at most
		t.Errorf("the campaign's link: %d reports, %v", len(rows), err)
	}
	for _, typed := range []string{"01 99 00 12 34", "01 99 00 45 67"} {
		if _, rows, _ := svc.Search(t.Context(), an, typed); len(rows) < 100 {
			t.Errorf("%s in %d reports", typed, len(rows))
		}
	}
	// Half the phishing messages quote the real card-blocking line: in
	// the campaign, known-good, linking nothing.
	_, rows, err = svc.Search(t.Context(), an, "0 892 705 705")
	if err != nil || len(rows) == 0 {
		t.Fatalf("the card-blocking line in %d reports, %v", len(rows), err)
	}
	m, err := svc.Matches(t.Context(), an, rows[0].Case.Ref)
	if err != nil {
		t.Fatal(err)
	}
	card := false
	for _, x := range m.Matches {
		card = card || (x.Seen.Key == "phone:+33892705705" && !x.Links && x.NoLink.Code == report.NoLinkKnownGood)
	}
	if !card || m.Campaign.Reports < 300 {
		t.Errorf("the card-blocking line: %+v, campaign of %d", m.Matches, m.Campaign.Reports)
	}
	q, err := svc.Queue(t.Context(), an, report.QueueQuery{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	places := map[report.Place]int{}
	var local, interpol int
	for _, r := range q {
		d, err := svc.Report(t.Context(), an, r.Case.Ref)
		if err != nil {
			t.Fatal(err)
		}
		places[d.Place]++
		for _, rt := range d.Routes {
			switch rt.Service {
			case report.SvcLocal:
				local++
				if !strings.HasSuffix(rt.WhyFR, "Unité locale du territoire\u202f: Direction départementale de la police nationale du Rhône, Rhône (69).") {
					t.Errorf("%s: the local unit's reason %q", r.Case.Ref, rt.WhyFR)
				}
			case report.SvcInterpol:
				interpol++
				if !strings.HasSuffix(rt.WhyEN, "Country of the phone number: United Kingdom.") {
					t.Errorf("%s: Interpol's reason %q", r.Case.Ref, rt.WhyEN)
				}
			}
		}
		for _, m := range d.Values {
			if !m.Seen.Valid {
				t.Errorf("%s: the demo seeds an unreadable value %q (%s)", r.Case.Ref, m.Seen.Input, m.Seen.Reason)
			}
		}
		if len(d.Routes) == 0 {
			t.Errorf("%s (%s) was not routed", r.Case.Ref, r.Case.Category)
		}
	}
	if local == 0 || interpol == 0 {
		t.Errorf("routes by place: %d to the local unit, %d to Interpol", local, interpol)
	}
	if places[""] == 0 || places["69"] == 0 || places["75"] == 0 || places[report.PlaceAbroad] == 0 || len(places) < 6 {
		t.Errorf("places of the open reports: %v", places)
	}
	closed, err := svc.Queue(t.Context(), an, report.QueueQuery{Statuses: []casefile.Status{casefile.StatusClosed}, Limit: 200})
	if err != nil || len(closed) == 0 {
		t.Errorf("no report with an outcome: %v", err)
	}
}
