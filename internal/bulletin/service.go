package bulletin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/typography"
	"github.com/guichet/guichet/internal/uuid7"
)

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	// Evidence checks that cited campaigns exist and cited keys are
	// published; nil refuses any citation (a bulletin may still be
	// written without).
	Evidence Evidence
	Clock    guichet.Clock
	Rand     io.Reader
	IDs      *uuid7.Generator
	Logger   *slog.Logger
}

// Service runs bulletins. It is safe for concurrent use.
type Service struct{ d Deps }

// New returns a Service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.IDs == nil {
		d.IDs = uuid7.New(d.Clock.Now, d.Rand)
	}
	return &Service{d: d}
}

// CanWrite reports whether p may write, publish and withdraw bulletins:
// analysts and supervisors.
func CanWrite(p account.Principal) bool {
	return p.Role == account.RoleAnalyst || p.Role == account.RoleSupervisor
}

func actor(p account.Principal) (casefile.Actor, error) {
	switch p.Role {
	case account.RoleSupervisor:
		return casefile.ActorSupervisor, nil
	case account.RoleAnalyst:
		return casefile.ActorAgent, nil
	}
	return "", fmt.Errorf("bulletin: role %q may not write bulletins: %w", p.Role, guichet.ErrForbidden)
}

func (s *Service) event(caseID, typ string, at time.Time, p account.Principal, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: "agent:" + p.Pseudonym, Data: data}
}

// Normalize tidies c as typed: trims every text, gives the French texts
// French typography (narrow no-break spaces, which a writer cannot type;
// URLs are left alone), sorts and dedups the lists, upper-cases campaign
// references.
func Normalize(c *Content) {
	c.Slug = strings.ToLower(strings.TrimSpace(c.Slug))
	for _, t := range []*Text{&c.FR, &c.EN} {
		t.Title, t.Summary = strings.TrimSpace(t.Title), strings.TrimSpace(t.Summary)
		t.Looks, t.Do = strings.TrimSpace(t.Looks), strings.TrimSpace(t.Do)
	}
	c.FR.Title, c.FR.Summary = typography.French(c.FR.Title), typography.French(c.FR.Summary)
	c.FR.Looks, c.FR.Do = typography.French(c.FR.Looks), typography.French(c.FR.Do)
	var camps []string
	for _, r := range c.Campaigns {
		if r = strings.ToUpper(strings.TrimSpace(r)); r != "" {
			camps = append(camps, r)
		}
	}
	var keys []string
	for _, k := range c.Keys {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(camps)
	slices.Sort(keys)
	slices.Sort(c.Audiences)
	c.Campaigns, c.Keys, c.Audiences = slices.Compact(camps), slices.Compact(keys), slices.Compact(c.Audiences)
	c.ValidFrom = c.ValidFrom.UTC().Truncate(time.Second)
	if !c.ValidUntil.IsZero() {
		c.ValidUntil = c.ValidUntil.UTC().Truncate(time.Second)
	}
}

// Check validates c whole: Validate, and every cited campaign exists and
// every cited key is published (an unpublished key, or one the index does
// not know, is refused: a bulletin cites only what reporters may see).
func (s *Service) Check(ctx context.Context, c *Content) error {
	v := Validate(c)
	for _, ref := range c.Campaigns {
		canon, err := report.ParseCampaignRef(ref)
		if err != nil {
			v.Add("campaigns", "avis.err.campaign", ref)
			continue
		}
		if s.d.Evidence == nil {
			v.Add("campaigns", "avis.err.campaign", ref)
			continue
		}
		if _, err := s.d.Evidence.CampaignByRef(ctx, canon); err != nil {
			if !errors.Is(err, guichet.ErrNotFound) {
				return err
			}
			v.Add("campaigns", "avis.err.campaign", ref)
		}
	}
	if len(c.Keys) > 0 {
		states := map[string]report.KeyState{}
		if s.d.Evidence != nil {
			var err error
			if states, err = s.d.Evidence.KeyStates(ctx, c.Keys); err != nil {
				return err
			}
		}
		for _, k := range c.Keys {
			if st, ok := states[k]; !ok || !st.Published {
				v.Add("keys", "avis.err.key", k)
			}
		}
	}
	return v.Err()
}

// Create opens a new bulletin with c as its draft and returns its
// reference. c is normalised and checked as for publication, so that a
// draft is always publishable as saved.
func (s *Service) Create(ctx context.Context, p account.Principal, c Content) (string, error) {
	if _, err := actor(p); err != nil {
		return "", err
	}
	Normalize(&c)
	if err := s.Check(ctx, &c); err != nil {
		return "", err
	}
	now := s.d.Clock.Now()
	salt := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, salt); err != nil {
		return "", fmt.Errorf("bulletin: salt: %w", err)
	}
	id := s.d.IDs.New()
	ref, err := casefile.MintRef(s.d.Rand, caseref.Bulletin, now.Year(), func(ref caseref.Ref) error {
		return s.d.Store.CreateBulletin(ctx, NewDraft{
			Case: casefile.Case{ID: id, Ref: ref.String(), Kind: caseref.Bulletin, Category: "bulletin",
				Status: StatusDraft, CreatedAt: now, UpdatedAt: now},
			Secrets: casefile.Secrets{LedgerSalt: salt},
			Draft:   c, By: p.Pseudonym,
			Events: []casefile.Event{s.event(id, EventCreated, now, p, nil)},
		})
	})
	if err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			var v guichet.ValidationError
			v.Add("slug", "avis.err.slug_taken")
			return "", &v
		}
		return "", err
	}
	s.d.Logger.InfoContext(ctx, "bulletin drafted", "ref", ref.String(), "by", p.Pseudonym)
	return ref.String(), nil
}

// Get returns a bulletin for a writer (draft included).
func (s *Service) Get(ctx context.Context, p account.Principal, ref string) (Bulletin, error) {
	if _, err := actor(p); err != nil {
		return Bulletin{}, err
	}
	return s.d.Store.BulletinByRef(ctx, ref)
}

// List returns the latest bulletins for a writer, drafts included.
func (s *Service) List(ctx context.Context, p account.Principal) ([]Bulletin, error) {
	if _, err := actor(p); err != nil {
		return nil, err
	}
	return s.d.Store.Bulletins(ctx, false, 500)
}

// SaveDraft replaces the draft of bulletin ref with c, checked as by
// Create. A published bulletin keeps its slug.
func (s *Service) SaveDraft(ctx context.Context, p account.Principal, ref string, c Content) error {
	if _, err := actor(p); err != nil {
		return err
	}
	b, err := s.d.Store.BulletinByRef(ctx, ref)
	if err != nil {
		return err
	}
	if b.Withdrawn() {
		return fmt.Errorf("bulletin %s is withdrawn: %w", ref, guichet.ErrConflict)
	}
	if b.Published != nil {
		c.Slug = b.Slug
	}
	Normalize(&c)
	if err := s.Check(ctx, &c); err != nil {
		return err
	}
	if err := s.d.Store.SaveBulletinDraft(ctx, b.Case.ID, c, s.d.Clock.Now(), p.Pseudonym); err != nil {
		if errors.Is(err, guichet.ErrConflict) && b.Published == nil {
			var v guichet.ValidationError
			v.Add("slug", "avis.err.slug_taken")
			return &v
		}
		return err
	}
	return nil
}

// Publish publishes bulletin ref's draft as its next version: version 1
// is the publication (a CAP Alert), any later one an update (a CAP
// Update). The draft is checked again (a cited key may have been
// unpublished since it was saved). Without a draft there is nothing to
// publish: guichet.ErrConflict.
func (s *Service) Publish(ctx context.Context, p account.Principal, ref string) (Version, error) {
	by, err := actor(p)
	if err != nil {
		return Version{}, err
	}
	b, err := s.d.Store.BulletinByRef(ctx, ref)
	if err != nil {
		return Version{}, err
	}
	if b.Draft == nil {
		return Version{}, fmt.Errorf("bulletin %s: no draft to publish: %w", ref, guichet.ErrConflict)
	}
	allowed, err := Kind.From(StatusPublished, by)
	if err != nil {
		return Version{}, err
	}
	if err := Kind.Check(b.Case.Status, StatusPublished, by); err != nil {
		return Version{}, err
	}
	c := *b.Draft
	Normalize(&c)
	if err := s.Check(ctx, &c); err != nil {
		return Version{}, err
	}
	now := s.d.Clock.Now()
	n, typ := 1, EventPublished
	if b.Published != nil {
		n, typ = b.Published.N+1, EventUpdated
	}
	v := Version{N: n, Content: c, Digest: c.Digest(), At: now, By: p.Pseudonym}
	ev := s.event(b.Case.ID, typ, now, p, map[string]string{"version": strconv.Itoa(n), "digest": v.Digest})
	v.EventID = ev.ID
	if err := s.d.Store.PublishBulletin(ctx, Publication{CaseID: b.Case.ID, Allowed: allowed, Version: v, Events: []casefile.Event{ev}}); err != nil {
		return Version{}, err
	}
	s.d.Logger.InfoContext(ctx, "bulletin published", "ref", ref, "version", n, "by", p.Pseudonym)
	return v, nil
}

// Withdraw withdraws published bulletin ref: it leaves the list and the
// Atom feed, and its CAP document becomes a Cancel.
func (s *Service) Withdraw(ctx context.Context, p account.Principal, ref string) error {
	by, err := actor(p)
	if err != nil {
		return err
	}
	b, err := s.d.Store.BulletinByRef(ctx, ref)
	if err != nil {
		return err
	}
	if err := Kind.Check(b.Case.Status, StatusWithdrawn, by); err != nil {
		return err
	}
	allowed, err := Kind.From(StatusWithdrawn, by)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	ev := s.event(b.Case.ID, EventWithdrawn, now, p, map[string]string{"version": strconv.Itoa(b.Published.N)})
	if err := s.d.Store.WithdrawBulletin(ctx, b.Case.ID, allowed, now, []casefile.Event{ev}); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "bulletin withdrawn", "ref", ref, "by", p.Pseudonym)
	return nil
}

// Versions returns the published versions of a bulletin, oldest first.
func (s *Service) Versions(ctx context.Context, b Bulletin) ([]Version, error) {
	return s.d.Store.BulletinVersions(ctx, b.Case.ID)
}

// Public returns a published bulletin (withdrawn ones too) by its slug
// or reference, as anyone may read it; a draft is not found.
func (s *Service) Public(ctx context.Context, slugOrRef string) (Bulletin, error) {
	var b Bulletin
	var err error
	if r, perr := caseref.Parse(strings.ToUpper(slugOrRef)); perr == nil && r.Kind == caseref.Bulletin {
		b, err = s.d.Store.BulletinByRef(ctx, r.String())
	} else if ValidSlug(slugOrRef) {
		b, err = s.d.Store.BulletinBySlug(ctx, slugOrRef)
	} else {
		return Bulletin{}, fmt.Errorf("bulletin %q: %w", slugOrRef, guichet.ErrNotFound)
	}
	if err != nil {
		return Bulletin{}, err
	}
	if b.Published == nil {
		return Bulletin{}, fmt.Errorf("bulletin %s: not published: %w", b.Ref(), guichet.ErrNotFound)
	}
	return b, nil
}

// MaxFeed bounds the bulletins a list or feed holds.
const MaxFeed = 200

// Published returns every bulletin published at least once, withdrawn
// ones included, the latest changed first (the feeds).
func (s *Service) Published(ctx context.Context) ([]Bulletin, error) {
	return s.d.Store.Bulletins(ctx, true, MaxFeed)
}

// Current returns the bulletins current at t for audience a ("" for
// all): published, not withdrawn, within their dates; the most serious
// first, then the latest.
func (s *Service) Current(ctx context.Context, at time.Time, a Audience) ([]Bulletin, error) {
	all, err := s.Published(ctx)
	if err != nil {
		return nil, err
	}
	out := []Bulletin{}
	for _, b := range all {
		if c := &b.Published.Content; !b.Withdrawn() && c.Current(at) && c.For(a) {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(x, y Bulletin) int {
		return slices.Index(Levels, y.Published.Content.Level) - slices.Index(Levels, x.Published.Content.Level)
	})
	return out, nil
}

// Cite is one current bulletin citing indicator keys.
type Cite struct {
	Ref, Slug string
	// Titles are the bulletin's titles per language ("fr", "en").
	Titles map[string]string
	// Keys are the keys asked about that it cites, sorted.
	Keys []string
}

// Citing returns the bulletins current at at that cite one of keys
// (written as report.Campaign keys are, "phone:+33…"), with the keys each
// cites; never nil. The "is this a scam?" checker uses it.
func (s *Service) Citing(ctx context.Context, keys []string, at time.Time) ([]Cite, error) {
	cur, err := s.Current(ctx, at, "")
	if err != nil {
		return nil, err
	}
	out := []Cite{}
	for _, b := range cur {
		c := b.Published.Content
		var hit []string
		for _, k := range keys {
			if slices.Contains(c.Keys, k) && !slices.Contains(hit, k) {
				hit = append(hit, k)
			}
		}
		if len(hit) > 0 {
			slices.Sort(hit)
			out = append(out, Cite{Ref: b.Ref(), Slug: b.Slug, Titles: map[string]string{"fr": c.FR.Title, "en": c.EN.Title}, Keys: hit})
		}
	}
	return out, nil
}
