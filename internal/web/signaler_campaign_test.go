package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
)

// TestReportStatusShowsPublishedOnly: the reporter sees how many reports
// hold one of their values once an analyst published it, and not before.
func TestReportStatusShowsPublishedOnly(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	var ref string
	for range 2 {
		r := c.post("/signaler/signalement", phishingSMS()).must(t, http.StatusOK, "Votre signalement est envoyé")
		m := sgRefRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no reference:\n%s", excerpt(r.Body))
		}
		ref = m[1]
	}
	st := c.get("/suivi/"+ref).must(t, http.StatusOK, "33 6 12 34 56 78")
	if strings.Contains(st.Body, "fois en tout") {
		t.Fatal("an unpublished count is shown")
	}
	analyst := account.Principal{Pseudonym: "A7F2", Role: account.RoleAnalyst}
	if err := e.web.d.Reports.Publish(t.Context(), analyst, "phone:+33612345678"); err != nil {
		t.Fatal(err)
	}
	st = c.get("/suivi/"+ref).must(t, http.StatusOK, "Signalé 2 fois en tout")
	if n := strings.Count(st.Body, "fois en tout"); n != 1 {
		t.Errorf("%d counts shown, want the published number's only", n)
	}
}
