package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// notFound is the one answer to anything out of the principal's scope.
func notFound(what string) error { return fmt.Errorf("%s: %w", what, guichet.ErrNotFound) }

// caseInScope loads a case by reference (as typed) and checks that p may
// see it; anything else is guichet.ErrNotFound.
func (s *Service) caseInScope(ctx context.Context, p account.Principal, ref string) (casefile.Case, casefile.Secrets, error) {
	if !p.HandlesCases() {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + ref)
	}
	r, err := caseref.Parse(ref)
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + ref)
	}
	c, sec, err := s.d.Store.CaseByRef(ctx, r.String())
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, fmt.Errorf("case %s: %w", r, err)
	}
	if !p.CanSeeUnit(c.UnitID) {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + r.String())
	}
	return c, sec, nil
}

// actor is how an agent appears in events.
func actor(p account.Principal) string { return "agent:" + p.Pseudonym }

// deskActor is the principal as the kernel's transition tables name it.
func deskActor(p account.Principal) casefile.Actor {
	if p.Role == account.RoleSupervisor {
		return casefile.ActorSupervisor
	}
	return casefile.ActorAgent
}

// transition checks with the kernel that p may move c to status to, and
// returns the statuses the store must find the case in (its guard).
func (s *Service) transition(c casefile.Case, p account.Principal, to casefile.Status) ([]casefile.Status, error) {
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w: %w", c.Ref, guichet.ErrConflict, err)
	}
	if err := k.Check(c.Status, to, deskActor(p)); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	return k.From(to, deskActor(p))
}

func (s *Service) event(caseID, typ string, p account.Principal, at time.Time, visible bool, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: actor(p), Visible: visible, Data: data}
}

func (s *Service) accessEvent(c casefile.Case, p account.Principal, at time.Time, purpose Purpose) casefile.Event {
	return s.event(c.ID, casefile.EventAccessed, p, at, true, map[string]string{
		"unit": c.UnitID, "role": string(p.Role), "agent": p.Pseudonym, "purpose": string(purpose),
	})
}

func statusEvent(s *Service, c casefile.Case, p account.Principal, at time.Time, to casefile.Status) casefile.Event {
	return s.event(c.ID, casefile.EventStatusChanged, p, at, true, map[string]string{"from": string(c.Status), "to": string(to)})
}
