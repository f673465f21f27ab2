package casework

import (
	"context"
	"fmt"
	"slices"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// Close closes a pre-complaint without complaint: a "closed" event
// (visible, {"reason", "redirect"}), status closed and ExpiresAt = now +
// Config.ClosedRetention so retention erases it later. Unknown reason or
// redirect, or CloseWrongService without redirect, fails with a
// *guichet.ValidationError (fields "reason", "redirect").
func (s *Service) Close(ctx context.Context, p account.Principal, ref string, reason CloseReason, redirect string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	var v guichet.ValidationError
	if !slices.Contains(CloseReasons, reason) {
		v.Add("reason", "err.required")
	}
	if _, ok := RedirectByCode(redirect); redirect != "" && !ok {
		v.Add("redirect", "err.choice")
	} else if redirect == "" && reason == CloseWrongService {
		v.Add("redirect", "err.required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if c.Erased() {
		return fmt.Errorf("case %s: erased: %w", c.Ref, guichet.ErrConflict)
	}
	allowed, err := s.transition(c, p, casefile.StatusClosed)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeCase(ctx, Change{
		CaseID: c.ID, Allowed: allowed, Status: casefile.StatusClosed, SetExpiry: true,
		ExpiresAt: now.Add(s.cfg.ClosedRetention), At: now,
		Events: []casefile.Event{
			s.event(c.ID, casefile.EventClosed, p, now, true, map[string]string{"reason": string(reason), "redirect": redirect}),
			statusEvent(s, c, p, now, casefile.StatusClosed),
		},
	})
	if err != nil {
		return fmt.Errorf("case %s: close: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "case closed", "ref", c.Ref, "reason", string(reason), "agent", p.Pseudonym)
	return nil
}
