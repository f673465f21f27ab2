package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// Visible returns the alert whose case ID is caseID when p may see it (a
// dispatcher of its area, a supervisor of its unit; any dispatcher for an
// alert with no unit), else guichet.ErrNotFound. Live consoles call it on
// every event before passing it on.
func (s *Service) Visible(ctx context.Context, p account.Principal, caseID string) (Alert, error) {
	a, err := s.d.Store.AlertByID(ctx, caseID)
	if err != nil {
		return Alert{}, err
	}
	if !InArea(p, a) {
		return Alert{}, fmt.Errorf("alert %s: %w", caseID, guichet.ErrNotFound)
	}
	return a, nil
}

// InArea reports whether p handles alerts and a lies in p's area (or has
// no unit, when every dispatcher sees it). It is the rule every dispatcher
// call checks; a caller holding a cached Alert may check it per event.
func InArea(p account.Principal, a Alert) bool {
	if !IsDispatcher(p) {
		return false
	}
	if a.Case.UnitID == "" {
		return true
	}
	for _, u := range Area(p) {
		if u == a.Case.UnitID {
			return true
		}
	}
	return false
}

// PurposeExport is the purpose an access by Export records.
const PurposeExport = "export"

// Export is an alert as one JSON document shaped after the NENA EIDO
// (NENA-STA-021, Emergency Incident Data Object) JSON model, with the
// caller and location data PEMEA (ETSI TS 103 478) carries, so that an
// emergency-call or dispatch system can take the alert over.
//
// It is close to those models, not a certified implementation:
//   - the message: eidoMessageIdentifier and $id ("urn:uuid:" + the case
//     ID), sendingSystemIdentifier ("guichet"), lastUpdateTimeStamp,
//     messageKind ("Report");
//   - incidentComponent: one incident, incidentTrackingIdentifier = the
//     alert's reference, its type and status as registry text, when it
//     was raised, acknowledged (and by whom, a pseudonym), escalated,
//     closed and with which outcome, and references to the components
//     below by componentIdentifier;
//   - locationComponent: every position, oldest first, as a circle (WGS 84
//     latitude and longitude, radius in metres at 95 % confidence, as
//     PIDF-LO and PEMEA express a fix), with its time and the phone's
//     battery level; the typed address when the phone gave no position;
//   - personComponent: the caller as the profile says (name, phone,
//     languages, deaf or hard of hearing, medical notes) and the trusted
//     contacts;
//   - notesComponent: the silent chat, oldest first, each with its author
//     ("citizen" or "agent:<pseudonym>");
//   - emergencyResourceComponent: the police unit assigned, if any.
//
// Times are RFC 3339 in UTC. Export holds personal data: it is served
// only to dispatchers in scope, and every export is recorded on the case
// as an access (casefile.EventAccessed, purpose "export").
type Export struct {
	ID                 string           `json:"$id"`
	MessageID          string           `json:"eidoMessageIdentifier"`
	SendingSystem      string           `json:"sendingSystemIdentifier"`
	LastUpdate         time.Time        `json:"lastUpdateTimeStamp"`
	MessageKind        string           `json:"messageKind"`
	Incidents          []ExportIncident `json:"incidentComponent"`
	Locations          []ExportLocation `json:"locationComponent"`
	Persons            []ExportPerson   `json:"personComponent"`
	Notes              []ExportNote     `json:"notesComponent"`
	EmergencyResources []ExportResource `json:"emergencyResourceComponent"`
}

// ExportRef points at another component of the export.
type ExportRef struct {
	Ref string `json:"$ref"`
}

// ExportIncident is the incident of an export.
type ExportIncident struct {
	ComponentID    string      `json:"componentIdentifier"`
	TrackingID     string      `json:"incidentTrackingIdentifier"`
	LastUpdate     time.Time   `json:"lastUpdateTimeStamp"`
	Type           string      `json:"incidentTypeCommonRegistryText"`
	Status         string      `json:"incidentStatusCommonRegistryText"`
	Silent         bool        `json:"silentAlert"`
	Raised         time.Time   `json:"startTimestamp"`
	AcknowledgedAt *time.Time  `json:"acknowledgedTimestamp,omitempty"`
	AcknowledgedBy string      `json:"acknowledgedBy,omitempty"`
	EscalatedAt    *time.Time  `json:"escalatedTimestamp,omitempty"`
	Outcome        string      `json:"closureOutcome,omitempty"`
	Locations      []ExportRef `json:"locationReference"`
	Persons        []ExportRef `json:"personReference"`
	Notes          []ExportRef `json:"notesReference"`
	Resources      []ExportRef `json:"emergencyResourceReference"`
}

// ExportLocation is one position (or the typed address).
type ExportLocation struct {
	ComponentID string        `json:"componentIdentifier"`
	At          time.Time     `json:"lastUpdateTimeStamp"`
	Circle      *ExportCircle `json:"locationByValue,omitempty"`
	Address     string        `json:"civicAddressText,omitempty"`
	// Battery is the phone's battery level in [0, 1]; absent when unknown.
	Battery *float64 `json:"deviceBatteryLevel,omitempty"`
}

// ExportCircle is a position with its uncertainty.
type ExportCircle struct {
	Shape      string  `json:"shape"` // "Circle"
	CRS        string  `json:"crs"`   // "EPSG:4326"
	Lat        float64 `json:"latitude"`
	Lon        float64 `json:"longitude"`
	Radius     float64 `json:"radiusMeters"`
	Confidence int     `json:"confidencePercent"`
}

// ExportPerson is the caller or a trusted contact.
type ExportPerson struct {
	ComponentID  string   `json:"componentIdentifier"`
	Role         string   `json:"personIncidentRoleRegistryText"` // "Caller", "Trusted contact"
	Name         string   `json:"personNameText,omitempty"`
	Phone        string   `json:"personTelephoneNumber,omitempty"`
	Languages    []string `json:"personLanguageCode,omitempty"`
	Deaf         bool     `json:"personHearingImpaired,omitempty"`
	MedicalNotes string   `json:"personMedicalNotesText,omitempty"`
}

// ExportNote is one chat message.
type ExportNote struct {
	ComponentID string    `json:"componentIdentifier"`
	At          time.Time `json:"noteDateTimeStamp"`
	Author      string    `json:"noteAuthorText"`
	Text        string    `json:"noteText,omitempty"`
	Quick       string    `json:"quickReplyCode,omitempty"`
}

// ExportResource is a unit sent.
type ExportResource struct {
	ComponentID string `json:"componentIdentifier"`
	Unit        string `json:"emergencyResourceIdentifier"`
	Kind        string `json:"emergencyResourceTypeRegistryText"` // "Police unit"
}

var exportStatus = map[casefile.Status]string{
	StatusRaised: "Received", StatusAcknowledged: "Acknowledged", StatusDispatched: "Dispatched",
	StatusClosed: "Closed", StatusExpired: "Closed",
}

// Export builds alert ref's export for dispatcher p and records the access.
func (s *Service) Export(ctx context.Context, p account.Principal, ref string) (*Export, error) {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if a.Case.Erased() {
		return nil, fmt.Errorf("alert %s: erased: %w", ref, guichet.ErrNotFound)
	}
	prof, err := s.Profile(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	positions, entries, err := s.Positions(ctx, p, ref, "")
	if err != nil {
		return nil, err
	}
	msgs, err := s.Messages(ctx, p, ref, "")
	if err != nil {
		return nil, err
	}
	msgEntries, err := s.d.Store.AlertEntries(ctx, a.Case.ID, EntryMessage, "", 1000)
	if err != nil {
		return nil, err
	}
	now := s.d.Clock.Now().UTC()
	inc := ExportIncident{
		ComponentID: "inc-" + a.Case.Ref, TrackingID: a.Case.Ref, LastUpdate: a.Case.UpdatedAt.UTC(),
		Type: string(a.Type), Status: exportStatus[a.Case.Status], Silent: true, Raised: a.Case.SubmittedAt.UTC(),
		AcknowledgedBy: a.AckBy, Outcome: string(a.Outcome),
		Locations: []ExportRef{}, Persons: []ExportRef{}, Notes: []ExportRef{}, Resources: []ExportRef{},
	}
	if !a.AckAt.IsZero() {
		t := a.AckAt.UTC()
		inc.AcknowledgedAt = &t
	}
	if !a.EscalatedAt.IsZero() {
		t := a.EscalatedAt.UTC()
		inc.EscalatedAt = &t
	}
	x := &Export{
		ID: "urn:uuid:" + a.Case.ID, MessageID: "urn:uuid:" + a.Case.ID, SendingSystem: "guichet",
		LastUpdate: now, MessageKind: "Report",
		Locations: []ExportLocation{}, Persons: []ExportPerson{}, Notes: []ExportNote{}, EmergencyResources: []ExportResource{},
	}
	for i, pos := range positions {
		l := ExportLocation{ComponentID: fmt.Sprintf("loc-%d", i+1), At: entries[i].At.UTC(),
			Circle: &ExportCircle{Shape: "Circle", CRS: "EPSG:4326", Lat: pos.Lat, Lon: pos.Lon, Radius: pos.Accuracy, Confidence: 95}}
		if pos.Battery >= 0 {
			b := pos.Battery
			l.Battery = &b
		}
		x.Locations = append(x.Locations, l)
	}
	if prof.Address != "" {
		x.Locations = append(x.Locations, ExportLocation{ComponentID: fmt.Sprintf("loc-%d", len(x.Locations)+1),
			At: a.Case.SubmittedAt.UTC(), Address: prof.Address})
	}
	x.Persons = append(x.Persons, ExportPerson{ComponentID: "per-1", Role: "Caller", Name: prof.Name, Phone: prof.Phone,
		Languages: prof.Languages, Deaf: prof.Deaf, MedicalNotes: prof.MedicalNotes})
	for i, c := range prof.Contacts {
		x.Persons = append(x.Persons, ExportPerson{ComponentID: fmt.Sprintf("per-%d", i+2), Role: "Trusted contact", Name: c.Name, Phone: c.Phone})
	}
	for i, m := range msgs {
		n := ExportNote{ComponentID: fmt.Sprintf("note-%d", i+1), Author: m.From, Text: m.Text, Quick: m.Quick}
		if i < len(msgEntries) {
			n.At = msgEntries[i].At.UTC()
		}
		x.Notes = append(x.Notes, n)
	}
	if a.Unit != "" {
		x.EmergencyResources = append(x.EmergencyResources, ExportResource{ComponentID: "res-1", Unit: a.Unit, Kind: "Police unit"})
	}
	for _, l := range x.Locations {
		inc.Locations = append(inc.Locations, ExportRef{l.ComponentID})
	}
	for _, pp := range x.Persons {
		inc.Persons = append(inc.Persons, ExportRef{pp.ComponentID})
	}
	for _, n := range x.Notes {
		inc.Notes = append(inc.Notes, ExportRef{n.ComponentID})
	}
	for _, r := range x.EmergencyResources {
		inc.Resources = append(inc.Resources, ExportRef{r.ComponentID})
	}
	x.Incidents = []ExportIncident{inc}
	ev := s.event(a.Case.ID, casefile.EventAccessed, actorOf(p), s.d.Clock.Now(), map[string]string{
		"role": string(p.Role), "agent": p.Pseudonym, "purpose": PurposeExport, "unit": p.UnitID,
	})
	if err := s.d.Store.RecordEvents(ctx, a.Case.ID, []casefile.Event{ev}); err != nil {
		return nil, fmt.Errorf("alert %s: record export: %w", a.Case.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "alert exported", "ref", a.Case.Ref, "agent", p.Pseudonym)
	return x, nil
}

// Locate returns the reference and unit of the alert whose case ID is
// caseID, for routing its events to the consoles of its area: it holds no
// personal data and MUST NOT be shown to anyone without checking InArea.
// Both never change once an alert is raised, so callers may cache them.
func (s *Service) Locate(ctx context.Context, caseID string) (ref, unit string, err error) {
	a, err := s.d.Store.AlertByID(ctx, caseID)
	if err != nil {
		return "", "", err
	}
	return a.Case.Ref, a.Case.UnitID, nil
}

// Get returns alert ref for dispatcher p (guichet.ErrNotFound outside p's
// area).
func (s *Service) Get(ctx context.Context, p account.Principal, ref string) (Alert, error) {
	return s.inScope(ctx, p, ref)
}

// Timeline returns the events of alert ref for dispatcher p, oldest
// first. Their data holds no personal data (see the package's doc).
func (s *Service) Timeline(ctx context.Context, p account.Principal, ref string) ([]casefile.Event, error) {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.d.Store.CaseEvents(ctx, a.Case.ID)
}
