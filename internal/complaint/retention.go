package complaint

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// Retention is what one retention run did.
type Retention struct {
	Expired    int // pre-complaints expired and erased
	DraftFiles int // evidence files of abandoned drafts deleted
}

// RunRetention expires pre-complaints past their deadline — erasing their
// personal data, evidence and ledger salt, keeping a statistical tombstone
// — and deletes abandoned drafts. It is safe to run concurrently with
// itself and with citizens' requests.
func (s *Service) RunRetention(ctx context.Context) (Retention, error) {
	var r Retention
	now := s.d.Clock.Now()
	for {
		cases, err := s.d.Store.ExpirableCases(ctx, now, 100)
		if err != nil {
			return r, fmt.Errorf("retention: %w", err)
		}
		if len(cases) == 0 {
			break
		}
		for _, c := range cases {
			// Read it again just before erasing: an agent may have
			// confirmed or closed it since the batch was listed. EraseCase
			// checks the deadline again inside its transaction, which
			// closes the window; this read picks the status to record.
			cur, _, err := s.d.Store.CaseByRef(ctx, c.Ref)
			if err != nil || cur.ExpiresAt.IsZero() || cur.ExpiresAt.After(now) {
				continue
			}
			c = cur
			// A case closed by an agent stays closed: its retention period
			// is over, it did not expire unconfirmed.
			status, reason := casefile.StatusExpired, "not_confirmed"
			switch {
			case c.Kind != PreComplaint.Prefix:
				continue // other kinds keep their own retention
			case c.Status == casefile.StatusClosed:
				status, reason = casefile.StatusClosed, "retention"
			case PreComplaint.Check(c.Status, casefile.StatusExpired, casefile.ActorSystem) != nil:
				continue // the kernel says it cannot expire from where it is
			}
			evs := []casefile.Event{
				s.event(c.ID, casefile.EventExpired, "system", now, map[string]string{"reason": reason}),
				s.event(c.ID, casefile.EventErased, "system", now, nil),
			}
			keys, err := s.d.Store.EraseCase(ctx, c.ID, status, now, evs)
			if errors.Is(err, guichet.ErrNotFound) || errors.Is(err, guichet.ErrConflict) {
				continue // erased or confirmed meanwhile
			}
			if err != nil {
				return r, fmt.Errorf("retention: case %s: %w", c.Ref, err)
			}
			r.Expired++
			s.deleteBlobs(ctx, keys)
			s.d.Logger.InfoContext(ctx, "pre-complaint expired and erased", "ref", c.Ref)
		}
		if len(cases) < 100 {
			break
		}
	}
	keys, err := s.d.Store.DeleteExpiredDrafts(ctx, now)
	if err != nil {
		return r, fmt.Errorf("retention: drafts: %w", err)
	}
	s.deleteBlobs(ctx, keys)
	r.DraftFiles = len(keys)
	return r, nil
}

// deleteBlobs removes blobs after their rows are gone. A blob left behind
// stays unreadable: it was sealed with a data key that no longer exists.
func (s *Service) deleteBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.d.Blobs.Delete(ctx, k); err != nil {
			s.d.Logger.WarnContext(ctx, "blob not deleted", "key", k, "err", err)
		}
	}
}
