package complaint

import (
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// The pre-complaint (PP) and the formal complaint (PL) it becomes, declared
// to the case kernel once: statuses, who may move them, retention and the
// Go type of their sealed personal part.
var (
	// PreComplaint: submitted online, taken up by an agent of the unit,
	// then confirmed (converted into a formal complaint at the desk),
	// closed with a reason, or expired when nobody confirmed it in time.
	PreComplaint = &casefile.Kind{
		Prefix:  caseref.PreComplaint,
		Initial: casefile.StatusSubmitted,
		Transitions: transitions(
			// An agent takes it up: the first opening, or an assignment.
			edges([]casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged, casefile.StatusAssigned},
				casefile.StatusInProgress, desk...),
			edges([]casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged}, casefile.StatusAssigned, desk...),
			// The end of the road: at the desk, or by the retention job.
			edges(preComplaintOpen, casefile.StatusConfirmed, desk...),
			edges(preComplaintOpen, casefile.StatusClosed, desk...),
			edges(preComplaintOpen, casefile.StatusExpired, casefile.ActorSystem),
		),
		Final: []casefile.Status{casefile.StatusConfirmed, casefile.StatusReferred, casefile.StatusClosed, casefile.StatusExpired},
		Retention: casefile.Retention{
			Open:   30 * 24 * time.Hour,
			Closed: 365 * 24 * time.Hour,
		},
		Codec: casefile.JSONCodec[Form]("personal"),
	}

	// Complaint: a formal complaint taken at the desk from a
	// pre-complaint; it is born confirmed and the desk's work on it goes on
	// outside guichet.
	Complaint = &casefile.Kind{
		Prefix:  caseref.Complaint,
		Initial: casefile.StatusConfirmed,
		Final:   []casefile.Status{casefile.StatusConfirmed, casefile.StatusReferred, casefile.StatusClosed, casefile.StatusExpired},
		Codec:   casefile.JSONCodec[Filed]("complaint"),
	}
)

// desk is who works cases at a unit.
var desk = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor}

// preComplaintOpen are the statuses in which a pre-complaint is still open.
var preComplaintOpen = []casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged, casefile.StatusAssigned, casefile.StatusInProgress}

func edges(from []casefile.Status, to casefile.Status, by ...casefile.Actor) []casefile.Transition {
	out := make([]casefile.Transition, 0, len(from))
	for _, f := range from {
		if f != to {
			out = append(out, casefile.Transition{From: f, To: to, By: by})
		}
	}
	return out
}

func transitions(groups ...[]casefile.Transition) []casefile.Transition {
	var out []casefile.Transition
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// EvidenceNames maps each attached file to the name the citizen gave it.
func (f *Form) EvidenceNames() map[string]string {
	m := make(map[string]string, len(f.Evidence))
	for _, e := range f.Evidence {
		m[e.ID] = e.Name
	}
	return m
}

// ComplaintForm is the form itself: the desk reads a pre-complaint's
// answers through it.
func (f *Form) ComplaintForm() *Form { return f }

// Filed is the sealed personal part of a formal complaint (PL): the facts
// as corrected at the desk and the identity check.
type Filed struct {
	Form     Form          `json:"form"`
	Identity IdentityCheck `json:"identity"`
}

// EvidenceNames maps each attached file to the name the citizen gave it.
func (f *Filed) EvidenceNames() map[string]string { return f.Form.EvidenceNames() }

// ComplaintForm is the complaint's form as corrected at the desk.
func (f *Filed) ComplaintForm() *Form { return &f.Form }

// IdentityChecked is the identity check made at the desk.
func (f *Filed) IdentityChecked() *IdentityCheck { return &f.Identity }

// IDDocument is the kind of identity document an agent checked at the
// appointment.
type IDDocument string

// Identity documents accepted at the desk.
const (
	IDCard          IDDocument = "cni"
	IDPassport      IDDocument = "passport"
	IDResidence     IDDocument = "residence_permit"
	IDDrivingLicnce IDDocument = "driving_licence"
	IDOther         IDDocument = "other"
)

// IDDocuments lists every identity document kind, in the order forms show
// them.
var IDDocuments = []IDDocument{IDCard, IDPassport, IDResidence, IDDrivingLicnce, IDOther}

// Valid reports whether d is one of IDDocuments.
func (d IDDocument) Valid() bool {
	for _, k := range IDDocuments {
		if d == k {
			return true
		}
	}
	return false
}

// IdentityCheck is what the agent checked at the desk before taking the
// complaint.
type IdentityCheck struct {
	Document      IDDocument `json:"document"`
	Checked       bool       `json:"checked"`
	Agent         string     `json:"agent"`          // pseudonym
	ServiceNumber string     `json:"service_number"` // matricule
	At            time.Time  `json:"at"`
}
