package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
)

// fakeMailer records the codes it is asked to send; fail makes it fail.
type fakeMailer struct {
	mu   sync.Mutex
	sent []string // "to code"
	fail bool
}

func (m *fakeMailer) send(_ context.Context, _ casefile.Case, to string, code caseref.Code) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("451 mailbox busy for " + to)
	}
	m.sent = append(m.sent, to+" "+code.String())
	return nil
}

func (m *fakeMailer) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.sent) }

// TestEmailCodeOnce: the confirmation offers to email the code to the
// address left, once; a second request is refused in words, beside the
// button; a failed send says so and may be asked again.
func TestEmailCodeOnce(t *testing.T) {
	e := newEnv(t)
	m := &fakeMailer{}
	e.web.d.SendCode = m.send
	c := e.client("fr")
	ref, code := c.submit()
	c.get("/preplainte/envoyee").must(t, 200, `action="/preplainte/envoyee/courriel"`, "M’envoyer le code par courriel", "Une seule fois")

	m.fail = true
	r := c.post("/preplainte/envoyee/courriel", url.Values{}).must(t, 200, "Le courriel n’a pas pu être envoyé", `action="/preplainte/envoyee/courriel"`)
	if r.Path != "/preplainte/envoyee?courriel=echec" {
		t.Errorf("after a failure: at %s", r.Path)
	}
	m.fail = false
	r = c.post("/preplainte/envoyee/courriel", url.Values{}).must(t, 200, "ont été envoyés à l’adresse électronique que vous avez donnée").
		lacks(t, `action="/preplainte/envoyee/courriel"`)
	if r.Path != "/preplainte/envoyee?courriel=envoye" {
		t.Errorf("after sending: at %s", r.Path)
	}
	if m.count() != 1 || m.sent[0] != "lea.martin@example.fr "+code {
		t.Fatalf("sent %v", m.sent)
	}
	// An old tab posts again: refused in words, nothing sent.
	c.post("/preplainte/envoyee/courriel", url.Values{}).must(t, 200, "Le code a déjà été envoyé par courriel : il ne peut l’être qu’une fois.")
	if m.count() != 1 {
		t.Fatalf("sent %d times", m.count())
	}
	c.get("/preplainte/envoyee").must(t, 200, "Le code vous a été envoyé par courriel, à votre demande.").lacks(t, `action="/preplainte/envoyee/courriel"`)
	c.get("/suivi/"+ref).must(t, 200, "Code de suivi envoyé par courriel, à votre demande")
	if logs := e.logs.String(); strings.Contains(logs, code) || strings.Contains(logs, "lea.martin") {
		t.Errorf("the logs hold the code or the address")
	}

	// In English too.
	en := e.client("en")
	en.submit()
	en.get("/preplainte/envoyee").must(t, 200, "Email me the code")
	en.post("/preplainte/envoyee/courriel", url.Values{}).must(t, 200, "The reference and tracking code were sent to the email address you gave.")

	// Without an address, no offer; a post sends nothing.
	none := e.client("fr")
	none.post("/preplainte", answers()).must(t, 200)
	none.post("/preplainte/identite", with(identity(), "email", "")).must(t, 200)
	none.post("/preplainte/faits", facts()).must(t, 200)
	none.post("/preplainte/objets", items()).must(t, 200)
	none.post("/preplainte/preuves", url.Values{}).must(t, 200)
	rs := none.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}}).must(t, 200)
	none.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slotRE.FindStringSubmatch(rs.Body)[1]}}).must(t, 200)
	none.post("/preplainte/envoyer", url.Values{"consent": {"yes"}}).must(t, 200).lacks(t, `action="/preplainte/envoyee/courriel"`)
	before := m.count()
	none.post("/preplainte/envoyee/courriel", url.Values{}).must(t, 200).lacks(t, "envoyés à l’adresse")
	if m.count() != before {
		t.Error("a code was sent without an address")
	}
	// A browser that holds no confirmation sends nothing.
	other := e.client("fr")
	other.post("/preplainte/envoyee/courriel", url.Values{})
	if m.count() != before {
		t.Error("a code was sent without a confirmation")
	}
}

// TestEmailCodeNotOffered: without a mailer, no offer and no route.
func TestEmailCodeNotOffered(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	c.submit()
	c.get("/preplainte/envoyee").must(t, 200).lacks(t, "M’envoyer le code par courriel")
	c.post("/preplainte/envoyee/courriel", url.Values{}).must(t, http.StatusNotFound)
}

// TestConfirmationDropsReplacedCode: once an agent has given a new code,
// the confirmation no longer shows the old one (it would not open the
// case), nor offers to email it.
func TestConfirmationDropsReplacedCode(t *testing.T) {
	e := newEnv(t)
	m := &fakeMailer{}
	e.web.d.SendCode = m.send
	c := e.client("fr")
	ref, code := c.submit()
	cs, _, err := e.store.CaseByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := caseref.NewCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.ChangeCase(t.Context(), casework.Change{CaseID: cs.ID, TrackingHash: e.svc.TrackingDigest(fresh), At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	r := c.get("/preplainte/envoyee").must(t, http.StatusOK, ref, "n’est plus affiché").lacks(t, `id="tracking-code"`, `action="/preplainte/envoyee/courriel"`)
	if m := codeRE.FindStringSubmatch(r.Body); m != nil {
		t.Errorf("the replaced code %s is still shown", code)
	}
	c.post("/preplainte/envoyee/courriel", url.Values{}).must(t, http.StatusOK)
	if m.count() != 0 {
		t.Error("the replaced code was emailed")
	}
}
