package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
)

// queueDesk is what the queue page needs of the case desk.
type queueDesk interface {
	Queue(ctx context.Context, p account.Principal, f casework.Filter) (*casework.Page, error)
}

// queueData is the queue page's data.
type queueData struct {
	Filter   url.Values
	Items    []casework.QueueItem
	Next     string // query of the next page, empty on the last
	Now      time.Time
	Statuses []string
	Cats     []string
}

// queueStatuses are the statuses the queue filter offers.
var queueStatuses = []string{"submitted", "assigned", "in_progress", "confirmed", "closed", "expired"}

var queueCategories = []string{
	string(complaint.Theft), string(complaint.VehicleTheft), string(complaint.Burglary),
	string(complaint.Damage), string(complaint.Fraud),
}

func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if !pr.HandlesCases() {
		// The back-office home of roles without cases: reports for
		// analysts; for dispatchers and admins, for now, their security
		// page.
		if pr.Role == account.RoleAnalyst && s.d.Reports != nil {
			return redirect(w, r, "/agent/signalements")
		}
		if pr.Role == account.RoleDispatcher && s.d.Alerts != nil {
			return redirect(w, r, "/agent/dispatch")
		}
		return redirect(w, r, "/agent/securite")
	}
	q := r.URL.Query()
	f, ferr := decodeQueueFilter(q)
	if bad := textOnly(q); bad != nil {
		ferr = bad
	}
	p := s.newPage(r)
	data := queueData{Filter: q, Now: s.d.Clock.Now(), Statuses: queueStatuses, Cats: queueCategories}
	p.Values = map[string]string{}
	for k := range q {
		p.Values[k] = q.Get(k)
	}
	p.Data = &data
	if ferr != nil {
		p.setErrors(ferr)
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_queue", p)
	}
	page, err := s.d.Cases.Queue(r.Context(), pr, f)
	if errors.Is(err, guichet.ErrInvalid) {
		p.addError("page", "cases.err.page")
		return s.render(w, r, http.StatusBadRequest, "agent_queue", p)
	}
	if err != nil {
		return err
	}
	data.Items = page.Items
	if page.Next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", page.Next)
		data.Next = nq.Encode()
	}
	return s.render(w, r, http.StatusOK, "agent_queue", p)
}

// Expiry says how long a case has left: "expire dans 5 j".
func (p *page) Expiry(now, at time.Time) string {
	if at.IsZero() {
		return ""
	}
	d := at.Sub(now)
	if d <= 0 {
		return p.cat.T("cases.expired")
	}
	if d < 24*time.Hour {
		return p.cat.T("cases.expires_hours", int(d.Hours())+1)
	}
	return p.cat.T("cases.expires_days", int(d.Hours()/24))
}

// decodeQueueFilter reads the queue's filter form (a GET query). Dates are
// days in Paris time, "au" inclusive; "echeance" is 1 to 365 days. Bad
// values come back as a *guichet.ValidationError naming their fields.
func decodeQueueFilter(q url.Values) (casework.Filter, error) {
	f := casework.Filter{
		Category: q.Get("categorie"), Status: casefile.Status(q.Get("etat")),
		Ref: strings.TrimSpace(q.Get("ref")), Mine: q.Get("moi") == "1", Cursor: q.Get("page"),
	}
	var verr guichet.ValidationError
	if v := q.Get("du"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			f.From = t
		} else {
			verr.Add("du", "err.date")
		}
	}
	if v := q.Get("au"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris); err == nil {
			f.To = t.AddDate(0, 0, 1)
		} else {
			verr.Add("au", "err.date")
		}
	}
	if v := q.Get("echeance"); v != "" {
		if d, err := strconv.Atoi(v); err == nil && d > 0 && d <= 365 {
			f.ExpiringWithin = time.Duration(d) * 24 * time.Hour
		} else {
			verr.Add("echeance", "cases.err.days")
		}
	}
	return f, verr.Err()
}
