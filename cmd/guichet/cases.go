package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/notify"
	"github.com/guichet/guichet/internal/report"
)

// agentDirectory gives the case desk what it needs to know of agents,
// read from the account store.
type agentDirectory struct{ s account.Store }

func toCaseworkAgent(a account.Agent) casework.Agent {
	return casework.Agent{ID: a.ID, Pseudonym: a.Pseudonym, Name: a.Name, ServiceNumber: a.ServiceNumber,
		UnitID: a.UnitID, Role: a.Role, Active: !a.Disabled && a.PasswordHash != ""}
}

func (d agentDirectory) AgentByID(ctx context.Context, id string) (casework.Agent, error) {
	a, err := d.s.Agent(ctx, id)
	if err != nil {
		return casework.Agent{}, err
	}
	return toCaseworkAgent(a), nil
}

func (d agentDirectory) UnitAgents(ctx context.Context, unitID string) ([]casework.Agent, error) {
	all, err := d.s.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	out := []casework.Agent{}
	for _, a := range all {
		if a.UnitID == unitID {
			out = append(out, toCaseworkAgent(a))
		}
	}
	slices.SortFunc(out, func(a, b casework.Agent) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}

// caseDesk is the back-office's web.CaseDesk: the casework service, plus
// the notifications page (web.Envois) from the notification service.
type caseDesk struct {
	*casework.Service
	notifier *notify.Service
	outbox   *notify.Outbox // demo only; nil when mail really leaves
}

// Notifications implements web.Envois.
func (c caseDesk) Notifications(ctx context.Context, unitIDs []string) ([]notify.Notification, error) {
	return c.notifier.List(ctx, unitIDs, 200)
}

// Outbox implements web.Envois.
func (c caseDesk) Outbox(unitIDs []string) []notify.Sent {
	if c.outbox == nil {
		return nil
	}
	return c.outbox.Sent(unitIDs)
}

// notifyStore is what the notification worker needs from the database.
type notifyStore = notify.Store

// newNotifier builds the notification service: SMTP when GUICHET_SMTP_URL
// is set (From: GUICHET_SMTP_FROM), else the in-memory outbox in a demo,
// else none (nil, nil): without a mail server nothing can be sent, and the
// queue is not filled either.
func newNotifier(getenv func(string) string, demoMode bool, publicURL string, st notifyStore, contacts notify.Contacts,
	clock guichet.Clock, logger *slog.Logger) (*notify.Service, *notify.Outbox, error) {
	var (
		sender notify.Sender
		outbox *notify.Outbox
	)
	switch smtpURL := getenv("GUICHET_SMTP_URL"); {
	case smtpURL != "":
		from := getenv("GUICHET_SMTP_FROM")
		if from == "" {
			return nil, nil, errors.New("GUICHET_SMTP_FROM is required with GUICHET_SMTP_URL")
		}
		s, err := notify.NewSMTP(smtpURL, from)
		if err != nil {
			return nil, nil, fmt.Errorf("notifications: %w", err)
		}
		sender = s
	case demoMode:
		outbox = notify.NewOutbox(500)
		sender = outbox
	default:
		return nil, nil, nil
	}
	cfg := notify.Config{PublicURL: publicURL}
	if demoMode {
		cfg.Coalesce = 5 * time.Second // a demonstration shows the message at once
	}
	return notify.New(cfg, notify.Deps{Store: st, Contacts: contacts, Sender: sender, Clock: clock, Logger: logger}), outbox, nil
}

// codeMailer sends citizens their tracking code by email at their request,
// through the notifier's sender; nil when no mail can be sent.
func codeMailer(n *notify.Service) complaint.CodeMailer {
	if n == nil {
		return nil
	}
	return func(ctx context.Context, c casefile.Case, to string, code caseref.Code) error {
		return n.SendCode(ctx, c.Ref, c.UnitID, to, code.String())
	}
}

// caseContacts finds the address of a case's citizen whatever its kind: a
// reporter's from their report, a victim's from their pre-complaint.
type caseContacts struct {
	complaints *complaint.Service
	reports    *report.Service
}

func (c caseContacts) ContactEmail(ctx context.Context, caseID string) (string, error) {
	if c.reports != nil {
		to, err := c.reports.ContactEmail(ctx, caseID)
		if !errors.Is(err, report.ErrNotReport) {
			return to, err
		}
	}
	return c.complaints.ContactEmail(ctx, caseID)
}
