package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/notify"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/typography"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mail is one message the fake server accepted.
type mail struct {
	From, To string
	Data     string // headers and decoded body
}

// smtpServer is a minimal SMTP server speaking the real protocol over TCP:
// EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT. rcptCodes, if set, gives
// the reply code to each RCPT in turn (250 once exhausted).
type smtpServer struct {
	ln        net.Listener
	mu        sync.Mutex
	mails     []mail
	auths     []string
	rcptCodes []int
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) url() string { return "smtp://guichet:secret@" + s.ln.Addr().String() }

func (s *smtpServer) got() []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail(nil), s.mails...)
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) { _ = tp.PrintfLine(format, args...) }
	reply("220 fake.test ESMTP")
	var cur mail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			reply("250-fake.test")
			reply("250-AUTH PLAIN")
			reply("250 8BITMIME")
		case "AUTH":
			s.mu.Lock()
			s.auths = append(s.auths, line)
			s.mu.Unlock()
			reply("235 2.7.0 accepted")
		case "MAIL":
			cur = mail{From: line}
			reply("250 2.1.0 ok")
		case "RCPT":
			s.mu.Lock()
			code := 250
			if len(s.rcptCodes) > 0 {
				code, s.rcptCodes = s.rcptCodes[0], s.rcptCodes[1:]
			}
			s.mu.Unlock()
			cur.To = line
			reply("%d recipient %s", code, line) // servers quote the address
		case "DATA":
			reply("354 go ahead")
			raw, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			head, body, _ := bytes.Cut(raw, []byte("\n\n"))
			dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
			if err != nil {
				reply("554 bad encoding")
				continue
			}
			cur.Data = string(head) + "\n\n" + string(dec)
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// env is a real SQLite store with a real complaint service and a case
// filed by a citizen who left an email address.
type env struct {
	t     *testing.T
	store *sqlite.Store
	svc   *complaint.Service
	ids   *uuid7.Generator
	units []station.Unit
	clock *clock
}

const (
	email       = "camille.martin@example.org"
	description = "Vol de mon vélo rouge-framboise devant la médiathèque"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := evidence.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := caseref.NewHasher(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Microsecond)}
	ids := uuid7.New(clk.Now, rand.Reader)
	units, err := demo.SeedUnits(ctx, store, ids, clk.Now(), clk.Now().AddDate(0, 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	svc := complaint.New(complaint.DefaultConfig(), complaint.Deps{
		Store: store, Vault: v, Blobs: blobs, Sniff: evidence.Sniff, Codes: codes,
		Clock: clk, Rand: rand.Reader, IDs: ids,
	})
	return &env{t: t, store: store, svc: svc, ids: ids, units: units, clock: clk}
}

// file files a pre-complaint with the given email (may be empty).
func (e *env) file(addr string) *complaint.Submitted {
	e.t.Helper()
	ctx := e.t.Context()
	var u station.Unit
	for _, x := range e.units {
		if x.AcceptsAppointments {
			u = x
			break
		}
	}
	f := complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Theft,
		Civility: "mme", LastName: "Martin", FirstName: "Camille", BirthDate: "1987-04-12", BirthPlace: "Nantes",
		Email: addr, Phone: "06 12 34 56 78", Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		FactsFrom:     e.clock.Now().Add(-48 * time.Hour).In(complaint.Paris).Format("2006-01-02T15:04"),
		PlacePostcode: "69003", PlaceCity: "Lyon", Description: description,
		Items: []complaint.Item{{Kind: "bicycle", Description: "Vélo de ville", Value: "450"}},
	}
	code, _, err := e.svc.StartDraft(ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	slots, err := e.svc.FreeSlots(ctx, u.ID)
	if err != nil || len(slots) < 3 {
		e.t.Fatalf("free slots: %d, %v", len(slots), err)
	}
	f.UnitID, f.SlotID, f.Consent = u.ID, slots[0].ID, true
	for _, step := range complaint.Steps {
		if _, err := e.svc.SaveStep(ctx, code, step, f, 0); err != nil {
			e.t.Fatalf("step %s: %v", step, err)
		}
	}
	sub, _, err := e.svc.Submit(ctx, code)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// agentMoves records an appointment moved by an agent (or by actor).
func (e *env) record(c casefile.Case, typ, actor string) {
	e.t.Helper()
	slots, err := e.svc.FreeSlots(e.t.Context(), c.UnitID)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := casefile.Event{ID: e.ids.New(), CaseID: c.ID, Type: typ, At: e.clock.Now(), Actor: actor, Visible: typ != "note.internal",
		Data: map[string]string{"unit": c.UnitID}}
	if err := e.store.Reschedule(e.t.Context(), c.ID, slots[len(slots)-1].ID, []casefile.Event{ev}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) notifier(sender notify.Sender) *notify.Service {
	return notify.New(notify.Config{PublicURL: "https://guichet.example/", Coalesce: time.Minute, MaxAttempts: 4, Backoff: time.Minute, MaxBackoff: 3 * time.Minute},
		notify.Deps{Store: e.store, Contacts: e.svc, Sender: sender, Clock: e.clock})
}

func TestRelevant(t *testing.T) {
	for _, tt := range []struct {
		e    notify.Event
		want bool
	}{
		{notify.Event{Type: casefile.EventNoteToCitizen, Actor: "agent:A7F2", Visible: true}, true},
		{notify.Event{Type: casefile.EventConverted, Actor: "agent:A7F2", Visible: true}, true},
		{notify.Event{Type: casefile.EventClosed, Actor: "agent:A7F2", Visible: true}, true},
		{notify.Event{Type: casefile.EventAccessed, Actor: "agent:A7F2", Visible: true}, false},
		{notify.Event{Type: "note.internal", Actor: "agent:A7F2", Visible: false}, false},
		{notify.Event{Type: casefile.EventAppointmentChanged, Actor: "citizen", Visible: true}, false},
		{notify.Event{Type: casefile.EventExpired, Actor: "system", Visible: true}, false},
	} {
		if got := notify.Relevant(tt.e); got != tt.want {
			t.Errorf("Relevant(%+v) = %v, want %v", tt.e, got, tt.want)
		}
	}
}

// TestSendsOneMessageWithoutDetails files a case, lets an agent change it
// three times, and checks that one message goes out over SMTP, after the
// coalescing delay, to the citizen's address, saying nothing of the case.
func TestSendsOneMessageWithoutDetails(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sub := e.file(email)
	srv := newSMTPServer(t)
	sender, err := notify.NewSMTP(srv.url(), "Guichet <ne-pas-repondre@guichet.example>")
	if err != nil {
		t.Fatal(err)
	}
	n := e.notifier(sender)

	added, err := n.Scan(ctx)
	if err != nil || added != 0 {
		t.Fatalf("scan after the citizen's own submission: %d, %v; want nothing", added, err)
	}
	e.record(sub.Case, casefile.EventAccessed, "agent:A7F2")
	e.record(sub.Case, casefile.EventAppointmentChanged, "citizen")
	if added, err = n.Scan(ctx); err != nil || added != 0 {
		t.Fatalf("scan after an access and a citizen's change: %d, %v; want nothing", added, err)
	}
	for range 3 {
		e.record(sub.Case, casefile.EventAppointmentChanged, "agent:A7F2")
	}
	if added, err = n.Scan(ctx); err != nil || added != 1 {
		t.Fatalf("scan after three agent changes: %d, %v; want one notification", added, err)
	}
	if d, err := n.Deliver(ctx); err != nil || d.Sent != 0 {
		t.Fatalf("deliver before the coalescing delay: %+v, %v; want nothing sent", d, err)
	}
	e.clock.Add(time.Minute)
	e.record(sub.Case, casefile.EventAppointmentChanged, "agent:A7F2") // coalesced into the pending one
	if added, err = n.Scan(ctx); err != nil || added != 0 {
		t.Fatalf("scan with one pending: %d, %v; want it coalesced", added, err)
	}
	d, err := n.Deliver(ctx)
	if err != nil || d.Sent != 1 {
		t.Fatalf("deliver: %+v, %v; want one sent", d, err)
	}
	mails := srv.got()
	if len(mails) != 1 {
		t.Fatalf("server got %d messages, want 1", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.To, "<"+email+">") || !strings.Contains(m.From, "<ne-pas-repondre@guichet.example>") {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	for _, want := range []string{"https://guichet.example/suivi", "Votre dossier a été mis à jour", "Your case has been updated", "Subject: =?utf-8?q?"} {
		if !strings.Contains(m.Data, want) {
			t.Errorf("message lacks %q:\n%s", want, m.Data)
		}
	}
	for _, leak := range []string{sub.Ref, "Martin", "Camille", "vélo", "Vol de", "theft", "Lyon", sub.Case.UnitID} {
		if strings.Contains(m.Data, leak) {
			t.Errorf("message reveals %q:\n%s", leak, m.Data)
		}
	}
	if added, err = n.Scan(ctx); err != nil || added != 0 {
		t.Fatalf("rescan: %d, %v; want nothing new", added, err)
	}
	if d, err = n.Deliver(ctx); err != nil || d.Sent != 0 {
		t.Fatalf("second delivery: %+v, %v; want nothing", d, err)
	}
	list, err := n.List(ctx, []string{sub.Case.UnitID}, 10)
	if err != nil || len(list) != 1 || list[0].Status != notify.StatusSent || list[0].CaseRef != sub.Ref {
		t.Fatalf("queue %+v, %v; want one sent notification for %s", list, err, sub.Ref)
	}
	// A new change after sending makes a new message.
	e.record(sub.Case, casefile.EventAppointmentChanged, "agent:A7F2")
	if added, err = n.Scan(ctx); err != nil || added != 1 {
		t.Fatalf("scan after sending: %d, %v; want a new notification", added, err)
	}
}

// TestRetriesWithBackoff makes the server refuse the recipient with a
// temporary code, and checks the exponential waits, then "failed".
func TestRetriesWithBackoff(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sub := e.file(email)
	srv := newSMTPServer(t)
	srv.rcptCodes = []int{451, 451, 451, 451, 451}
	sender, err := notify.NewSMTP(srv.url(), "ne-pas-repondre@guichet.example")
	if err != nil {
		t.Fatal(err)
	}
	n := e.notifier(sender)
	e.record(sub.Case, casefile.EventNoteToCitizen, "agent:A7F2")
	if _, err := n.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	// Waits after attempts 1, 2, 3: 1, 2, then 3 minutes (the cap); the
	// fourth attempt is the last.
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
		d, err := n.Deliver(ctx)
		if err != nil || d.Retried != 1 {
			t.Fatalf("attempt %d: %+v, %v; want one to retry", i+1, d, err)
		}
		e.clock.Add(wait - time.Second)
		if d, _ := n.Deliver(ctx); d != (notify.Delivery{}) {
			t.Fatalf("attempt %d: retried %v early: %+v", i+1, wait-time.Second, d)
		}
		e.clock.Add(time.Second)
	}
	d, err := n.Deliver(ctx)
	if err != nil || d.Failed != 1 {
		t.Fatalf("last attempt: %+v, %v; want failed", d, err)
	}
	list, err := n.List(ctx, []string{sub.Case.UnitID}, 10)
	if err != nil || len(list) != 1 || list[0].Status != notify.StatusFailed || list[0].Attempts != 4 || list[0].LastError != "temporary" {
		t.Fatalf("queue %+v, %v; want failed after 4 attempts", list, err)
	}
	if strings.Contains(fmt.Sprint(list), email) {
		t.Errorf("the queue holds the address: %+v", list)
	}
}

func TestPermanentRefusalFailsAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sub := e.file(email)
	srv := newSMTPServer(t)
	srv.rcptCodes = []int{550}
	sender, err := notify.NewSMTP(srv.url(), "ne-pas-repondre@guichet.example")
	if err != nil {
		t.Fatal(err)
	}
	err = sender.Send(ctx, notify.Message{To: email, Subject: "x", Body: "y"})
	if !errors.Is(err, notify.ErrPermanent) || strings.Contains(err.Error(), email) {
		t.Fatalf("550: got %v, want ErrPermanent without the address", err)
	}
	srv.rcptCodes = []int{550}
	n := e.notifier(sender)
	e.record(sub.Case, casefile.EventClosed, "agent:A7F2")
	if _, err := n.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if d, err := n.Deliver(ctx); err != nil || d.Failed != 1 {
		t.Fatalf("deliver: %+v, %v; want failed at once", d, err)
	}
}

// TestErasureCancels erases the case between the change and the send: no
// message may leave, and the notification ends cancelled. A case without
// an address is cancelled the same way.
func TestErasureCancels(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	erased := e.file(email)
	silent := e.file("")
	srv := newSMTPServer(t)
	sender, err := notify.NewSMTP(srv.url(), "ne-pas-repondre@guichet.example")
	if err != nil {
		t.Fatal(err)
	}
	n := e.notifier(sender)
	e.record(erased.Case, casefile.EventNoteToCitizen, "agent:A7F2")
	e.record(silent.Case, casefile.EventNoteToCitizen, "agent:A7F2")
	if added, err := n.Scan(ctx); err != nil || added != 2 {
		t.Fatalf("scan: %d, %v", added, err)
	}
	ev := casefile.Event{ID: e.ids.New(), Type: casefile.EventErased, At: e.clock.Now(), Actor: "system", Visible: true}
	if _, err := e.store.EraseCase(ctx, erased.Case.ID, casefile.StatusExpired, erased.Case.ExpiresAt, []casefile.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ContactEmail(ctx, erased.Case.ID); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("contact of an erased case: %v, want ErrNotFound", err)
	}
	e.clock.Add(time.Minute)
	d, err := n.Deliver(ctx)
	if err != nil || d.Cancelled != 2 || d.Sent != 0 {
		t.Fatalf("deliver: %+v, %v; want both cancelled", d, err)
	}
	if got := srv.got(); len(got) != 0 {
		t.Fatalf("server got %d messages after erasure", len(got))
	}
}

func TestOutboxMasks(t *testing.T) {
	o := notify.NewOutbox(2)
	ctx := context.Background()
	for i, to := range []string{"a@x.org", "jeanne.dupont@example.org", "z@example.org"} {
		if err := o.Send(ctx, notify.Message{To: to, CaseRef: fmt.Sprint("PP-", i), UnitID: "u1"}); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Sent([]string{"u1"})
	if len(got) != 2 || got[0].To != "z***@example.org" || got[1].To != "j***@example.org" || got[0].CaseRef != "PP-2" {
		t.Fatalf("outbox %+v, want the two latest, newest first, masked", got)
	}
	if len(o.Sent([]string{"u2"})) != 0 {
		t.Error("another unit sees the messages")
	}
}

// TestComposeFrenchTypography: the French half of the message keeps its
// marks on the line of their word (narrow no-break spaces, as the site).
func TestComposeFrenchTypography(t *testing.T) {
	body := notify.Compose("https://guichet.example").Body
	french, _, ok := strings.Cut(body, "-- ")
	if !ok || !strings.Contains(french, "Ne répondez pas\u202f:") {
		t.Fatalf("French half %q", french)
	}
	for _, line := range strings.Split(french, "\n") {
		if f := typography.Faults(line); len(f) > 0 {
			t.Errorf("%q: %q", line, f)
		}
	}
}
