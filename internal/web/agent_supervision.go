package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
)

// supervisionDesk is what the deadlines and the access report need of
// the case desk.
type supervisionDesk interface {
	AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]casework.AccessEntry, error)
	Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]casework.QueueItem, error)
}

func (s *Server) agentDeadlines(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	days := 7
	if v, err := strconv.Atoi(r.URL.Query().Get("jours")); err == nil && v > 0 && v <= 90 {
		days = v
	}
	items, err := s.d.Cases.Deadlines(r.Context(), pr, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Values = map[string]string{"jours": strconv.Itoa(days)}
	p.Data = struct {
		Items []casework.QueueItem
		Now   time.Time
		Days  int
	}{items, s.d.Clock.Now(), days}
	return s.render(w, r, http.StatusOK, "agent_deadlines", p)
}

func (s *Server) agentAccess(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	now := s.d.Clock.Now()
	from := now.AddDate(0, 0, -30)
	if v := r.URL.Query().Get("du"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			from = t
		}
	}
	entries, err := s.d.Cases.AccessReport(r.Context(), pr, from, now.Add(time.Second))
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Values = map[string]string{"du": from.In(complaint.Paris).Format("2006-01-02")}
	p.Data = struct {
		Entries []casework.AccessEntry
		From    time.Time
	}{entries, from}
	return s.render(w, r, http.StatusOK, "agent_access", p)
}
