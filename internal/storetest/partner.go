package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/report"
)

func (f *fixture) newPartner(name string) partner.Partner {
	f.t.Helper()
	p := partner.Partner{ID: f.ids.New(), Name: name, Kind: partner.KindObservatory,
		Scopes: []partner.Scope{partner.ScopeReportsWrite, partner.ScopeReportsRead}, CreatedAt: f.now}
	ok(f.t, f.s.CreatePartner(f.ctx(), p))
	return p
}

func (f *fixture) newToken(p partner.Partner, secret string) partner.Token {
	f.t.Helper()
	t := partner.Token{ID: f.ids.New(), PartnerID: p.ID, Hash: partner.Hash(secret), Hint: secret[:6],
		Scopes: []partner.Scope{partner.ScopeReportsWrite}, Rate: 60, CreatedAt: f.now, ExpiresAt: f.now.Add(24 * time.Hour)}
	ok(f.t, f.s.CreateToken(f.ctx(), t))
	return t
}

// testPartners: partners are stored and listed by name, names are unique,
// disabling is seen by the next token lookup.
func testPartners(t *testing.T, f *fixture) {
	ctx := f.ctx()
	b := f.newPartner("Signal Spam")
	a := f.newPartner("Alpha Mail")
	dup := b
	dup.ID = f.ids.New()
	is(t, f.s.CreatePartner(ctx, dup), guichet.ErrConflict)
	all, err := f.s.Partners(ctx)
	ok(t, err)
	same(t, "partners", all, []partner.Partner{a, b})
	got, err := f.s.PartnerByID(ctx, b.ID)
	ok(t, err)
	same(t, "partner", got, b)
	_, err = f.s.PartnerByID(ctx, f.ids.New())
	is(t, err, guichet.ErrNotFound)

	tok := f.newToken(b, "gch_secret-one")
	gt, gp, err := f.s.TokenByHash(ctx, partner.Hash("gch_secret-one"))
	ok(t, err)
	same(t, "token", gt, tok)
	same(t, "its partner", gp, b)
	ok(t, f.s.DisablePartner(ctx, b.ID, f.now.Add(time.Minute)))
	_, gp, err = f.s.TokenByHash(ctx, partner.Hash("gch_secret-one"))
	ok(t, err)
	if !gp.DisabledAt.Equal(f.now.Add(time.Minute)) {
		t.Errorf("disabled at %v, want %v", gp.DisabledAt, f.now.Add(time.Minute))
	}
	is(t, f.s.DisablePartner(ctx, f.ids.New(), f.now), guichet.ErrNotFound)
}

// testTokens: only the hash finds a token; a duplicate hash is refused;
// revocation is seen at once; rotation stores the next token and moves
// the old one's expiry, once; uses add up.
func testTokens(t *testing.T, f *fixture) {
	ctx := f.ctx()
	p := f.newPartner("Opérateur")
	old := f.newToken(p, "gch_old-token")
	again := old
	again.ID = f.ids.New()
	is(t, f.s.CreateToken(ctx, again), guichet.ErrConflict)
	orphan := old
	orphan.ID, orphan.PartnerID, orphan.Hash = f.ids.New(), f.ids.New(), partner.Hash("gch_orphan")
	is(t, f.s.CreateToken(ctx, orphan), guichet.ErrNotFound)
	_, _, err := f.s.TokenByHash(ctx, partner.Hash("gch_unknown"))
	is(t, err, guichet.ErrNotFound)

	next := partner.Token{ID: f.ids.New(), PartnerID: p.ID, Hash: partner.Hash("gch_next-token"), Hint: "gch_ne",
		Scopes: old.Scopes, Rate: 60, CreatedAt: f.now.Add(time.Hour), ExpiresAt: f.now.Add(48 * time.Hour)}
	until := f.now.Add(2 * time.Hour)
	ok(t, f.s.RotateToken(ctx, old.ID, until, next))
	go1, _, err := f.s.TokenByHash(ctx, old.Hash)
	ok(t, err)
	if !go1.ExpiresAt.Equal(until) || go1.ReplacedBy != next.ID {
		t.Errorf("old token after rotation: expires %v replaced by %q, want %v and %q", go1.ExpiresAt, go1.ReplacedBy, until, next.ID)
	}
	gn, _, err := f.s.TokenByHash(ctx, next.Hash)
	ok(t, err)
	same(t, "next token", gn, next)
	is(t, f.s.RotateToken(ctx, old.ID, until, partner.Token{ID: f.ids.New(), PartnerID: p.ID, Hash: partner.Hash("gch_third"), Hint: "x",
		Rate: 1, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}), guichet.ErrConflict)
	// Rotating never lengthens the old token's life.
	other := f.newToken(p, "gch_short")
	ok(t, f.s.RotateToken(ctx, other.ID, f.now.Add(1000*time.Hour), partner.Token{ID: f.ids.New(), PartnerID: p.ID,
		Hash: partner.Hash("gch_short2"), Hint: "y", Rate: 1, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}))
	gs, _, err := f.s.TokenByHash(ctx, other.Hash)
	ok(t, err)
	if !gs.ExpiresAt.Equal(other.ExpiresAt) {
		t.Errorf("rotation lengthened a token's life: %v, want %v", gs.ExpiresAt, other.ExpiresAt)
	}

	ok(t, f.s.RevokeToken(ctx, next.ID, f.now.Add(3*time.Hour)))
	gn, _, err = f.s.TokenByHash(ctx, next.Hash)
	ok(t, err)
	if gn.Usable(f.now.Add(3 * time.Hour)) {
		t.Error("a revoked token is usable")
	}
	is(t, f.s.RevokeToken(ctx, f.ids.New(), f.now), guichet.ErrNotFound)

	ok(t, f.s.AddTokenUses(ctx, map[string]partner.Use{old.ID: {N: 3, Last: f.now.Add(time.Minute)}, f.ids.New(): {N: 1, Last: f.now}}))
	ok(t, f.s.AddTokenUses(ctx, map[string]partner.Use{old.ID: {N: 2, Last: f.now.Add(30 * time.Second)}}))
	go1, _, err = f.s.TokenByHash(ctx, old.Hash)
	ok(t, err)
	if go1.Uses != 5 || !go1.LastUsedAt.Equal(f.now.Add(time.Minute)) {
		t.Errorf("uses %d last %v, want 5 and %v", go1.Uses, go1.LastUsedAt, f.now.Add(time.Minute))
	}
	toks, err := f.s.Tokens(ctx, p.ID)
	ok(t, err)
	if len(toks) != 4 {
		t.Errorf("%d tokens, want 4", len(toks))
	}
}

// batchEntry builds an entry of content key holding the URL u.
func (f *fixture) batchEntry(p partner.Partner, key, u, ext string) report.BatchEntry {
	return report.BatchEntry{Sub: f.reportSubmission(report.LaneNormal, seenURL(u)), ContentKey: key,
		Source: report.Source{PartnerID: p.ID, Channel: "api", ExternalID: ext, ReceivedAt: f.now}}
}

// testBatchDedup: a batch is written whole; the same content key — in an
// earlier batch or earlier in the same one — makes one report with a
// count and every source; an idempotency key stores the answer with the
// batch, and a second batch under it writes nothing.
func testBatchDedup(t *testing.T, f *fixture) {
	ctx := f.ctx()
	p := f.newPartner("Signal Spam")
	q := f.newPartner("Mail Co")
	before := len(f.pending())
	filed, err := f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{
		f.batchEntry(p, "k1", "http://a.example/", "e1"),
		f.batchEntry(p, "k2", "http://b.example/", "e2"),
		f.batchEntry(p, "k1", "http://a.example/", "e3"),
	}})
	ok(t, err)
	if len(filed) != 3 || filed[0].Duplicate || filed[1].Duplicate || !filed[2].Duplicate ||
		filed[2].Ref != filed[0].Ref || filed[2].Count != 2 || filed[1].Count != 1 {
		t.Fatalf("filed %+v: want k1 new, k2 new, k1 again (count 2)", filed)
	}
	if n := len(f.pending()) - before; n != 2 {
		t.Errorf("%d events logged, want 2 (one per new report)", n)
	}
	filed2, err := f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{f.batchEntry(q, "k1", "http://a.example/", "q1")}})
	ok(t, err)
	if !filed2[0].Duplicate || filed2[0].Ref != filed[0].Ref || filed2[0].Count != 3 {
		t.Errorf("another partner's k1: %+v, want a duplicate of %s, count 3", filed2[0], filed[0].Ref)
	}
	srcs, n, err := f.s.ReportSources(ctx, filed[0].CaseID)
	ok(t, err)
	if n != 3 || len(srcs) != 3 || srcs[0].ExternalID != "e1" || srcs[1].ExternalID != "e3" || srcs[2].PartnerID != q.ID {
		t.Errorf("sources %+v count %d", srcs, n)
	}
	if !srcs[0].ReceivedAt.Equal(f.now) || srcs[0].Channel != "api" {
		t.Errorf("source %+v", srcs[0])
	}

	// A reference already taken is replaced by the entry's Remint.
	taken := f.batchEntry(p, "k3", "http://c.example/", "e4")
	taken.Sub.Case.Ref = filed[1].Ref
	fresh := f.reportSubmission(report.LaneNormal).Case.Ref
	taken.Remint = func() (string, error) { return fresh, nil }
	got, err := f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{taken}})
	ok(t, err)
	if got[0].Ref != fresh {
		t.Errorf("ref %s, want the reminted %s", got[0].Ref, fresh)
	}

	// Idempotency: answer stored with the batch; the key again: replay.
	idem := &report.Idempotency{Scope: p.ID, Key: "batch-1", Digest: []byte("d1"), At: f.now,
		Answer: func(fl []report.BatchFiled) ([]byte, error) { return []byte(fl[0].Ref), nil }}
	got, err = f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{f.batchEntry(p, "k4", "http://d.example/", "")}, Idem: idem})
	ok(t, err)
	d, a, err := f.s.IdempotentAnswer(ctx, p.ID, "batch-1")
	ok(t, err)
	if !bytes.Equal(d, []byte("d1")) || string(a) != got[0].Ref {
		t.Errorf("stored %q %q, want d1 and %s", d, a, got[0].Ref)
	}
	before = len(f.pending())
	_, err = f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{f.batchEntry(p, "k5", "http://e.example/", "")}, Idem: idem})
	var re *report.ReplayError
	if !errors.As(err, &re) || string(re.Answer) != got[0].Ref {
		t.Fatalf("same key again: %v, want a replay of %s", err, got[0].Ref)
	}
	if n := len(f.pending()) - before; n != 0 {
		t.Errorf("a replayed batch logged %d events", n)
	}
	_, _, err = f.s.IdempotentAnswer(ctx, q.ID, "batch-1")
	is(t, err, guichet.ErrNotFound) // keys are per scope

	// A failing entry fails the whole batch.
	bad := f.batchEntry(p, "k6", "http://f.example/", "")
	bad.Sub.Case.ID = ""
	_, err = f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{f.batchEntry(p, "k7", "http://g.example/", ""), bad}})
	is(t, err, guichet.ErrInvalid)
	got, err = f.s.SubmitReports(ctx, report.Batch{Entries: []report.BatchEntry{f.batchEntry(p, "k7", "http://g.example/", "")}})
	ok(t, err)
	if got[0].Duplicate {
		t.Error("an entry of a failed batch was stored")
	}

	// Changes: each report p is a source of, once, after the cursor.
	chs, err := f.s.PartnerChanges(ctx, p.ID, 0, 100)
	ok(t, err)
	if len(chs) != 5 {
		t.Fatalf("%d changes for p, want 5: %+v", len(chs), chs)
	}
	qs, err := f.s.PartnerChanges(ctx, q.ID, 0, 100)
	ok(t, err)
	if len(qs) != 1 || qs[0].Ref != filed[0].Ref {
		t.Errorf("q's changes %+v, want only %s", qs, filed[0].Ref)
	}
	page, err := f.s.PartnerChanges(ctx, p.ID, 0, 2)
	ok(t, err)
	rest, err := f.s.PartnerChanges(ctx, p.ID, page[len(page)-1].Cursor, 100)
	ok(t, err)
	if len(page) != 2 || len(rest) != 3 || rest[0].Ref == page[1].Ref {
		t.Errorf("pages %+v then %+v", page, rest)
	}
	none, err := f.s.PartnerChanges(ctx, p.ID, chs[len(chs)-1].Cursor, 100)
	ok(t, err)
	if len(none) != 0 {
		t.Errorf("changes after the last: %+v", none)
	}
}
