package e2etest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

// TestNoPlaintextAtRest files a pre-complaint with distinctive strings in
// every personal field (name, e-mail, description, evidence file name and
// content), handles it at the desk (internal note, note to the citizen,
// conversion into a complaint with corrected facts, complaint record),
// then reads every byte the instance wrote — the SQLite database, its WAL
// and shared-memory files, every evidence blob — and checks that none of
// those strings appears in clear.
func TestNoPlaintextAtRest(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	secrets := map[string]string{
		"last name":        "Zyxquarnel",
		"first name":       "Ophrysiane",
		"description":      "Ma trottinette vermillon-ocelot a disparu",
		"file name":        "facture-ocelotvermillon.png",
		"file content":     "EVIDENCE-PAYLOAD-QUASAR-7731",
		"internal note":    "Temoin joignable au standard Quasimodo-42",
		"note to citizen":  "Rapportez la facture signee Perlimpinpin",
		"corrected facts":  "Corrige au guichet : cadenas Zanzibar-Ultra coupe",
		"corrected e-mail": "ophrysiane.zyxquarnel@example.fr",
	}
	file := append(append([]byte{}, caseworktest.PNG...), secrets["file content"]...)
	sub := e.Submit(u, caseworktest.Filing{
		LastName: secrets["last name"], FirstName: secrets["first name"],
		Description: secrets["description"] + ", attachée devant la gare.",
		FileName:    secrets["file name"], File: file,
	})
	a := e.Principal(u, account.RoleAgent, "A111")
	if _, err := e.Cases.AddNote(ctx, a, sub.Ref, secrets["internal note"], false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cases.AddNote(ctx, a, sub.Ref, secrets["note to citizen"], true); err != nil {
		t.Fatal(err)
	}
	in := casework.ConvertInput{IdentityChecked: true, IDDocument: casework.IDCard,
		Form: e.Form(caseworktest.Filing{LastName: secrets["last name"], FirstName: secrets["first name"],
			Description: secrets["corrected facts"] + ", en plein jour."})}
	in.Form.Email = secrets["corrected e-mail"]
	pl, err := e.Cases.Convert(ctx, a, sub.Ref, in)
	if err != nil {
		t.Fatal(err)
	}
	// Everything is readable by the agent...
	cf, err := e.Cases.Open(ctx, a, pl, casework.PurposeConversion)
	if err != nil || cf.Form.Email != secrets["corrected e-mail"] {
		t.Fatalf("complaint open: %v", err)
	}
	pp, err := e.Cases.Open(ctx, a, sub.Ref, casework.PurposeProcessing)
	if err != nil || len(pp.Notes) != 2 || len(pp.Evidence) != 1 || pp.Evidence[0].Name != secrets["file name"] {
		t.Fatalf("pre-complaint open: %v", err)
	}
	if _, err := e.Cases.ComplaintRecord(ctx, a, pl); err != nil {
		t.Fatal(err)
	}

	// ...and nothing is at rest in clear: with the WAL still holding the
	// recent writes, and again once the store is closed (checkpointed).
	check := func(when string, minFiles int) {
		t.Helper()
		n, refSeen := 0, false
		err := filepath.WalkDir(e.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			// Positive control: the reference is metadata, kept in clear,
			// so the scan does read what the database holds.
			refSeen = refSeen || bytes.Contains(b, []byte(sub.Ref))
			for what, s := range secrets {
				for _, form := range []string{s, strings.ToUpper(s), strings.ToLower(s)} {
					if bytes.Contains(b, []byte(form)) {
						t.Errorf("%s: the %s %q is in clear in %s", when, what, form, path)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < minFiles || !refSeen {
			t.Fatalf("%s: %d files read from %s, reference seen: %v", when, n, e.Dir, refSeen)
		}
	}
	if _, err := os.Stat(filepath.Join(e.Dir, "guichet.db-wal")); err != nil {
		t.Fatalf("no WAL to read: %v", err)
	}
	check("live", 4) // database, WAL, shared memory, evidence blob
	if err := e.Store.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed", 2)
}
