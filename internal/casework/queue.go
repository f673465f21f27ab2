package casework

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// encodeCursor and decodeCursor keep a queue position opaque to clients.
func encodeCursor(k QueueKey) string {
	na := "0"
	if k.NoAppointment {
		na = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(na + "." + strconv.FormatInt(k.At.UnixMicro(), 10) + "." + k.ID))
}

func decodeCursor(c string) (*QueueKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.SplitN(string(b), ".", 3)
	if err != nil || len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") || parts[2] == "" {
		return nil, fmt.Errorf("queue cursor: %w", guichet.ErrInvalid)
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("queue cursor: %w", guichet.ErrInvalid)
	}
	return &QueueKey{NoAppointment: parts[0] == "1", At: time.UnixMicro(us).UTC(), ID: parts[2]}, nil
}

func keyOf(r QueueRow) QueueKey {
	if r.Appointment != nil {
		return QueueKey{At: r.Appointment.Start, ID: r.Case.ID}
	}
	at := r.Case.SubmittedAt
	if at.IsZero() {
		at = r.Case.CreatedAt
	}
	return QueueKey{NoAppointment: true, At: at, ID: r.Case.ID}
}

// Queue returns the pre-complaints of the principal's units matching f,
// by appointment time (cases without appointment after, by submission).
// Metadata only: nothing is decrypted and no access event is recorded.
// An invalid cursor fails with guichet.ErrInvalid.
func (s *Service) Queue(ctx context.Context, p account.Principal, f Filter) (*Page, error) {
	if !p.HandlesCases() {
		return nil, notFound("queue")
	}
	q := QueueQuery{UnitIDs: p.Units, Category: f.Category, ApptFrom: f.From, ApptTo: f.To}
	if f.Status != "" {
		q.Statuses = []casefile.Status{f.Status}
	} else {
		q.Statuses = s.open
	}
	if f.ExpiringWithin > 0 {
		q.ExpiresBefore = s.d.Clock.Now().Add(f.ExpiringWithin)
	}
	if strings.TrimSpace(f.Ref) != "" {
		r, err := caseref.Parse(f.Ref)
		if err != nil {
			return &Page{Items: []QueueItem{}}, nil
		}
		q.Ref, q.Kind, q.Statuses = r.String(), "", nil // a reference finds its case whatever its status
	}
	if f.Mine {
		q.AssignedTo = p.AgentID
	}
	q.Limit = f.Limit
	if q.Limit <= 0 {
		q.Limit = s.cfg.PageSize
	}
	q.Limit = min(q.Limit, s.cfg.MaxPageSize)
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		q.After = k
	}
	want := q.Limit
	q.Limit++ // one more tells whether a next page exists
	rows, err := s.d.Store.QueueCases(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	page := &Page{Items: make([]QueueItem, 0, min(len(rows), want))}
	if len(rows) > want {
		rows = rows[:want]
		page.Next = encodeCursor(keyOf(rows[want-1]))
	}
	names := map[string]string{}
	for _, r := range rows {
		page.Items = append(page.Items, QueueItem{Case: r.Case, Appointment: r.Appointment, Assignee: s.assignee(ctx, r.Assignment, names)})
	}
	return page, nil
}

// assignee completes a stored assignment with the agent's name, cached in
// names for one request.
func (s *Service) assignee(ctx context.Context, a *Assignment, names map[string]string) *Assignee {
	if a == nil {
		return nil
	}
	out := &Assignee{AgentID: a.AgentID, Pseudonym: a.Pseudonym, At: a.At}
	if s.d.Agents == nil {
		return out
	}
	name, ok := names[a.AgentID]
	if !ok {
		if ag, err := s.d.Agents.AgentByID(ctx, a.AgentID); err == nil {
			name = ag.Name
		}
		names[a.AgentID] = name
	}
	out.Name = name
	return out
}
