package casework_test

import (
	"crypto/rand"
	"testing"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/vault"
)

// TestRewrapAll rotates the master key under a case with a note and
// evidence and under a draft, then reads them all with the new key alone.
func TestRewrapAll(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	sub := e.Submit(u, caseworktest.Filing{FileName: "p.png", File: caseworktest.PNG})
	_, err := e.Cases.AddNote(ctx, a, sub.Ref, "Note avant rotation", false)
	ok(t, err)
	code, _, err := e.Complaints.StartDraft(ctx, e.Form(caseworktest.Filing{LastName: "Brouillon", FirstName: "B"}))
	ok(t, err)

	// The new vault has the new key current and the old one retired.
	m2 := make([]byte, vault.KeySize)
	_, _ = rand.Read(m2)
	rotating, err := vault.New(m2, "m2", nil)
	ok(t, err)
	ok(t, rotating.AddRetired(e.Master, "m1"))
	counts, err := casework.RewrapAll(ctx, e.Store, rotating, "m2", 1)
	ok(t, err)
	total := map[string]casework.RewrapCount{}
	for _, c := range counts {
		total[c.Kind] = c
	}
	if total["case"].Rewrapped != 1 || total["draft"].Rewrapped != 1 || total["case"].Changed != 0 {
		t.Fatalf("counts = %+v", counts)
	}
	// Again: nothing left to do.
	counts, err = casework.RewrapAll(ctx, e.Store, rotating, "m2", 10)
	ok(t, err)
	for _, c := range counts {
		if c.Rewrapped != 0 || c.Current != c.Seen {
			t.Errorf("second run: %+v", c)
		}
	}
	// A desk with only the new key reads everything.
	only, err := vault.New(m2, "m2", nil)
	ok(t, err)
	cases := casework.New(casework.DefaultConfig(), casework.Deps{Store: e.Store, Agents: e.Agents, Vault: only, Blobs: e.Bucket,
		Clock: e.Clock, Rand: rand.Reader, IDs: e.IDs})
	cf, err := cases.Open(ctx, a, sub.Ref, casework.PurposeProcessing)
	ok(t, err)
	if cf.Form.LastName != "Martin" || len(cf.Notes) != 1 || cf.Notes[0].Text != "Note avant rotation" {
		t.Errorf("after rotation: %+v, notes %+v", cf.Form, cf.Notes)
	}
	f, err := cases.Evidence(ctx, a, sub.Ref, cf.Evidence[0].ID)
	ok(t, err)
	if string(f.Data) != string(caseworktest.PNG) {
		t.Errorf("evidence changed by rotation")
	}
	drafts := complaint.New(complaint.DefaultConfig(), complaint.Deps{Store: e.Store, Vault: only, Codes: e.Codes, Clock: e.Clock, Rand: rand.Reader, IDs: e.IDs})
	d, err := drafts.Draft(ctx, code)
	ok(t, err)
	if d.Form.LastName != "Brouillon" {
		t.Errorf("draft after rotation = %+v", d.Form)
	}
}
