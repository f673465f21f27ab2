package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
)

func testDrafts(t *testing.T, f *fixture) {
	ctx := f.ctx()
	d := complaint.Draft{
		ID: f.ids.New(), CodeHash: randBytes(32), Step: "facts",
		Sealed:    casefile.Sealed{WrappedKey: randBytes(60), Ciphertext: randBytes(500)},
		CreatedAt: f.now, UpdatedAt: f.now, ExpiresAt: f.now.Add(7 * 24 * time.Hour),
		Version: 7, // ignored: a new draft is at version 1
	}
	ok(t, f.s.CreateDraft(ctx, d))
	got, err := f.s.DraftByCode(ctx, d.CodeHash)
	ok(t, err)
	want := d
	want.Version = 1
	same(t, "DraftByCode", got, want)

	_, err = f.s.DraftByCode(ctx, randBytes(32))
	is(t, err, guichet.ErrNotFound)

	dup := []struct {
		name string
		d    complaint.Draft
	}{
		{"duplicate code", complaint.Draft{ID: f.ids.New(), CodeHash: d.CodeHash, Step: "identity", CreatedAt: f.now, UpdatedAt: f.now, ExpiresAt: f.now}},
		{"duplicate id", complaint.Draft{ID: d.ID, CodeHash: randBytes(32), Step: "identity", CreatedAt: f.now, UpdatedAt: f.now, ExpiresAt: f.now}},
	}
	for _, tt := range dup {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.CreateDraft(ctx, tt.d), guichet.ErrConflict)
		})
	}
	got, err = f.s.DraftByCode(ctx, d.CodeHash)
	ok(t, err)
	same(t, "draft after refused duplicates", got, want)
}

func testUpdateDraft(t *testing.T, f *fixture) {
	ctx := f.ctx()
	d := f.newDraft(f.now.Add(time.Hour))
	edit := func(d complaint.Draft, step string) complaint.Draft {
		d.Step = step
		d.Sealed = casefile.Sealed{WrappedKey: d.Sealed.WrappedKey, Ciphertext: randBytes(400)}
		d.UpdatedAt = d.UpdatedAt.Add(time.Minute)
		d.ExpiresAt = d.ExpiresAt.Add(time.Minute)
		return d
	}

	v1 := edit(d, "facts")
	ok(t, f.s.UpdateDraft(ctx, v1))
	got, err := f.s.DraftByCode(ctx, d.CodeHash)
	ok(t, err)
	want := v1
	want.Version = 2
	same(t, "draft after update", got, want)

	v2 := edit(got, "items")
	ok(t, f.s.UpdateDraft(ctx, v2))
	want = v2
	want.Version = 3

	tests := []struct {
		name string
		d    complaint.Draft
		kind error
	}{
		{"stale version", edit(v1, "review"), guichet.ErrConflict}, // built from version 1
		{"version from the future", func() complaint.Draft { x := edit(want, "review"); x.Version = 9; return x }(), guichet.ErrConflict},
		{"unknown draft", func() complaint.Draft { x := edit(want, "review"); x.ID = f.ids.New(); return x }(), guichet.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.UpdateDraft(ctx, tt.d), tt.kind)
			got, err := f.s.DraftByCode(ctx, d.CodeHash)
			ok(t, err)
			same(t, "draft after refused update", got, want)
		})
	}
}

func testDeleteExpiredDrafts(t *testing.T, f *fixture) {
	ctx := f.ctx()
	past := f.newDraft(f.now.Add(-time.Hour))
	atNow := f.newDraft(f.now)
	future := f.newDraft(f.now.Add(time.Microsecond))
	var wantKeys []string
	for _, d := range []complaint.Draft{past, atNow} {
		for range 2 {
			wantKeys = append(wantKeys, f.newEvidence(d.ID, f.now.Add(-time.Hour)).BlobKey)
		}
	}
	kept := f.newEvidence(future.ID, f.now.Add(-time.Hour))
	// A case's evidence is never a draft's.
	sub := f.submitted("")
	caseFile := f.newEvidence(sub.Case.ID, f.now.Add(-2*time.Hour))

	keys, err := f.s.DeleteExpiredDrafts(ctx, f.now)
	ok(t, err)
	same(t, "blob keys", sorted(keys), sorted(wantKeys))

	for _, d := range []complaint.Draft{past, atNow} {
		_, err := f.s.DraftByCode(ctx, d.CodeHash)
		is(t, err, guichet.ErrNotFound)
		ev, err := f.s.ListEvidence(ctx, d.ID)
		ok(t, err)
		same(t, "evidence of a deleted draft", ev, []casefile.Evidence{})
	}
	_, err = f.s.DraftByCode(ctx, future.CodeHash)
	ok(t, err)
	ev, err := f.s.ListEvidence(ctx, future.ID)
	ok(t, err)
	same(t, "evidence of a live draft", ev, []casefile.Evidence{kept})
	ev, err = f.s.ListEvidence(ctx, sub.Case.ID)
	ok(t, err)
	same(t, "evidence of a case", ev, []casefile.Evidence{caseFile})

	keys, err = f.s.DeleteExpiredDrafts(ctx, f.now)
	ok(t, err)
	same(t, "blob keys of a second run", sorted(keys), []string{})
}

func testEvidence(t *testing.T, f *fixture) {
	ctx := f.ctx()
	d := f.newDraft(f.now.Add(time.Hour))
	// Added out of time order: listed oldest first.
	e2 := f.newEvidence(d.ID, f.now.Add(-time.Minute))
	e1 := f.newEvidence(d.ID, f.now.Add(-time.Hour))
	e3 := f.newEvidence(d.ID, f.now)
	other := f.newDraft(f.now.Add(time.Hour))
	o1 := f.newEvidence(other.ID, f.now)

	list, err := f.s.ListEvidence(ctx, d.ID)
	ok(t, err)
	same(t, "ListEvidence", list, []casefile.Evidence{e1, e2, e3})
	list, err = f.s.ListEvidence(ctx, f.ids.New())
	ok(t, err)
	same(t, "ListEvidence of an unknown owner", list, []casefile.Evidence{})

	bad := []struct {
		name string
		e    casefile.Evidence
		kind error
	}{
		{"unknown owner", casefile.Evidence{ID: f.ids.New(), OwnerID: f.ids.New(), BlobKey: "k", ContentType: "image/png", CreatedAt: f.now}, guichet.ErrNotFound},
		{"duplicate id", casefile.Evidence{ID: e1.ID, OwnerID: d.ID, BlobKey: "k", ContentType: "image/png", CreatedAt: f.now}, guichet.ErrConflict},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.AddEvidence(ctx, tt.e), tt.kind)
		})
	}

	is(t, f.s.DeleteEvidence(ctx, other.ID, e2.ID), guichet.ErrNotFound) // not its owner
	ok(t, f.s.DeleteEvidence(ctx, d.ID, e2.ID))
	is(t, f.s.DeleteEvidence(ctx, d.ID, e2.ID), guichet.ErrNotFound)
	list, err = f.s.ListEvidence(ctx, d.ID)
	ok(t, err)
	same(t, "ListEvidence after delete", list, []casefile.Evidence{e1, e3})
	list, err = f.s.ListEvidence(ctx, other.ID)
	ok(t, err)
	same(t, "ListEvidence of the other owner", list, []casefile.Evidence{o1})
}
