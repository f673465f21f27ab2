// Package notify tells citizens by email that something happened on their
// case, without ever saying what.
//
// When an agent does something a citizen can see on their status page
// (assignment, a note to the citizen, conversion into a formal complaint,
// closure, a moved appointment), the citizen who left an email address
// receives one short, fixed message in French and English inviting them
// to open their status page with their reference and tracking code. The
// message carries no reference, no name, no category, nothing typed by
// anyone: a mailbox is often shared or read by others, and even a
// reference would confirm that this person went to the police.
//
// Delivery is durable without touching any store transaction that records
// events. A scanner reads committed case events after a cursor (the outbox
// entry ID) and, for each case with a relevant event, enqueues at most one
// pending notification (a burst of events makes one message). A sender
// claims due notifications from that durable queue and sends them, with
// exponential back-off, a bounded number of attempts, then "failed". The
// queue holds case IDs only: the address is read at send time from the
// case's sealed personal part, so erasure stops delivery and no address
// ever sits in the queue in clear.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/typography"
)

// Status is where a notification stands.
type Status string

// Statuses of a notification. Only pending notifications are ever sent; a
// case has at most one pending notification at a time.
const (
	StatusPending   Status = "pending"
	StatusSent      Status = "sent"
	StatusFailed    Status = "failed"    // every attempt failed
	StatusCancelled Status = "cancelled" // no address (none given, or erased)
)

// Event is a committed case event as the scanner sees it: no data, only
// what decides whether it is worth a message.
type Event struct {
	Pos     int64 // the event's outbox entry ID: the cursor's unit
	CaseID  string
	Type    string
	Actor   string
	Visible bool
	At      time.Time
}

// Notification is one message owed to the citizen of a case.
type Notification struct {
	ID        int64
	CaseID    string
	CaseRef   string // joined from the case, for agents' pages
	UnitID    string // joined from the case
	Status    Status
	Attempts  int       // attempts started (claimed)
	NextAt    time.Time // when it is due, or when its lease ends
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastError is the kind of the last failure ("temporary", "permanent"),
	// never a server's answer, which may quote the address.
	LastError string
}

// Store is the durable queue and its cursor.
//
// Implementations MUST keep the cursor and the queue in the same database
// as the case events, and MUST hold no email address.
type Store interface {
	// NotifyCursor returns the position of the last event scanned.
	NotifyCursor(ctx context.Context) (int64, error)
	// NotifyEventsAfter returns up to limit (> 0) committed events whose
	// Pos is greater than after, in Pos order. It MUST NOT skip an event
	// that commits later with a smaller Pos than one it returned: a store
	// whose IDs are drawn before commit MUST wait for writers in flight.
	NotifyEventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// EnqueueNotifications, atomically, moves the cursor from `from` to
	// `to` and adds a pending notification due at dueAt for each case of
	// caseIDs that has none pending (at most one pending per case). A
	// cursor not at `from` (another scanner moved it) fails with
	// guichet.ErrConflict and changes nothing. It returns how many
	// notifications were added.
	EnqueueNotifications(ctx context.Context, from, to int64, caseIDs []string, dueAt, now time.Time) (int, error)
	// ClaimNotifications returns up to limit (> 0) pending notifications
	// due at or before now, oldest due first, each with Attempts increased
	// by one and NextAt set to leaseUntil, so that no other sender claims
	// it before then.
	ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Notification, error)
	// FinishNotification records the outcome of an attempt on a pending
	// notification: its Status, NextAt (for a retry, still pending),
	// LastError and UpdatedAt = at. A notification no longer pending fails
	// with guichet.ErrConflict; an unknown one with guichet.ErrNotFound.
	FinishNotification(ctx context.Context, id int64, status Status, nextAt time.Time, lastError string, at time.Time) error
	// ListNotifications returns the latest limit (> 0) notifications of
	// the cases of the given units, newest first.
	ListNotifications(ctx context.Context, unitIDs []string, limit int) ([]Notification, error)
}

// Contacts finds where to reach a case's citizen. ContactEmail MUST fail
// with an error wrapping guichet.ErrNotFound when the case has no address
// (none given, or its personal data erased).
type Contacts interface {
	ContactEmail(ctx context.Context, caseID string) (string, error)
}

// Message is one email. CaseRef and UnitID are for the sender's own
// records (the demo outbox) and MUST NOT be written into the email.
type Message struct {
	To      string
	Subject string
	Body    string // plain text, CRLF line ends not required
	CaseRef string
	UnitID  string
	At      time.Time
}

// Sender delivers messages. Send MUST return an error wrapping
// ErrPermanent when retrying cannot help (address refused).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a delivery failure that retrying cannot cure.
var ErrPermanent = errors.New("permanent delivery failure")

// Config holds the notification rules.
type Config struct {
	// PublicURL is the citizens' address of the site; messages point to
	// PublicURL + "/suivi".
	PublicURL string
	// Coalesce is how long a new notification waits before it is sent, so
	// that a burst of changes makes one message (default 2 minutes).
	Coalesce time.Duration
	// MaxAttempts is how many sends are tried before "failed" (default 8).
	MaxAttempts int
	// Backoff is the wait after the first failure, doubled after each
	// (default 1 minute), up to MaxBackoff (default 6 hours).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Lease is how long a claimed notification is reserved for its sender
	// (default 5 minutes): a sender that dies mid-send is retried then.
	Lease time.Duration
	// Batch bounds the events scanned and messages sent per pass (100).
	Batch int
	// Gap is the least time Run leaves between two passes, however often
	// it is woken (default 1s). On PostgreSQL a scan briefly holds writers
	// back (it waits for the outbox's writers in flight), and messages wait
	// Coalesce anyway, so a busy site scans once a Gap, not once a commit.
	Gap time.Duration
}

func (c *Config) defaults() {
	if c.Coalesce <= 0 {
		c.Coalesce = 2 * time.Minute
	}
	if c.Gap == 0 {
		c.Gap = time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 6 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
}

// Deps are what the service is built from.
type Deps struct {
	Store    Store
	Contacts Contacts
	Sender   Sender
	Clock    guichet.Clock
	Logger   *slog.Logger
}

// Service scans events and delivers notifications. It is safe for
// concurrent use, and several processes may run it on one database.
type Service struct {
	cfg  Config
	d    Deps
	wake chan struct{}
	mu   sync.Mutex // one pass at a time in this process
}

// New returns a Service.
func New(cfg Config, d Deps) *Service {
	cfg.defaults()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	return &Service{cfg: cfg, d: d, wake: make(chan struct{}, 1)}
}

// Relevant reports whether an event is worth telling the citizen about: a
// change shown on their status page and made by an agent. Accesses are
// left out (every reading would send a message), and so is what the
// citizen or the system did.
func Relevant(e Event) bool {
	if !e.Visible || e.Type == casefile.EventAccessed {
		return false
	}
	switch e.Actor {
	case "", "citizen", "system":
		return false
	}
	return true
}

// Scan reads the events committed since the cursor and enqueues one
// notification per case with a relevant event, until none is left. It
// returns how many notifications it added.
func (s *Service) Scan(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for {
		cur, err := s.d.Store.NotifyCursor(ctx)
		if err != nil {
			return added, fmt.Errorf("notify: scan: %w", err)
		}
		evs, err := s.d.Store.NotifyEventsAfter(ctx, cur, s.cfg.Batch)
		if err != nil {
			return added, fmt.Errorf("notify: scan: %w", err)
		}
		if len(evs) == 0 {
			return added, nil
		}
		var cases []string
		seen := map[string]bool{}
		for _, e := range evs {
			if Relevant(e) && !seen[e.CaseID] {
				seen[e.CaseID] = true
				cases = append(cases, e.CaseID)
			}
		}
		now := s.d.Clock.Now()
		n, err := s.d.Store.EnqueueNotifications(ctx, cur, evs[len(evs)-1].Pos, cases, now.Add(s.cfg.Coalesce), now)
		if errors.Is(err, guichet.ErrConflict) {
			continue // another scanner moved the cursor: read from where it is
		}
		if err != nil {
			return added, fmt.Errorf("notify: scan: %w", err)
		}
		added += n
		if len(evs) < s.cfg.Batch {
			return added, nil
		}
	}
}

// Delivery is what one Deliver pass did.
type Delivery struct {
	Sent, Retried, Failed, Cancelled int
}

// Deliver sends the notifications that are due, once each: success marks
// them sent; a case without address (none given, or erased) cancels its
// notification; a temporary failure reschedules it after an exponential
// back-off; the last allowed attempt, or a permanent failure, marks it
// failed.
func (s *Service) Deliver(ctx context.Context) (Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d Delivery
	now := s.d.Clock.Now()
	due, err := s.d.Store.ClaimNotifications(ctx, now, now.Add(s.cfg.Lease), s.cfg.Batch)
	if err != nil {
		return d, fmt.Errorf("notify: deliver: %w", err)
	}
	for _, n := range due {
		status, next, kind := s.attempt(ctx, n)
		at := s.d.Clock.Now()
		if err := s.d.Store.FinishNotification(ctx, n.ID, status, next, kind, at); err != nil {
			return d, fmt.Errorf("notify: notification %d: %w", n.ID, err)
		}
		switch {
		case status == StatusSent:
			d.Sent++
		case status == StatusCancelled:
			d.Cancelled++
		case status == StatusFailed:
			d.Failed++
		default:
			d.Retried++
		}
	}
	return d, nil
}

// attempt sends n once and returns what becomes of it.
func (s *Service) attempt(ctx context.Context, n Notification) (Status, time.Time, string) {
	to, err := s.d.Contacts.ContactEmail(ctx, n.CaseID)
	if errors.Is(err, guichet.ErrNotFound) {
		s.d.Logger.InfoContext(ctx, "notification cancelled: no address", "notification", n.ID, "ref", n.CaseRef)
		return StatusCancelled, time.Time{}, ""
	}
	if err == nil {
		m := Compose(s.cfg.PublicURL)
		m.To, m.CaseRef, m.UnitID, m.At = to, n.CaseRef, n.UnitID, s.d.Clock.Now()
		err = s.d.Sender.Send(ctx, m)
		if err == nil {
			s.d.Logger.InfoContext(ctx, "notification sent", "notification", n.ID, "ref", n.CaseRef, "attempt", n.Attempts)
			return StatusSent, time.Time{}, ""
		}
	}
	// The error may quote the address (an SMTP server's answer does): only
	// its kind is logged and stored.
	kind := "temporary"
	if errors.Is(err, ErrPermanent) {
		kind = "permanent"
	}
	if kind == "permanent" || n.Attempts >= s.cfg.MaxAttempts {
		s.d.Logger.WarnContext(ctx, "notification failed", "notification", n.ID, "ref", n.CaseRef, "attempts", n.Attempts, "kind", kind)
		return StatusFailed, time.Time{}, kind
	}
	next := s.d.Clock.Now().Add(s.Backoff(n.Attempts))
	s.d.Logger.WarnContext(ctx, "notification to retry", "notification", n.ID, "ref", n.CaseRef, "attempts", n.Attempts, "next", next)
	return StatusPending, next, kind
}

// Backoff returns the wait after the attempts-th failed attempt (1, 2, …):
// Backoff doubled attempts-1 times, at most MaxBackoff.
func (s *Service) Backoff(attempts int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < attempts && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// Wake asks Run for a pass now (after a commit that recorded events). It
// never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run scans and delivers every interval, and whenever Wake is called,
// until ctx ends, leaving at least Config.Gap between passes. Failures are
// logged and retried at the next pass.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Scan(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.ErrorContext(ctx, "notification scan failed", "err", err)
		}
		if _, err := s.Deliver(ctx); err != nil && ctx.Err() == nil {
			s.d.Logger.ErrorContext(ctx, "notification delivery failed", "err", err)
		}
		if s.cfg.Gap > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.cfg.Gap):
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// List returns the latest notifications of the units' cases, newest first.
func (s *Service) List(ctx context.Context, unitIDs []string, limit int) ([]Notification, error) {
	if len(unitIDs) == 0 {
		return []Notification{}, nil
	}
	return s.d.Store.ListNotifications(ctx, unitIDs, limit)
}

// Compose returns the one message every notification sends: no reference,
// no name, no category, nothing about the case, in French then English
// (the case's language may be unknown). publicURL is the site's address.
func Compose(publicURL string) Message {
	link := strings.TrimRight(publicURL, "/") + "/suivi"
	body := strings.Join([]string{
		"Bonjour,",
		"",
		typography.French("Votre dossier a été mis à jour ; consultez-le avec votre référence et votre code de suivi sur :"),
		link,
		"",
		typography.French("Pour votre sécurité, ce message ne contient aucun détail. Ne répondez pas : cette adresse ne lit pas les réponses."),
		"",
		"-- ",
		"",
		"Hello,",
		"",
		"Your case has been updated; view it with your reference and tracking code at:",
		link,
		"",
		"For your safety, this message holds no details. Please do not reply: this address does not read replies.",
		"",
	}, "\n")
	return Message{Subject: "Votre dossier a été mis à jour / Your case has been updated", Body: body}
}

// ComposeCode returns the one message that carries a secret: the
// reference and tracking code the citizen asked, on their confirmation
// page, to receive by email. It says nothing else of the case (no name,
// no category, no station), in French then English, and why it was sent.
func ComposeCode(publicURL, ref, code string) Message {
	link := strings.TrimRight(publicURL, "/") + "/suivi?ref=" + ref
	body := strings.Join([]string{
		"Bonjour,",
		"",
		"Vous avez demandé à recevoir ces informations sur la page de confirmation de votre pré-plainte :",
		"",
		"  Référence : " + ref,
		"  Code de suivi : " + code,
		"",
		"Avec les deux, suivez votre dossier sur :",
		link,
		"",
		"Gardez ce message pour vous : toute personne qui le lit peut suivre votre dossier. Personne ne vous demandera ce code par téléphone ou par courriel. Ne répondez pas : cette adresse ne lit pas les réponses.",
		"",
		"-- ",
		"",
		"Hello,",
		"",
		"You asked to receive this information on the confirmation page of your pre-complaint:",
		"",
		"  Reference: " + ref,
		"  Tracking code: " + code,
		"",
		"With both, follow your case at:",
		link,
		"",
		"Keep this message to yourself: anyone who reads it can follow your case. Nobody will ever ask you for this code by phone or email. Please do not reply: this address does not read replies.",
		"",
	}, "\n")
	return Message{Subject: "Votre code de suivi / Your tracking code", Body: body}
}

// SendCode sends ComposeCode's message to the address to now, once,
// without the durable queue: the queue holds case IDs only, and the code
// exists in clear nowhere the queue could read it later. The caller keeps
// the request once per case (complaint.Service.EmailCode). Neither the
// code nor the address is logged; a failure returns only its kind, as
// the server's answer may quote the address.
func (s *Service) SendCode(ctx context.Context, caseRef, unitID, to, code string) error {
	m := ComposeCode(s.cfg.PublicURL, caseRef, code)
	m.To, m.CaseRef, m.UnitID, m.At = to, caseRef, unitID, s.d.Clock.Now()
	if err := s.d.Sender.Send(ctx, m); err != nil {
		kind := "temporary"
		if errors.Is(err, ErrPermanent) {
			kind = "permanent"
		}
		s.d.Logger.WarnContext(ctx, "tracking code email not sent", "ref", caseRef, "kind", kind)
		if kind == "permanent" {
			return fmt.Errorf("notify: code for %s: %w", caseRef, ErrPermanent)
		}
		return fmt.Errorf("notify: code for %s: not sent", caseRef)
	}
	s.d.Logger.InfoContext(ctx, "tracking code email sent", "ref", caseRef)
	return nil
}

// Mask hides most of an address for display: j***@example.org.
func Mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r := []rune(addr[:at])
	return string(r[0]) + "***" + addr[at:]
}
