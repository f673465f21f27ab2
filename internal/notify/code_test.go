package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/notify"
)

// TestEmailCodeOnce: at the citizen's request, their reference and
// tracking code go to the address they left, over real SMTP, once: a
// second request is refused, and a failed send can be asked again. The
// code is never in the logs, the queue or the demo outbox.
func TestEmailCodeOnce(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sub := e.file(email)
	srv := newSMTPServer(t)
	sender, err := notify.NewSMTP(srv.url(), "ne-pas-repondre@guichet.example")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	outbox := notify.NewOutbox(10)
	both := senders{sender, outbox}
	n := notify.New(notify.Config{PublicURL: "https://guichet.example/"},
		notify.Deps{Store: e.store, Contacts: e.svc, Sender: both, Clock: e.clock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	send := func(ctx context.Context, c casefile.Case, to string, code caseref.Code) error {
		return n.SendCode(ctx, c.Ref, c.UnitID, to, code.String())
	}

	// Not the case's code: refused, nothing sent.
	wrong, _ := caseref.ParseCode("0000-0000-0000-0000")
	if err := e.svc.EmailCode(ctx, sub.Ref, wrong, send); !errors.Is(err, guichet.ErrUnauthenticated) {
		t.Fatalf("wrong code: %v", err)
	}
	// The first time, one message with the reference and the code.
	srv.rcptCodes = []int{451} // a temporary failure first
	err = e.svc.EmailCode(ctx, sub.Ref, sub.TrackingCode, send)
	if !errors.Is(err, guichet.ErrUnavailable) {
		t.Fatalf("failed send: %v, want ErrUnavailable", err)
	}
	if err := e.svc.EmailCode(ctx, sub.Ref, sub.TrackingCode, send); err != nil {
		t.Fatalf("asked again after a failure: %v", err)
	}
	mails := srv.got()
	if len(mails) != 1 || !strings.Contains(mails[0].To, email) {
		t.Fatalf("%d messages: %+v", len(mails), mails)
	}
	for _, want := range []string{sub.Ref, sub.TrackingCode.String(), "https://guichet.example/suivi?ref=" + sub.Ref, "Vous avez demandé", "You asked"} {
		if !strings.Contains(mails[0].Data, want) {
			t.Errorf("message lacks %q:\n%s", want, mails[0].Data)
		}
	}
	for _, leak := range []string{"Martin", "Camille", "vélo", "Lyon", "theft"} {
		if strings.Contains(mails[0].Data, leak) {
			t.Errorf("message reveals %q", leak)
		}
	}
	// A second time: refused in so many words, nothing sent.
	if err := e.svc.EmailCode(ctx, sub.Ref, sub.TrackingCode, send); !errors.Is(err, complaint.ErrCodeEmailed) {
		t.Fatalf("second request: %v, want ErrCodeEmailed", err)
	}
	if len(srv.got()) != 1 {
		t.Fatalf("a second message was sent")
	}
	view, err := e.svc.View(ctx, sub.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if !complaint.CodeEmailed(view.Events) {
		t.Error("the case does not show the code emailed")
	}
	// The citizen's own request is no "case updated" notification.
	if added, err := n.Scan(ctx); err != nil || added != 0 {
		t.Errorf("scan: %d, %v; want nothing queued", added, err)
	}
	code := sub.TrackingCode.String()
	if strings.Contains(logs.String(), code) || strings.Contains(logs.String(), email) {
		t.Errorf("the logs hold the code or the address:\n%s", logs.String())
	}
	for _, s := range outbox.Sent([]string{sub.Case.UnitID}) {
		if strings.Contains(s.Subject, code) || strings.Contains(s.To, email) {
			t.Errorf("the outbox holds %+v", s)
		}
	}

	// Without an address: not found, nothing claimed.
	none := e.file("")
	if err := e.svc.EmailCode(ctx, none.Ref, none.TrackingCode, send); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("no address: %v", err)
	}
}

// senders sends to each in turn, stopping at the first failure.
type senders []notify.Sender

func (s senders) Send(ctx context.Context, m notify.Message) error {
	for _, x := range s {
		if err := x.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
