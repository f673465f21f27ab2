package web

import (
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
)

// CaseDesk is what the back-office needs from the case-handling service
// (internal/casework). Every method checks the principal's scope itself
// and answers an error wrapping guichet.ErrNotFound for anything out of
// scope; the pages rely on it and add no check of their own beyond
// HandlesCases.
//
// It is the union of what each area of the desk needs, declared beside
// that area's pages (queueDesk in agent_queue.go, and so on), so that a
// page's dependencies are read where the page is.
type CaseDesk interface {
	queueDesk
	casePageDesk
	noteDesk
	assignDesk
	convertDesk
	closeDesk
	codeDesk
	calendarDesk
	supervisionDesk
}

var _ CaseDesk = (*casework.Service)(nil)

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
	s.handle("POST /agent/dossiers/{ref}/code", s.agentOnly(s.agentReissueCode))
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
