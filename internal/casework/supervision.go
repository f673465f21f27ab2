package casework

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

// maxReport bounds the rows of the supervisors' lists.
const maxReport = 1000

// AccessReport lists, for supervisors, every "accessed" event on cases of
// their units with At in [from, to), newest first (at most 1000). Other
// roles: guichet.ErrNotFound.
func (s *Service) AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]AccessEntry, error) {
	if p.Role != account.RoleSupervisor {
		return nil, notFound("access report")
	}
	recs, err := s.d.Store.AccessEvents(ctx, p.Units, from, to, maxReport)
	if err != nil {
		return nil, fmt.Errorf("access report: %w", err)
	}
	out := make([]AccessEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, AccessEntry{
			Ref: r.Ref, At: r.Event.At, Agent: r.Event.Data["agent"], Role: r.Event.Data["role"],
			UnitID: r.Event.Data["unit"], Purpose: Purpose(r.Event.Data["purpose"]), EventID: r.Event.ID,
		})
	}
	return out, nil
}

// Deadlines lists, for supervisors, the open pre-complaints of their units
// expiring within the duration, soonest first (at most 1000). Other roles:
// guichet.ErrNotFound.
func (s *Service) Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]QueueItem, error) {
	if p.Role != account.RoleSupervisor {
		return nil, notFound("deadlines")
	}
	rows, err := s.d.Store.QueueCases(ctx, QueueQuery{
		UnitIDs: p.Units, Kind: caseref.PreComplaint, Statuses: complaint.PreComplaint.Open(),
		ExpiresBefore: s.d.Clock.Now().Add(within), Limit: maxReport,
	})
	if err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b QueueRow) int { return a.Case.ExpiresAt.Compare(b.Case.ExpiresAt) })
	names := map[string]string{}
	out := make([]QueueItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, QueueItem{Case: r.Case, Appointment: r.Appointment, Assignee: s.assignee(ctx, r.Assignment, names)})
	}
	return out, nil
}
