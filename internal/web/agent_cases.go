package web

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
)

// CaseDesk is what the back-office needs from the case-handling service
// (internal/casework). Every method checks the principal's scope itself
// and answers an error wrapping guichet.ErrNotFound for anything out of
// scope; the pages rely on it and add no check of their own beyond
// HandlesCases.
type CaseDesk interface {
	Queue(ctx context.Context, p account.Principal, f casework.Filter) (*casework.Page, error)
	Summary(ctx context.Context, p account.Principal, ref string) (*casework.Summary, error)
	Open(ctx context.Context, p account.Principal, ref string, purpose casework.Purpose) (*casework.CaseFile, error)
	Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*casework.File, error)
	AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error)
	CitizenNotes(ctx context.Context, ref string) ([]casework.Note, error)
	Assignees(ctx context.Context, p account.Principal, ref string) ([]casework.Agent, error)
	Assign(ctx context.Context, p account.Principal, ref, agentID string) error
	Convert(ctx context.Context, p account.Principal, ref string, in casework.ConvertInput) (string, error)
	ComplaintRecord(ctx context.Context, p account.Principal, plRef string) ([]byte, error)
	Close(ctx context.Context, p account.Principal, ref string, reason casework.CloseReason, redirect string) error
	Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]casework.SlotView, error)
	OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*casework.SlotView, error)
	SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error
	CloseSlot(ctx context.Context, p account.Principal, slotID string) error
	Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error
	AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]casework.AccessEntry, error)
	Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]casework.QueueItem, error)
}

// caseRoutes registers the back-office case pages.
func (s *Server) caseRoutes() {
	s.handle("GET /agent/{$}", s.agentOnly(s.agentQueue))
	s.handle("GET /agent/dossiers/{ref}", s.agentOnly(s.agentSummary))
	s.handle("POST /agent/dossiers/{ref}/consulter", s.agentOnly(s.agentOpen))
	s.handle("GET /agent/dossiers/{ref}/preuves/{id}", s.agentOnly(s.agentEvidence))
	s.handle("POST /agent/dossiers/{ref}/notes", s.agentOnly(s.agentNote))
	s.handle("POST /agent/dossiers/{ref}/attribuer", s.agentOnly(s.agentAssign))
	s.handle("POST /agent/dossiers/{ref}/rendez-vous", s.agentOnly(s.agentReschedule))
	s.handle("GET /agent/dossiers/{ref}/convertir", s.agentOnly(s.agentConvertForm))
	s.handle("POST /agent/dossiers/{ref}/convertir", s.agentOnly(s.agentConvert))
	s.handle("GET /agent/dossiers/{ref}/plainte.pdf", s.agentOnly(s.agentComplaintPDF))
	s.handle("GET /agent/dossiers/{ref}/cloturer", s.agentOnly(s.agentCloseForm))
	s.handle("POST /agent/dossiers/{ref}/cloturer", s.agentOnly(s.agentClose))
	s.handle("GET /agent/calendrier", s.agentOnly(s.agentCalendar))
	s.handle("POST /agent/calendrier/creneaux", s.agentOnly(s.agentOpenSlot))
	s.handle("POST /agent/calendrier/creneaux/{id}/capacite", s.agentOnly(s.agentSetCapacity))
	s.handle("POST /agent/calendrier/creneaux/{id}/fermer", s.agentOnly(s.agentCloseSlot))
	s.handle("GET /agent/echeances", s.agentOnly(s.agentDeadlines))
	s.handle("GET /agent/acces", s.agentOnly(s.agentAccess))
	s.handle("GET /agent/envois", s.agentOnly(s.agentSent))
}

// casesOnly refuses, as missing, the pages of roles that do not handle
// cases (analysts, dispatchers, admins).
func casesOnly(p account.Principal) error {
	if !p.HandlesCases() {
		return fmt.Errorf("role %s: %w", p.Role, guichet.ErrNotFound)
	}
	return nil
}
