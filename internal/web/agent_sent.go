package web

import (
	"context"
	"net/http"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/notify"
)

// Envois lists the notifications sent to citizens, for /agent/envois. The
// value given as Deps.Cases may implement it (cmd/guichet composes the
// case desk with the notification service); without it the page says
// that notifications are off.
type Envois interface {
	// Notifications returns the latest notifications about the cases of
	// the given units, newest first.
	Notifications(ctx context.Context, unitIDs []string) ([]notify.Notification, error)
	// Outbox returns, in a demonstration, what the in-memory outbox
	// "sent" about those units' cases (addresses masked); nil otherwise.
	Outbox(unitIDs []string) []notify.Sent
}

func (s *Server) agentSent(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	data := struct {
		Enabled bool
		Queue   []notify.Notification
		Outbox  []notify.Sent
	}{}
	if ev, ok := s.d.Cases.(Envois); ok {
		data.Enabled = true
		q, err := ev.Notifications(r.Context(), pr.Units)
		if err != nil {
			return err
		}
		data.Queue, data.Outbox = q, ev.Outbox(pr.Units)
	}
	p := s.newPage(r)
	p.Data = data
	return s.render(w, r, http.StatusOK, "agent_sent", p)
}
