package partner_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// failingUses is a store whose AddTokenUses fails.
type failingUses struct{ partner.Store }

func (failingUses) AddTokenUses(context.Context, map[string]partner.Use) error {
	return errors.New("disk full")
}

func newService(t *testing.T) (*partner.Service, *sqlite.Store, *clock) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	return partner.New(partner.Deps{Store: st, Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader)}), st, c
}

// TestAdminOnly: only administrators manage partners.
func TestAdminOnly(t *testing.T) {
	s, _, _ := newService(t)
	analyst := account.Principal{Role: account.RoleAnalyst, Pseudonym: "AN01"}
	_, err := s.CreatePartner(t.Context(), analyst, partner.NewPartner{Name: "X", Kind: partner.KindOther, Scopes: partner.Scopes})
	if !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an analyst created a partner: %v", err)
	}
	if _, err := s.Partners(t.Context(), analyst); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an analyst listed partners: %v", err)
	}
}

// TestValidation: field errors name the fields; tokens hold no more than
// their partner.
func TestValidation(t *testing.T) {
	s, _, _ := newService(t)
	ctx := t.Context()
	_, err := s.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: " ", Kind: "nope"})
	var v *guichet.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 3 {
		t.Fatalf("got %v, want name, kind and scopes refused", err)
	}
	p, err := s.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: "  Signal   Spam ", Kind: partner.KindObservatory, Scopes: []partner.Scope{partner.ScopeReportsWrite}})
	if err != nil || p.Name != "Signal Spam" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := s.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: "Signal Spam", Kind: partner.KindOther, Scopes: partner.Scopes}); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("same name twice: %v", err)
	}
	_, err = s.CreateToken(ctx, partner.CommandLine, p.ID, partner.NewToken{Scopes: []partner.Scope{partner.ScopeReportsRead}})
	v = nil
	if !errors.As(err, &v) || v.Fields[0].Field != "scopes" {
		t.Errorf("a token with more than its partner: %v", err)
	}
	if _, err := partner.ParseScopes("reports:write, admin:all"); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("unknown scope parsed: %v", err)
	}
	iss, err := s.CreateToken(ctx, partner.CommandLine, "Signal Spam", partner.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	if len(iss.Secret) != len(partner.TokenPrefix)+43 || iss.Token.Rate != partner.DefaultRate || iss.Token.Hint != iss.Secret[:10] {
		t.Errorf("token %+v %q", iss.Token, iss.Secret)
	}
	for _, bad := range []string{"", "Bearer x", iss.Secret + "x", iss.Secret[:20]} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, guichet.ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestUsesFlush: uses are written by Flush, not by Authenticate, and a
// failed flush keeps them for the next.
func TestUsesFlush(t *testing.T) {
	s, st, c := newService(t)
	ctx := t.Context()
	p, err := s.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: "P", Kind: partner.KindOther, Scopes: partner.Scopes})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := s.CreateToken(ctx, partner.CommandLine, p.ID, partner.NewToken{})
	if err != nil {
		t.Fatal(err)
	}
	uses := func() int64 {
		_, toks, err := s.Partner(ctx, partner.CommandLine, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return toks[0].Uses
	}
	for range 3 {
		if _, err := s.Authenticate(ctx, iss.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if n := uses(); n != 0 {
		t.Errorf("%d uses written before a flush", n)
	}
	broken := partner.New(partner.Deps{Store: failingUses{st}, Clock: c, IDs: uuid7.New(c.Now, rand.Reader)})
	if _, err := broken.Authenticate(ctx, iss.Secret); err != nil {
		t.Fatal(err)
	}
	if err := broken.Flush(ctx); err == nil {
		t.Error("a failed flush said nothing")
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := uses(); n != 3 {
		t.Errorf("%d uses, want 3", n)
	}
}
