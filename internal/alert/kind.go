package alert

import (
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// The statuses of an alert. They are the kernel's statuses under the names
// dispatchers use, so the back-office queue, retention and history treat
// an alert like any case:
//
//	raised (submitted) → acknowledged (triaged) → dispatched (assigned) → closed
//
// An alert may be closed from any open status, with an Outcome (a false
// alert is an outcome, not a status). Escalation is NOT a status: it is an
// event (EventEscalated) recorded once on an alert still raised after the
// delay, so that acknowledging stays one guarded transition whoever sees
// the alert first, and the citizen keeps seeing the honest "sent, not yet
// received" state.
const (
	StatusRaised       = casefile.StatusSubmitted
	StatusAcknowledged = casefile.StatusTriaged
	StatusDispatched   = casefile.StatusAssigned // a unit is assigned and on its way
	StatusClosed       = casefile.StatusClosed
	StatusExpired      = casefile.StatusExpired
)

// Kind declares alerts to the case kernel.
//
// Actors: the citizen raises and may close their own alert ("I am safe
// now"); dispatchers — accounts with role dispatcher, and supervisors, both
// mapped to the kernel's agent and supervisor actors — acknowledge, assign
// units and close; the system escalates (an event, no transition) and
// expires.
var Kind = &casefile.Kind{
	Prefix:  caseref.Alert,
	Initial: StatusRaised,
	Transitions: []casefile.Transition{
		{From: StatusRaised, To: StatusAcknowledged, By: dispatchers},
		{From: StatusAcknowledged, To: StatusDispatched, By: dispatchers},
		// Another unit may be sent in place of the first.
		{From: StatusDispatched, To: StatusDispatched, By: dispatchers},
		{From: StatusRaised, To: StatusClosed, By: closers},
		{From: StatusAcknowledged, To: StatusClosed, By: closers},
		{From: StatusDispatched, To: StatusClosed, By: closers},
	},
	Final: []casefile.Status{StatusClosed, StatusExpired},
	Retention: casefile.Retention{
		// An alert nobody closed (the dispatcher lost it, the phone died)
		// expires after a week; a closed one keeps its profile, positions
		// and chat 90 days, for the follow-up of what happened, then they
		// are erased with the case's data key.
		Open:   7 * 24 * time.Hour,
		Closed: 90 * 24 * time.Hour,
	},
	Codec: casefile.JSONCodec[Profile]("alert"),
}

var (
	dispatchers = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor}
	closers     = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor, casefile.ActorCitizen}
)

// Profile is the sealed personal part of an alert: what the person set up
// once on their phone and sent with the alert. It is sealed under the
// case's data key like every personal part.
//
// Positions and chat messages are personal too: each is sealed on its own
// under the same data key (see Position, Message and EntryAAD). None of
// them ever goes into an event's data, the transparency log or a log line:
// events carry entry IDs and codes only.
type Profile struct {
	Name         string    `json:"name,omitempty"`
	Phone        string    `json:"phone,omitempty"`
	MedicalNotes string    `json:"medical_notes,omitempty"`
	Languages    []string  `json:"languages,omitempty"` // BCP 47 tags, "fr", "en", "fsl"
	Deaf         bool      `json:"deaf,omitempty"`      // deaf or hard of hearing: text only
	Contacts     []Contact `json:"contacts,omitempty"`  // at most MaxContacts
	// Address is the address typed in the form without JavaScript, when
	// the phone gave no position.
	Address string `json:"address,omitempty"`
}

// Contact is one trusted contact of the profile.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// EvidenceNames: an alert has no evidence files.
func (p *Profile) EvidenceNames() map[string]string { return nil }
