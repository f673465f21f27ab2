package web

import (
	"context"
	"time"

	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/verifier"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestVerifier: a value published by analysts is told with its count
// ("a few" below 5) and the month of its first report; the bank's
// interbank line is told genuine; an unknown value is told unknown,
// which does not mean safe; each answer links to a report pre-filled
// with the value. Nothing typed reaches the logs or an address.
func TestVerifier(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.get("/verifier").must(t, http.StatusOK, "Est-ce une arnaque", `name="valeur"`, `method="post"`)
	c.get("/").must(t, http.StatusOK, `href="/verifier"`, `href="/statistiques"`)

	// Unpublished, a reported number is told nothing of.
	for range 2 {
		c.post("/signaler/signalement", phishingSMS()).must(t, http.StatusOK, "Votre signalement est envoyé")
	}
	const number = "06 12 34 56 78"
	c.post("/verifier", url.Values{"valeur": {number}}).must(t, http.StatusOK, "Rien de connu", "ne veut pas dire qu’elle est sûre").
		lacks(t, "Signalé comme frauduleux")
	if err := e.store.PublishKey(t.Context(), "phone:+33612345678", "A7F2", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := c.post("/verifier", url.Values{"valeur": {number + "\n0 892 705 705\n01 99 00 99 99"}}).must(t, http.StatusOK,
		"Signalé comme frauduleux", "Signalé quelques fois depuis novembre\u00a02026",
		"Valeur officielle connue", "Serveur interbancaire d&#39;opposition à carte bancaire",
		"Rien de connu",
		`href="/signaler?canal=phone&amp;valeur=06&#43;12&#43;34&#43;56&#43;78"`)
	if strings.Count(r.Body, `class="verdict `) != 3 {
		t.Errorf("want 3 answers:\n%s", excerpt(r.Body))
	}

	// A whole SMS: its link and its number are found and answered.
	c.post("/verifier", url.Values{"valeur": {phishingSMS().Get("vu.0.valeur")}}).must(t, http.StatusOK,
		"https://colis-suivi.example.com/pay", "&#43;33 6 12 34 56 78", "Signalé comme frauduleux")

	// English.
	en := e.client("en")
	en.post("/verifier", url.Values{"valeur": {number}}).must(t, http.StatusOK, "Reported a few times since November\u00a02026")

	// The pre-filled report: the category page carries the value to the form.
	c.get("/signaler?canal=phone&valeur=06+12+34+56+78").must(t, http.StatusOK,
		`<input type="hidden" name="canal" value="phone">`, `<input type="hidden" name="valeur" value="06 12 34 56 78">`)
	c.get("/signaler/signalement?categorie=phishing&canal=phone&valeur=06+12+34+56+78").must(t, http.StatusOK, ">06 12 34 56 78</textarea>")

	// Bad input: a clear error beside the field, nothing lost.
	c.post("/verifier", url.Values{"valeur": {"  "}}).must(t, http.StatusUnprocessableEntity, `href="#f-valeur"`, "Collez un numéro")
	long := strings.Repeat("a", 2001)
	c.post("/verifier", url.Values{"valeur": {long}}).must(t, http.StatusUnprocessableEntity, "trop long", long)

	if logs := e.logs.String(); strings.Contains(logs, "12 34 56") || strings.Contains(logs, "612345678") || strings.Contains(logs, "705 705") || strings.Contains(logs, "892705705") {
		t.Errorf("a checked value reached the logs:\n%s", logs)
	}
}

// TestVerifierRateLimit: a client checking too fast is refused for a
// while with 429, what it typed kept; another client is not.
func TestVerifierRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *complaint.Config) { c.CheckRateLimit = Limit{Rate: 1.0 / 60, Burst: 2} })
	c := e.client("fr")
	for range 2 {
		c.post("/verifier", url.Values{"valeur": {"01 99 00 99 99"}}).must(t, http.StatusOK, "Rien de connu")
	}
	c.post("/verifier", url.Values{"valeur": {"01 99 00 99 98"}}).must(t, http.StatusTooManyRequests, "Réessayez dans", "01 99 00 99 98").
		lacks(t, "Rien de connu")
}

type fakeWarnings []verifier.Cite

func (f fakeWarnings) Citing(context.Context, []string, time.Time) ([]verifier.Cite, error) {
	return f, nil
}

// TestVerifierWarnings: a warning citing a checked value is named beside
// it, in the page's language, with a link to it.
func TestVerifierWarnings(t *testing.T) {
	e := newEnv(t)
	e.web.d.Verifier = verifier.New(verifier.Deps{Store: e.store, Clock: e.clock, Warnings: fakeWarnings{{
		Ref: "AV-2026-0001", Slug: "faux-frais-de-colis", Keys: []string{"phone:+33612345678"},
		Titles: map[string]string{"fr": "Faux frais de colis", "en": "Fake parcel fees"}}}})
	e.client("fr").post("/verifier", url.Values{"valeur": {"06 12 34 56 78\n01 99 00 99 99"}}).must(t, http.StatusOK,
		"Décrit dans l’avis de prévention", `<a href="/avis/faux-frais-de-colis">Faux frais de colis</a>`)
	e.client("en").post("/verifier", url.Values{"valeur": {"06 12 34 56 78"}}).must(t, http.StatusOK, "Fake parcel fees")
}
