package notify

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Sent is a message as the demo outbox keeps it: the address masked, the
// body not kept (it is the same fixed text for everyone).
type Sent struct {
	At      time.Time
	To      string // masked: j***@example.org
	Subject string
	CaseRef string
	UnitID  string
}

// Outbox is a Sender that sends nothing: it keeps the latest messages in
// memory for the back-office page /agent/envois, so a demonstration shows
// what would have been sent. It never holds an address in clear.
type Outbox struct {
	mu   sync.Mutex
	sent []Sent
	max  int
}

// NewOutbox returns an outbox keeping the latest max messages.
func NewOutbox(max int) *Outbox { return &Outbox{max: max} }

// Send records m with its address masked.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, Sent{At: m.At, To: Mask(m.To), Subject: m.Subject, CaseRef: m.CaseRef, UnitID: m.UnitID})
	if len(o.sent) > o.max {
		o.sent = slices.Delete(o.sent, 0, len(o.sent)-o.max)
	}
	return nil
}

// Sent returns the recorded messages about the cases of the given units,
// newest first.
func (o *Outbox) Sent(unitIDs []string) []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Sent{}
	for i := len(o.sent) - 1; i >= 0; i-- {
		if slices.Contains(unitIDs, o.sent[i].UnitID) {
			out = append(out, o.sent[i])
		}
	}
	return out
}
