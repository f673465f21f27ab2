package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guichet/guichet"
)

var draftCodeRE = codePattern{regexp.MustCompile(`<p class="code" id="draft-code">(.*?)</p>`)}

// TestJourney files a pre-complaint over HTTP from the home page to the
// status page, in French and in English.
func TestJourney(t *testing.T) {
	for _, tc := range []struct {
		accept, lang  string
		home, cont    string
		errPrefix     string
		required      string
		confirmed     string
		statusWording string
	}{
		{"fr-FR,fr;q=0.9", "fr", "Vos démarches de police en ligne", "Enregistrer et continuer", "<title>Erreur\u202f: ",
			"Indiquez votre nom de famille, tel qu’il figure sur votre pièce d’identité.", "Votre pré-plainte est envoyée", "Envoyée, en attente du rendez-vous"},
		{"en-GB,en;q=0.8", "en", "Dealing with the police, online", "Save and continue", "<title>Error: ",
			"Enter your last name, as on your identity document.", "Your pre-complaint has been sent", "Sent, awaiting the appointment"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.accept)
			c.get("/").must(t, 200, `<html lang="`+tc.lang+`">`, tc.home, `href="tel:17"`, `href="tel:112"`, `href="sms:114"`)
			c.get("/preplainte").must(t, 200, `name="emergency"`, `value="online_scam"`)

			r := c.post("/preplainte", answers()).must(t, 200)
			if r.Path != "/preplainte/code?nouveau=1" {
				t.Fatalf("after eligibility: at %s", r.Path)
			}
			if draftCodeRE.FindStringSubmatch(r.Body) == nil {
				t.Fatalf("no draft code shown:\n%s", excerpt(r.Body))
			}

			// Steps beyond the furthest reached are out of reach, to see
			// or to post.
			if r := c.get("/preplainte/recapitulatif"); r.Path != "/preplainte/identite" {
				t.Fatalf("jumped ahead to %s", r.Path)
			}
			if r := c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {"x"}}); r.Path != "/preplainte/identite" {
				t.Fatalf("posted ahead, now at %s", r.Path)
			}
			if r := c.upload("facture.pdf", []byte("%PDF-1.4\n")); r.Path != "/preplainte/identite" {
				t.Fatalf("uploaded ahead, now at %s", r.Path)
			}

			// Errors: summary, messages by the fields, what was typed kept.
			bad := with(identity(), "last_name", "", "email", "pas-une-adresse")
			r = c.post("/preplainte/identite", bad).must(t, http.StatusUnprocessableEntity,
				tc.errPrefix, `class="error-summary" role="alert"`, `href="#f-last_name"`, `href="#f-email"`,
				tc.required, `value="pas-une-adresse"`, `value="Léa"`, `aria-invalid="true"`,
				`aria-describedby="f-last_name-hint f-last_name-error"`, `autocomplete="family-name"`,
				`aria-current="step"`, tc.cont)

			r = c.post("/preplainte/identite", identity()).must(t, 200)
			if r.Path != "/preplainte/faits" {
				t.Fatalf("after identity: at %s", r.Path)
			}
			c.post("/preplainte/faits", facts()).must(t, 200)

			// Items: at least one; add a row, remove it, then save.
			c.post("/preplainte/objets", url.Values{}).must(t, http.StatusUnprocessableEntity, `href="#f-items"`, `id="f-items-error"`)
			r = c.post("/preplainte/objets", with(items(), "action", "add-item")).must(t, 200, `name="items.1.kind"`)
			r = c.post("/preplainte/objets", with(items(), "items.1.kind", "vehicle", "items.1.description", "Scooter", "items.1.plate", "ZZZ")).
				must(t, http.StatusUnprocessableEntity, `href="#f-items-1-plate"`, `id="f-items-1-plate-error"`, `value="ZZZ"`)
			r = c.post("/preplainte/objets", with(items(), "action", "remove-item-1")).must(t, 200).lacks(t, `name="items.1.kind"`)
			r = c.post("/preplainte/objets", items()).must(t, 200)
			if r.Path != "/preplainte/preuves" {
				t.Fatalf("after items: at %s", r.Path)
			}

			c.upload("facture.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")).must(t, 200, "facture.pdf")
			r = c.post("/preplainte/preuves", url.Values{}).must(t, 200, "Commissariat de Lyon 3e")
			if r.Path != "/preplainte/commissariat" {
				t.Fatalf("after evidence: at %s", r.Path)
			}
			r = c.get("/preplainte/commissariat?q=69100").must(t, 200)
			if strings.Index(r.Body, "Brigade de Villeurbanne") > strings.Index(r.Body, "Commissariat de Lyon 3e") {
				t.Errorf("69100 does not rank Villeurbanne first")
			}
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}, "q": {"69003"}}).
				must(t, 200, `id="creneaux"`, `<legend class="legend legend--small">`)
			slot := slotRE.FindStringSubmatch(r.Body)[1]
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slot}}).
				must(t, 200, "Martin", "Fairphone 5 noir", "facture.pdf", "Commissariat de Lyon 3e", `href="/preplainte/identite"`)

			// Consent is required.
			c.post("/preplainte/envoyer", url.Values{}).must(t, http.StatusUnprocessableEntity, `href="#f-consent"`)
			r = c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, 200, tc.confirmed)
			ref, code := refRE.FindStringSubmatch(r.Body)[1], codeRE.FindStringSubmatch(r.Body)[1]
			if !strings.HasPrefix(ref, "PP-2026-") {
				t.Fatalf("reference %q", ref)
			}
			// The draft is gone from this browser: its steps lead to what
			// was sent, with the same code (a reload or the back button
			// never says "no pre-complaint found").
			if r := c.get("/preplainte/identite"); r.Path != "/preplainte/envoyee" {
				t.Fatalf("draft still open after submission: %s", r.Path)
			} else if m := codeRE.FindStringSubmatch(r.Body); m == nil || m[1] != code {
				t.Fatalf("after submission a step shows %v, want the confirmation with code %s", m, code)
			}

			// The access cookie opens the status page and the receipt.
			c.get("/suivi/"+ref).must(t, 200, tc.statusWording, ref)
			pdf := c.get("/suivi/"+ref+"/recu.pdf").must(t, 200, "%PDF")
			if cd := pdf.Header.Get("Content-Disposition"); cd != `attachment; filename="recu-`+ref+`.pdf"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			if got := e.receipt[len(e.receipt)-1]; got.Lang != tc.lang || got.StatusURL != "https://guichet.test/suivi/"+ref || got.UnitName != "Commissariat de Lyon 3e" || got.Appointment.IsZero() {
				t.Errorf("receipt %+v", got)
			}
			c.get("/suivi/"+ref+"/recu").must(t, 200, ref).lacks(t, code)

			// Another browser needs the tracking code.
			o := e.client(tc.accept)
			if r := o.get("/suivi/" + ref); r.Path != "/suivi?ref="+ref {
				t.Fatalf("status without access: at %s", r.Path)
			}
			o.post("/suivi", url.Values{"ref": {ref}, "code": {code}}).must(t, 200, tc.statusWording)
		})
	}
}

// TestDraftResume resumes a draft in another browser with its code.
func TestDraftResume(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	r := c.post("/preplainte", answers()).must(t, 200)
	code := draftCodeRE.FindStringSubmatch(r.Body)[1]
	c.post("/preplainte/identite", identity()).must(t, 200)
	if m := draftCodeRE.FindStringSubmatch(c.post("/preplainte/faits", with(facts(), "description", "trop court", "action", "later")).must(t, 200).Body); m == nil || m[1] != code {
		t.Fatalf("saved for later: code %v, want %s", m, code)
	}

	o := e.client("fr")
	if r := o.get("/preplainte/faits"); r.Path != "/preplainte/reprendre?absent=1" {
		t.Fatalf("no draft: at %s", r.Path)
	}
	o.post("/preplainte/reprendre", url.Values{"draft_code": {"pas un code"}}).
		must(t, http.StatusUnprocessableEntity, "16 lettres et chiffres", `value="pas un code"`)
	o.post("/preplainte/reprendre", url.Values{"draft_code": {"7KQ3-M9TX-2B4R-HJ8P"}}).
		must(t, http.StatusUnprocessableEntity, "ne correspond à aucune pré-plainte")
	// Lower case and spaces are forgiven; the furthest step reached opens
	// with what was typed, even the invalid part.
	r = o.post("/preplainte/reprendre", url.Values{"draft_code": {strings.ToLower(strings.ReplaceAll(code, "-", " "))}}).
		must(t, 200, "trop court", "Place Bellecour")
	if r.Path != "/preplainte/faits" {
		t.Fatalf("resumed at %s", r.Path)
	}
}

// TestPreviousKeepsTyping: going back saves what was typed, valid or not.
func TestPreviousKeepsTyping(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.post("/preplainte", answers()).must(t, 200)
	c.post("/preplainte/identite", identity()).must(t, 200)
	r := c.post("/preplainte/faits", with(facts(), "facts_from", "hier soir", "action", "previous")).must(t, 200, `value="Martin"`)
	if r.Path != "/preplainte/identite" {
		t.Fatalf("previous: at %s", r.Path)
	}
	c.get("/preplainte/faits").must(t, 200, `value="hier soir"`, "Place Bellecour").lacks(t, "error-summary")
}

// TestStaleVersion: a page saved meanwhile elsewhere shows the latest
// draft with what was just typed, and a notice.
func TestStaleVersion(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.post("/preplainte", answers()).must(t, 200)
	r := c.post("/preplainte/identite", with(identity(), "version", "1")).must(t, 200)
	_ = r
	r = c.post("/preplainte/identite", with(identity(), "version", "1", "first_name", "Zoé")).
		must(t, http.StatusConflict, "modifiée depuis une autre fenêtre", `value="Zoé"`)
}

// TestEligibility covers the questions and each way out.
func TestEligibility(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.post("/preplainte", url.Values{}).must(t, http.StatusUnprocessableEntity,
		`href="#f-emergency"`, `href="#f-category"`, "Indiquez si vous êtes en danger", "Choisissez ce dont vous êtes victime").
		lacks(t, "Choisissez une réponse.")
	for _, tc := range []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"emergency", url.Values{"emergency": {"yes"}}, []string{`href="tel:17"`, `href="tel:112"`, `href="sms:114"`, "Appelez immédiatement"}},
		{"violence", with(answers(), "violence", "yes"), []string{`href="/commissariats"`, `<a class="call" href="tel:116006">116&#160;006</a>`}},
		{"known author", with(answers(), "author_known", "yes"), []string{`href="/commissariats"`, "identifier l’auteur"}},
		{"online scam", with(answers(), "category", "online_scam"), []string{`href="/signaler"`, "Perceval", "THESEE", "pré-plainte qui reprend"}},
		{"other", with(answers(), "category", "other"), []string{`href="/commissariats"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/preplainte", tc.form).must(t, 200, append(tc.wants, `href="/preplainte"`, `href="/"`)...)
			if r.Path != "/preplainte" {
				t.Errorf("orientation at %s", r.Path)
			}
			if _, ok := e.web.draftCode(r.Request); ok {
				t.Errorf("a draft was started")
			}
		})
	}
	c.get("/commissariats?q=Villeurbanne").must(t, 200, "Brigade de Villeurbanne", "1 place Lazare-Goujon")
}

// TestSlotTakenBeforeSubmit shows the station step with a message when
// the chosen slot fills up before submission.
func TestSlotTakenBeforeSubmit(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.fileDraft()
	// Two others take both places of the same (first) slot meanwhile.
	e.client("fr").submit()
	e.client("fr").submit()
	c.get("/preplainte/recapitulatif").must(t, 200, "n’est plus disponible")
	c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).
		must(t, http.StatusUnprocessableEntity, `href="#f-slot_id"`, "vient d’être pris", `id="creneaux"`)
}

// TestReceiptLogEntry: the PDF receipt carries the submission's place in
// the transparency log when known, and is still given when not.
func TestReceiptLogEntry(t *testing.T) {
	e := newEnv(t)
	c := e.client("en")
	ref, _ := c.submit()
	var asked string
	e.web.d.LogEntry = func(_ context.Context, eventID string) (int64, string, error) {
		asked = eventID
		return 41, "guichet.test/log\n42\nAAAA\n", nil
	}
	c.get("/suivi/"+ref+"/recu.pdf").must(t, 200, "%PDF")
	got := e.receipt[len(e.receipt)-1]
	if asked == "" || got.LogIndex != 41 || got.Checkpoint == "" || got.TrackingHint == "" || got.Category != "Theft" {
		t.Errorf("receipt %+v (asked %q)", got, asked)
	}
	e.web.d.LogEntry = func(context.Context, string) (int64, string, error) { return 0, "", guichet.ErrNotFound }
	c.get("/suivi/"+ref+"/recu.pdf").must(t, 200, "%PDF")
	if got := e.receipt[len(e.receipt)-1]; got.LogIndex != -1 {
		t.Errorf("unsequenced: LogIndex %d", got.LogIndex)
	}
}

// TestReviewPost covers the review page's post beyond the happy path: a
// stale page is refused without submitting, leaving the page keeps the
// consent as typed, and a slot taken meanwhile keeps the consent given.
func TestReviewPost(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.fileDraft()
	c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}, "version": {"1"}}).
		must(t, http.StatusConflict, "modifiée depuis une autre fenêtre", `name="consent" value="yes" checked`)
	r := c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}, "action": {"later"}}).must(t, 200)
	if !strings.HasPrefix(r.Path, "/preplainte/code") {
		t.Fatalf("later: at %s", r.Path)
	}
	c.get("/preplainte/recapitulatif").must(t, 200, `name="consent" value="yes" checked`)
	e.client("fr").submit()
	e.client("fr").submit()
	c.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, http.StatusUnprocessableEntity, `href="#f-slot_id"`)
	c.get("/preplainte/recapitulatif").must(t, 200, `name="consent" value="yes" checked`)
}
