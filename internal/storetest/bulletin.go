package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/uuid7"
)

// BulletinStore is what the bulletin contract checks: bulletin.Store and
// the outbox and events, to see that publication, update and withdrawal
// are events on their way to the transparency log.
type BulletinStore interface {
	bulletin.Store
	PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error)
	CaseEvents(ctx context.Context, caseID string) ([]casefile.Event, error)
}

// RunBulletin runs the bulletin contract against stores open returns
// (fresh and empty each time, closed by t.Cleanup).
func RunBulletin(t *testing.T, open func(t *testing.T) BulletinStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s BulletinStore)
	}{
		{"BulletinLifecycle", testBulletinLifecycle},
		{"BulletinSlug", testBulletinSlug},
		{"BulletinPublishRace", testBulletinPublishRace},
		{"BulletinList", testBulletinList},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

var bulletinIDs = uuid7.New(nil, nil)

var bulletinT0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// SampleBulletin is a valid bulletin content with slug slug, for tests.
func SampleBulletin(slug string) bulletin.Content {
	return bulletin.Content{
		Slug: slug, Level: bulletin.LevelWarning, Audiences: []bulletin.Audience{bulletin.AudienceEveryone},
		FR: bulletin.Text{Title: "Faux SMS de frais de livraison", Summary: "Un SMS réclame des frais pour un colis.",
			Looks: "- « Votre colis est en attente »\n- un lien court", Do: "Ne cliquez pas. Signalez le SMS au **33700**."},
		EN: bulletin.Text{Title: "Fake parcel fee text messages", Summary: "A text asks for a fee for a parcel.",
			Looks: "- \"Your parcel is waiting\"\n- a short link", Do: "Do not click. Report the text to **33700**."},
		Keys:      []string{"phone:+33199001234"},
		ValidFrom: bulletinT0,
	}
}

func newBulletin(t *testing.T, s BulletinStore, slug string, at time.Time) bulletin.NewDraft {
	t.Helper()
	ref, err := caseref.New(caseref.Bulletin, at.Year(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := bulletinIDs.New()
	d := bulletin.NewDraft{
		Case:    casefile.Case{ID: id, Ref: ref.String(), Kind: caseref.Bulletin, Category: "bulletin", Status: bulletin.StatusDraft, CreatedAt: at, UpdatedAt: at},
		Secrets: casefile.Secrets{LedgerSalt: []byte("salt-" + id)},
		Draft:   SampleBulletin(slug), By: "A7F2",
		Events: []casefile.Event{{ID: bulletinIDs.New(), CaseID: id, Type: bulletin.EventCreated, At: at, Actor: "agent:A7F2"}},
	}
	if err := s.CreateBulletin(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func publishVersion(t *testing.T, s BulletinStore, caseID string, n int, c bulletin.Content, at time.Time) (bulletin.Version, error) {
	t.Helper()
	typ := bulletin.EventPublished
	if n > 1 {
		typ = bulletin.EventUpdated
	}
	v := bulletin.Version{N: n, Content: c, Digest: c.Digest(), At: at, By: "A7F2", EventID: bulletinIDs.New()}
	ev := casefile.Event{ID: v.EventID, CaseID: caseID, Type: typ, At: at, Actor: "agent:A7F2",
		Data: map[string]string{"version": strconv.Itoa(n), "digest": v.Digest}}
	return v, s.PublishBulletin(t.Context(), bulletin.Publication{CaseID: caseID,
		Allowed: []casefile.Status{bulletin.StatusDraft, bulletin.StatusPublished}, Version: v, Events: []casefile.Event{ev}})
}

func testBulletinLifecycle(t *testing.T, s BulletinStore) {
	ctx := t.Context()
	d := newBulletin(t, s, "faux-sms-colis", bulletinT0)
	b, err := s.BulletinByRef(ctx, d.Case.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if b.Slug != "faux-sms-colis" || b.Published != nil || b.Draft == nil || b.Case.Status != bulletin.StatusDraft {
		t.Fatalf("new bulletin = %+v", b)
	}
	if !reflect.DeepEqual(*b.Draft, d.Draft) || b.DraftBy != "A7F2" || !b.DraftAt.Equal(bulletinT0) {
		t.Fatalf("draft = %+v by %q at %v, want %+v", *b.Draft, b.DraftBy, b.DraftAt, d.Draft)
	}
	v1, err := publishVersion(t, s, d.Case.ID, 1, d.Draft, bulletinT0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = s.BulletinByRef(ctx, d.Case.Ref)
	if b.Draft != nil || b.Published == nil || b.Published.N != 1 || b.Published.Digest != v1.Digest || b.Case.Status != bulletin.StatusPublished {
		t.Fatalf("after publish: %+v", b)
	}
	if !b.PublishedAt.Equal(v1.At) || !reflect.DeepEqual(b.Published.Content, d.Draft) {
		t.Fatalf("published at %v content %+v", b.PublishedAt, b.Published.Content)
	}
	// Publishing version 1 again, or skipping to 3, is refused.
	if _, err := publishVersion(t, s, d.Case.ID, 1, d.Draft, bulletinT0.Add(2*time.Minute)); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("version 1 twice: %v, want ErrConflict", err)
	}
	if _, err := publishVersion(t, s, d.Case.ID, 3, d.Draft, bulletinT0.Add(2*time.Minute)); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("version 3 after 1: %v, want ErrConflict", err)
	}
	// A new draft, then version 2; version 1 is kept as it was.
	c2 := d.Draft
	c2.FR.Summary = "Un SMS réclame 1,99 € pour un colis."
	c2.Slug = "ignored-once-published"
	if err := s.SaveBulletinDraft(ctx, d.Case.ID, c2, bulletinT0.Add(3*time.Minute), "B3C4"); err != nil {
		t.Fatal(err)
	}
	b, _ = s.BulletinByRef(ctx, d.Case.Ref)
	if b.Draft == nil || b.Draft.FR.Summary != c2.FR.Summary || b.Draft.Slug != "faux-sms-colis" || b.Slug != "faux-sms-colis" || b.Published.N != 1 {
		t.Fatalf("draft over version 1: %+v", b)
	}
	c2.Slug = "faux-sms-colis"
	if _, err := publishVersion(t, s, d.Case.ID, 2, c2, bulletinT0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	vs, err := s.BulletinVersions(ctx, d.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].N != 1 || vs[1].N != 2 || vs[0].Content.FR.Summary != d.Draft.FR.Summary || vs[1].Content.FR.Summary != c2.FR.Summary {
		t.Fatalf("versions = %+v", vs)
	}
	if vs[0].Digest != d.Draft.Digest() || vs[1].Digest != c2.Digest() || vs[0].EventID != v1.EventID {
		t.Fatalf("digests or events not kept: %+v", vs)
	}
	// Withdraw: once only, then no draft may be saved.
	wd := casefile.Event{ID: bulletinIDs.New(), CaseID: d.Case.ID, Type: bulletin.EventWithdrawn, At: bulletinT0.Add(5 * time.Minute), Actor: "agent:A7F2", Data: map[string]string{"version": "2"}}
	if err := s.WithdrawBulletin(ctx, d.Case.ID, []casefile.Status{bulletin.StatusPublished}, wd.At, []casefile.Event{wd}); err != nil {
		t.Fatal(err)
	}
	wd2 := wd
	wd2.ID = bulletinIDs.New()
	if err := s.WithdrawBulletin(ctx, d.Case.ID, []casefile.Status{bulletin.StatusPublished}, wd.At, []casefile.Event{wd2}); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("withdraw twice: %v, want ErrConflict", err)
	}
	if err := s.SaveBulletinDraft(ctx, d.Case.ID, c2, wd.At, "A7F2"); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("draft of a withdrawn bulletin: %v, want ErrConflict", err)
	}
	b, _ = s.BulletinByRef(ctx, d.Case.Ref)
	if !b.Withdrawn() || !b.WithdrawnAt.Equal(wd.At) || b.Case.Status != bulletin.StatusWithdrawn || b.Published.N != 2 {
		t.Fatalf("withdrawn: %+v", b)
	}
	// Every step is an event with its leaf in the outbox.
	evs, err := s.CaseEvents(ctx, d.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []string{bulletin.EventCreated, bulletin.EventPublished, bulletin.EventUpdated, bulletin.EventWithdrawn}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events = %v, want %v", types, want)
	}
	if evs[1].Data["digest"] != d.Draft.Digest() || evs[2].Data["digest"] != c2.Digest() {
		t.Fatalf("event digests = %v, %v", evs[1].Data, evs[2].Data)
	}
	pending, err := s.PendingOutbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string][]byte{}
	for _, o := range pending {
		leaves[o.EventID] = o.Leaf
	}
	for _, e := range evs {
		if got, want := string(leaves[e.ID]), string(casefile.NewLeaf(d.Secrets.LedgerSalt, d.Case.Ref, e).MarshalCanonical()); got != want {
			t.Fatalf("leaf of %s = %s, want %s", e.Type, got, want)
		}
	}
	if _, err := s.BulletinByRef(ctx, "AV-2026-0000-0000"); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("unknown ref: %v, want ErrNotFound", err)
	}
	if _, err := s.BulletinBySlug(ctx, "nothing-here"); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("unknown slug: %v, want ErrNotFound", err)
	}
}

func testBulletinSlug(t *testing.T, s BulletinStore) {
	ctx := t.Context()
	a := newBulletin(t, s, "faux-conseiller", bulletinT0)
	// A second bulletin with the same slug is refused and leaves nothing.
	ref, _ := caseref.New(caseref.Bulletin, 2026, rand.Reader)
	id := bulletinIDs.New()
	dup := bulletin.NewDraft{
		Case:    casefile.Case{ID: id, Ref: ref.String(), Kind: caseref.Bulletin, Category: "bulletin", Status: bulletin.StatusDraft, CreatedAt: bulletinT0, UpdatedAt: bulletinT0},
		Secrets: casefile.Secrets{LedgerSalt: []byte("x")}, Draft: SampleBulletin("faux-conseiller"), By: "A7F2",
		Events: []casefile.Event{{ID: bulletinIDs.New(), CaseID: id, Type: bulletin.EventCreated, At: bulletinT0, Actor: "agent:A7F2"}},
	}
	if err := s.CreateBulletin(ctx, dup); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("duplicate slug: %v, want ErrConflict", err)
	}
	if _, err := s.BulletinByRef(ctx, ref.String()); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("refused bulletin stored: %v", err)
	}
	// A draft never published may change its slug, not to a taken one.
	b := newBulletin(t, s, "faux-site", bulletinT0)
	c := b.Draft
	c.Slug = "faux-conseiller"
	if err := s.SaveBulletinDraft(ctx, b.Case.ID, c, bulletinT0.Add(time.Minute), "A7F2"); !errors.Is(err, guichet.ErrConflict) {
		t.Fatalf("slug taken: %v, want ErrConflict", err)
	}
	c.Slug = "faux-site-de-vente"
	if err := s.SaveBulletinDraft(ctx, b.Case.ID, c, bulletinT0.Add(time.Minute), "A7F2"); err != nil {
		t.Fatal(err)
	}
	got, err := s.BulletinBySlug(ctx, "faux-site-de-vente")
	if err != nil || got.Case.ID != b.Case.ID {
		t.Fatalf("by new slug: %+v, %v", got, err)
	}
	if got, err := s.BulletinBySlug(ctx, "faux-conseiller"); err != nil || got.Case.ID != a.Case.ID {
		t.Fatalf("first bulletin by slug: %+v, %v", got, err)
	}
}

func testBulletinPublishRace(t *testing.T, s BulletinStore) {
	d := newBulletin(t, s, "course", bulletinT0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := range 4 {
		wg.Go(func() {
			_, err := publishVersion(t, s, d.Case.ID, 1, d.Draft, bulletinT0.Add(time.Duration(i+1)*time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, guichet.ErrConflict):
				conflicts++
			default:
				t.Errorf("publish: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || conflicts != 3 {
		t.Fatalf("4 writers publishing version 1: %d succeeded, %d conflicts; want 1 and 3", ok, conflicts)
	}
	vs, err := s.BulletinVersions(t.Context(), d.Case.ID)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
}

func testBulletinList(t *testing.T, s BulletinStore) {
	ctx := t.Context()
	a := newBulletin(t, s, "premier", bulletinT0)
	b := newBulletin(t, s, "deuxieme", bulletinT0.Add(time.Hour))
	newBulletin(t, s, "brouillon", bulletinT0.Add(2*time.Hour))
	if _, err := publishVersion(t, s, a.Case.ID, 1, a.Draft, bulletinT0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := publishVersion(t, s, b.Case.ID, 1, b.Draft, bulletinT0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	slugs := func(bs []bulletin.Bulletin) []string {
		out := []string{}
		for _, x := range bs {
			out = append(out, x.Slug)
		}
		return out
	}
	pub, err := s.Bulletins(ctx, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(pub); !reflect.DeepEqual(got, []string{"deuxieme", "premier"}) {
		t.Fatalf("published = %v", got)
	}
	all, err := s.Bulletins(ctx, false, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(all); !reflect.DeepEqual(got, []string{"deuxieme", "premier", "brouillon"}) {
		t.Fatalf("all = %v", got)
	}
	if got, _ := s.Bulletins(ctx, false, 1); len(got) != 1 {
		t.Fatalf("limit 1: %d", len(got))
	}
	if _, err := s.Bulletins(ctx, false, 0); !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("limit 0: %v, want ErrInvalid", err)
	}
	empty, err := s.Bulletins(ctx, true, 10)
	if err != nil || empty == nil {
		t.Fatalf("list must never be nil: %v", err)
	}
}
