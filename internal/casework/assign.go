package casework

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// Assignees returns the agents a case may be assigned to: the active
// agents and supervisors of its unit.
func (s *Service) Assignees(ctx context.Context, p account.Principal, ref string) ([]Agent, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if s.d.Agents == nil {
		return []Agent{}, nil
	}
	all, err := s.d.Agents.UnitAgents(ctx, c.UnitID)
	if err != nil {
		return nil, fmt.Errorf("case %s: agents: %w", c.Ref, err)
	}
	out := make([]Agent, 0, len(all))
	for _, a := range all {
		if assignable(a, c.UnitID) {
			out = append(out, a)
		}
	}
	return out, nil
}

func assignable(a Agent, unitID string) bool {
	return a.Active && a.UnitID == unitID && (a.Role == account.RoleAgent || a.Role == account.RoleSupervisor)
}

// Assign puts an agent of the case's unit in charge: an "assigned" event
// (visible, {"agent": pseudonym}) and status assigned (unless already in
// progress). An agent of another unit, inactive or not handling cases
// fails with a *guichet.ValidationError on field "agent"; a final case
// with guichet.ErrConflict.
func (s *Service) Assign(ctx context.Context, p account.Principal, ref, agentID string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	var v guichet.ValidationError
	if s.d.Agents == nil {
		v.Add("agent", "err.agent.unknown")
		return v.Err()
	}
	a, err := s.d.Agents.AgentByID(ctx, agentID)
	if errors.Is(err, guichet.ErrNotFound) || (err == nil && !assignable(a, c.UnitID)) {
		v.Add("agent", "err.agent.unknown")
		return v.Err()
	}
	if err != nil {
		return fmt.Errorf("case %s: assign: %w", c.Ref, err)
	}
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil || k.IsFinal(c.Status) || c.Erased() {
		return fmt.Errorf("case %s: %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	now := s.d.Clock.Now()
	ch := Change{
		CaseID: c.ID, At: now, Allowed: k.Open(),
		Assign: &Assignment{AgentID: a.ID, Pseudonym: a.Pseudonym, At: now},
		Events: []casefile.Event{s.event(c.ID, casefile.EventAssigned, p, now, true, map[string]string{"agent": a.Pseudonym})},
	}
	// Assigning takes the case up unless it is already being worked on.
	if allowed, err := s.transition(c, p, casefile.StatusAssigned); err == nil {
		ch.Allowed, ch.Status = allowed, casefile.StatusAssigned
		ch.Events = append(ch.Events, statusEvent(s, c, p, now, casefile.StatusAssigned))
	}
	if err := s.d.Store.ChangeCase(ctx, ch); err != nil {
		return fmt.Errorf("case %s: assign: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "case assigned", "ref", c.Ref, "agent", a.Pseudonym, "by", p.Pseudonym)
	return nil
}
