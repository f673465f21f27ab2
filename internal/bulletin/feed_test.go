package bulletin_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files of the feeds")

// TestLabels are the feeds' words in the tests (the server's come from
// its catalogue).
var TestLabels = map[string]bulletin.Labels{
	"fr": {FeedTitle: "Avis de la police", FeedSubtitle: "Escroqueries en cours et conseils", CAPTitle: "Alertes CAP",
		Looks: "À quoi ça ressemble", Do: "Que faire", SenderName: "guichet — commissariat en ligne",
		Contact: "En cas d’urgence : 17 ou 112", Area: "France",
		Audiences: map[bulletin.Audience]string{"everyone": "tout le monde", "young": "jeunes", "seniors": "seniors", "business": "entreprises"}},
	"en": {FeedTitle: "Police warnings", FeedSubtitle: "Current scams and advice", CAPTitle: "CAP alerts",
		Looks: "What it looks like", Do: "What to do", SenderName: "guichet — online police station",
		Contact: "In an emergency: 17 or 112", Area: "France",
		Audiences: map[bulletin.Audience]string{"everyone": "everyone", "young": "young people", "seniors": "seniors", "business": "businesses"}},
}

var site = bulletin.Site{Base: "https://guichet.example.fr", Labels: TestLabels}

// fixtures are three bulletins: one published once, one updated, one
// updated then withdrawn.
func fixtures() ([]bulletin.Bulletin, map[string][]bulletin.Version) {
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	mk := func(ref, slug string, c bulletin.Content, n int, withdrawn bool, at time.Time) (bulletin.Bulletin, []bulletin.Version) {
		var vs []bulletin.Version
		for i := 1; i <= n; i++ {
			ci := c
			if i < n {
				ci.FR.Summary += " (première version)"
			}
			ci.Slug = slug
			vs = append(vs, bulletin.Version{N: i, Content: ci, Digest: ci.Digest(), At: at.Add(time.Duration(i-1) * 24 * time.Hour), By: "A7F2"})
		}
		b := bulletin.Bulletin{Slug: slug, Published: &vs[n-1], PublishedAt: at}
		b.Case.Ref = ref
		if withdrawn {
			b.WithdrawnAt = vs[n-1].At.Add(48 * time.Hour)
		}
		return b, vs
	}
	c1 := storetest.SampleBulletin("faux-sms-colis")
	c1.ValidFrom = t0
	c1.FR.Do += "\n\n[Signaler sur Pharos](https://www.internet-signalement.gouv.fr/) & <b>pas de HTML</b>"
	c2 := storetest.SampleBulletin("faux-conseiller-bancaire")
	c2.Level, c2.Audiences, c2.Keys = bulletin.LevelAlert, []bulletin.Audience{bulletin.AudienceSeniors, bulletin.AudienceEveryone}, nil
	c2.FR.Title, c2.EN.Title = "Faux conseiller bancaire", "Fake bank adviser"
	c2.ValidFrom, c2.ValidUntil = t0, t0.AddDate(0, 3, 0)
	c3 := storetest.SampleBulletin("ancienne-arnaque")
	c3.Level, c3.ValidFrom = bulletin.LevelInfo, t0.AddDate(0, -2, 0)
	b1, v1 := mk("AV-2026-7KQ3-M9TX", "faux-sms-colis", c1, 1, false, t0.Add(time.Hour))
	b2, v2 := mk("AV-2026-4RB8-P2KD", "faux-conseiller-bancaire", c2, 2, false, t0.Add(2*time.Hour))
	b3, v3 := mk("AV-2026-Z1Y2-X3WQ", "ancienne-arnaque", c3, 2, true, t0.AddDate(0, -1, 0))
	return []bulletin.Bulletin{b2, b1, b3}, map[string][]bulletin.Version{b1.Ref(): v1, b2.Ref(): v2, b3.Ref(): v3}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n%s", name, got)
	}
}

// schemas returns the CAP 1.2 XSD and the Atom RELAX NG (compact) grammar
// from the shared corpus, and checks the validators are there: both skip
// when absent, unless GUICHET_REQUIRE_CORPUS or CI is set.
func schemas(t *testing.T) (xsd, rnc string) {
	t.Helper()
	required := os.Getenv("GUICHET_REQUIRE_CORPUS") != "" || os.Getenv("CI") != ""
	miss := func(what string) {
		if required {
			t.Fatalf("%s is missing and GUICHET_REQUIRE_CORPUS or CI is set", what)
		}
		t.Skipf("%s is missing: schema validation skipped", what)
	}
	dir := os.Getenv("GUICHET_CORPUS")
	if dir == "" {
		miss("GUICHET_CORPUS")
	}
	xsd = filepath.Join(dir, "cap", "google-cap-library", "schema", "cap12.xsd")
	rnc = filepath.Join(dir, "cap", "google-cap-library", "schema", "feed", "atom_rfc4287.rng")
	for _, f := range []string{xsd, rnc} {
		if _, err := os.Stat(f); err != nil {
			miss(f)
		}
	}
	for _, tool := range []string{"xmllint", "jing"} {
		if _, err := exec.LookPath(tool); err != nil {
			miss(tool + " (Debian packages libxml2-utils and jing)")
		}
	}
	return xsd, rnc
}

func validate(t *testing.T, name string, doc []byte, cmd ...string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cmd[0], append(cmd[1:], f)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s is not valid (%s): %v\n%s", name, strings.Join(cmd, " "), err, out)
	}
}

func TestFeeds(t *testing.T) {
	bs, versions := fixtures()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	docs := map[string][]byte{}
	for _, lang := range bulletin.Langs {
		doc, err := bulletin.Atom(site, lang, bs)
		if err != nil {
			t.Fatal(err)
		}
		docs["flux."+lang+".atom"] = doc
	}
	idx, err := bulletin.CAPIndex(site, bs, func(b *bulletin.Bulletin) []bulletin.Version { return versions[b.Ref()] })
	if err != nil {
		t.Fatal(err)
	}
	docs["cap.atom"] = idx
	for _, b := range bs {
		doc, err := bulletin.CAP(site, &b, versions[b.Ref()], at)
		if err != nil {
			t.Fatal(err)
		}
		docs[b.Ref()+".cap.xml"] = doc
	}
	for name, doc := range docs {
		golden(t, name, doc)
	}

	// What a subscriber checks.
	fr := string(docs["flux.fr.atom"])
	if strings.Contains(fr, "ancienne-arnaque") || !strings.Contains(fr, "faux-sms-colis") {
		t.Error("the Atom feed must hold current bulletins and not withdrawn ones")
	}
	if strings.Contains(fr, "&lt;b&gt;") || !strings.Contains(fr, "&amp;lt;b&amp;gt;") {
		t.Error("raw HTML in a bulletin must reach the feed as text")
	}
	c2 := string(docs["AV-2026-4RB8-P2KD.cap.xml"])
	for _, want := range []string{"<msgType>Update</msgType>", "<references>avis@guichet.example.fr,guichet.example.fr-AV-2026-4RB8-P2KD-v1,2026-11-02T11:30:00-00:00</references>",
		"<language>fr</language>", "<language>en</language>", "<category>Security</category>",
		"<severity>Severe</severity>", "<urgency>Immediate</urgency>", "<certainty>Likely</certainty>"} {
		if !strings.Contains(c2, want) {
			t.Errorf("updated bulletin's CAP lacks %s", want)
		}
	}
	c3 := string(docs["AV-2026-Z1Y2-X3WQ.cap.xml"])
	if !strings.Contains(c3, "<msgType>Cancel</msgType>") || !strings.Contains(c3, "-v1,") || !strings.Contains(c3, "-v2,") || !strings.Contains(c3, "<urgency>Past</urgency>") {
		t.Errorf("withdrawn bulletin's CAP must be a Cancel referencing both versions:\n%s", c3)
	}
	if c1 := string(docs["AV-2026-7KQ3-M9TX.cap.xml"]); !strings.Contains(c1, "<msgType>Alert</msgType>") || strings.Contains(c1, "<references>") {
		t.Errorf("a bulletin published once is an Alert without references:\n%s", c1)
	}

	xsd, rnc := schemas(t)
	for name, doc := range docs {
		if strings.HasSuffix(name, ".cap.xml") {
			validate(t, name, doc, "xmllint", "--noout", "--nonet", "--schema", xsd)
		} else {
			validate(t, name, doc, "jing", "-c", rnc)
		}
	}
	// The validators do refuse: a CAP alert without its scope, an Atom
	// feed without its id.
	validateFails(t, "bad.cap.xml", bytes.Replace(docs["AV-2026-7KQ3-M9TX.cap.xml"], []byte("<scope>Public</scope>"), nil, 1), "xmllint", "--noout", "--nonet", "--schema", xsd)
	validateFails(t, "bad.atom", bytes.Replace(docs["flux.fr.atom"], []byte("<id>https://guichet.example.fr/avis/flux.atom</id>"), nil, 1), "jing", "-c", rnc)
}

func validateFails(t *testing.T, name string, doc []byte, cmd ...string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cmd[0], append(cmd[1:], f)...).CombinedOutput(); err == nil {
		t.Fatalf("%s accepted a broken %s:\n%s", cmd[0], name, out)
	}
}

func BenchmarkFeeds(b *testing.B) {
	bs, versions := fixtures()
	// 50 current bulletins, as a busy month might hold.
	var many []bulletin.Bulletin
	for range 17 {
		many = append(many, bs...)
	}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	b.Run("atom-50", func(b *testing.B) {
		for b.Loop() {
			if _, err := bulletin.Atom(site, "fr", many); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cap-index-50", func(b *testing.B) {
		for b.Loop() {
			if _, err := bulletin.CAPIndex(site, many, func(x *bulletin.Bulletin) []bulletin.Version { return versions[x.Ref()] }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cap-one", func(b *testing.B) {
		for b.Loop() {
			if _, err := bulletin.CAP(site, &bs[0], versions[bs[0].Ref()], at); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPoster(t *testing.T) {
	bs, _ := fixtures()
	l := bulletin.PosterLabels{Band: "AVIS DE LA POLICE", Level: "Vigilance", Looks: "À quoi ça ressemble", Do: "Que faire",
		Scan: "Scannez pour lire l’avis", Emergency: "Urgence : 17 ou 112", Footer: "guichet — avis AV-2026-7KQ3-M9TX, version 1"}
	for _, lang := range bulletin.Langs {
		a, err := bulletin.Poster(&bs[1], lang, site.PageURL(&bs[1]), l)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := bulletin.Poster(&bs[1], lang, site.PageURL(&bs[1]), l)
		if !bytes.HasPrefix(a, []byte("%PDF-")) || !bytes.Equal(a, b) {
			t.Fatalf("%s poster: not a PDF, or not the same bytes twice", lang)
		}
		if n := bytes.Count(a, []byte("/Type /Page\n")) + bytes.Count(a, []byte("/Type /Page ")); n > 1 {
			t.Errorf("%s poster: %d pages, want one A4 page", lang, n)
		}
	}
	draft := bulletin.Bulletin{}
	if _, err := bulletin.Poster(&draft, "fr", "https://x.fr/", l); err == nil {
		t.Fatal("a poster of a draft")
	}
}
