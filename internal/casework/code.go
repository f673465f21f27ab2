package casework

import (
	"context"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// ReissueCode gives a case a new tracking code, for a citizen who lost
// theirs and came to the station with an identity document (the agent
// checks it; guichet cannot). The new code is returned once, to be
// handed over; only its digest is stored, and the old code no longer
// opens the case. A visible "code.reissued" event records who did it.
//
// A case of another unit is not found; an erased case, or one the
// citizen does not follow with a code (a formal complaint), fails with
// guichet.ErrConflict.
func (s *Service) ReissueCode(ctx context.Context, p account.Principal, ref string) (caseref.Code, error) {
	c, sec, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return "", err
	}
	if c.Erased() || len(sec.TrackingHash) == 0 {
		return "", fmt.Errorf("case %s: no tracking code to replace: %w", c.Ref, guichet.ErrConflict)
	}
	if s.d.TrackingDigest == nil {
		return "", fmt.Errorf("case %s: reissue code: no digest: %w", c.Ref, guichet.ErrUnavailable)
	}
	code, err := caseref.NewCode(s.d.Rand)
	if err != nil {
		return "", fmt.Errorf("case %s: reissue code: %w", c.Ref, err)
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeCase(ctx, Change{
		CaseID: c.ID, TrackingHash: s.d.TrackingDigest(code), At: now,
		Events: []casefile.Event{s.event(c.ID, casefile.EventCodeReissued, p, now, true, nil)},
	})
	if err != nil {
		return "", fmt.Errorf("case %s: reissue code: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "tracking code reissued", "ref", c.Ref, "agent", p.Pseudonym)
	return code, nil
}
