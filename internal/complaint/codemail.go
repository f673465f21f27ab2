package complaint

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// CodeMailer sends the citizen of case c their tracking code at the
// address to. It MUST NOT log, store or queue the code or the address.
type CodeMailer func(ctx context.Context, c casefile.Case, to string, code caseref.Code) error

// ErrCodeEmailed is why a second request to email the tracking code of a
// case is refused; it wraps guichet.ErrConflict.
var ErrCodeEmailed = fmt.Errorf("tracking code already emailed: %w", guichet.ErrConflict)

// EmailCode sends, at the citizen's request, the tracking code of ref to
// the email address they left, at most once a case. code MUST be the
// case's current tracking code (the confirmation holds it): any other
// fails with guichet.ErrUnauthenticated. A case without address, or erased,
// fails with guichet.ErrNotFound; a case whose code was emailed already
// with ErrCodeEmailed.
//
// The request is claimed first (a visible "code.emailed" event,
// guarded by the store so that two requests at once send one message),
// then sent; if sending fails, an invisible "code.email_failed"
// event gives the claim back, so the citizen may ask again, and the error
// wraps guichet.ErrUnavailable. The code is never queued: it exists in
// clear only in the citizen's confirmation, so the message is sent now.
func (s *Service) EmailCode(ctx context.Context, ref string, code caseref.Code, send CodeMailer) error {
	c, sec, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return fmt.Errorf("case %s: email code: %w", ref, err)
	}
	if !caseref.Equal(s.TrackingDigest(code), sec.TrackingHash) {
		return fmt.Errorf("case %s: email code: not the case's code: %w", ref, guichet.ErrUnauthenticated)
	}
	if c.Erased() {
		return fmt.Errorf("case %s: email code: erased: %w", ref, guichet.ErrNotFound)
	}
	to, err := s.ContactEmail(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("case %s: email code: %w", ref, err)
	}
	now := s.d.Clock.Now()
	claim := s.event(c.ID, casefile.EventCodeEmailed, "citizen", now, nil)
	if err := s.d.Store.ClaimEvent(ctx, c.ID, claim, casefile.EventCodeEmailFailed); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			return fmt.Errorf("case %s: %w", ref, ErrCodeEmailed)
		}
		return fmt.Errorf("case %s: email code: %w", ref, err)
	}
	if err := send(ctx, c, to, code); err != nil {
		// The error may quote the address (a mail server's answer): it is
		// not logged, only its having happened.
		s.d.Logger.WarnContext(ctx, "tracking code email failed", "ref", ref)
		failed := s.event(c.ID, casefile.EventCodeEmailFailed, "system", s.d.Clock.Now(), nil)
		failed.Visible = false
		if rerr := s.d.Store.RecordEvents(ctx, c.ID, []casefile.Event{failed}); rerr != nil {
			return fmt.Errorf("case %s: email code: send failed, and its release: %w", ref, rerr)
		}
		return fmt.Errorf("case %s: email code: send failed: %w", ref, guichet.ErrUnavailable)
	}
	s.d.Logger.InfoContext(ctx, "tracking code emailed at the citizen's request", "ref", ref)
	return nil
}

// CodeEmailed reports whether a case's events show its tracking code
// emailed (a claim not given back by a failure).
func CodeEmailed(events []casefile.Event) bool {
	n := 0
	for _, e := range events {
		switch e.Type {
		case casefile.EventCodeEmailed:
			n++
		case casefile.EventCodeEmailFailed:
			n--
		}
	}
	return n > 0
}
