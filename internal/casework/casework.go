// Package casework is the back-office side of pre-complaints: the service
// agents and supervisors use to find, open, annotate, assign, convert into
// formal complaints (PL) and close the cases of their units, to run their
// units' appointment calendars, and to audit who opened what.
//
// Every method takes the authenticated account.Principal and checks scope
// server-side: a case of a unit the principal cannot see, or a principal
// whose role does not handle cases, gets an error wrapping
// guichet.ErrNotFound — never guichet.ErrForbidden — so that the existence
// of a case does not leak. Every change is a case event written with its
// transparency-log outbox leaf in the same store transaction; reading
// personal data (Open, Evidence) is itself an "accessed" event.
package casework

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// Purpose is why an agent opens a case's personal data; it is recorded in
// the "accessed" event and shown to the citizen.
type Purpose string

// The purposes of access.
const (
	PurposeAppointment Purpose = "appointment"
	PurposeProcessing  Purpose = "processing"
	PurposeSupervision Purpose = "supervision"
	PurposeConversion  Purpose = "conversion"
)

// Purposes lists every purpose, in the order forms show them.
var Purposes = []Purpose{PurposeAppointment, PurposeProcessing, PurposeSupervision, PurposeConversion}

// Valid reports whether p is one of Purposes.
func (p Purpose) Valid() bool {
	for _, k := range Purposes {
		if p == k {
			return true
		}
	}
	return false
}

// CloseReason is why an agent closes a pre-complaint without a complaint.
type CloseReason string

// Reasons for closing.
const (
	CloseNotOffence   CloseReason = "not_offence"
	CloseWrongService CloseReason = "wrong_service"
	CloseDuplicate    CloseReason = "duplicate"
	CloseWithdrawn    CloseReason = "withdrawn"
	CloseNoShow       CloseReason = "no_show"
)

// CloseReasons lists every reason, in the order forms show them.
var CloseReasons = []CloseReason{CloseNotOffence, CloseWrongService, CloseDuplicate, CloseWithdrawn, CloseNoShow}

// Redirect is a service a citizen is pointed to when their case is not for
// the police station. Name is the service's own (proper) name, the same in
// every language; the page translates the description by Code.
type Redirect struct {
	Code string
	Name string
	URL  string
}

// Redirects lists where a closed case may send the citizen; Close requires
// one of them with CloseWrongService.
var Redirects = []Redirect{
	{Code: "pharos", Name: "PHAROS", URL: "https://www.internet-signalement.gouv.fr/"},
	{Code: "signal_conso", Name: "SignalConso", URL: "https://signal.conso.gouv.fr/"},
	{Code: "cybermalveillance", Name: "Cybermalveillance.gouv.fr", URL: "https://www.cybermalveillance.gouv.fr/"},
	{Code: "info_escroqueries", Name: "Info Escroqueries", URL: "https://www.internet-signalement.gouv.fr/PharosS1/"},
	{Code: "thesee", Name: "THESEE", URL: "https://www.service-public.fr/particuliers/vosdroits/R58287"},
	{Code: "gendarmerie", Name: "Gendarmerie nationale", URL: "https://www.gendarmerie.interieur.gouv.fr/"},
	{Code: "prosecutor", Name: "Procureur de la République", URL: "https://www.service-public.fr/particuliers/vosdroits/F1435"},
	{Code: "civil_court", Name: "Tribunal judiciaire", URL: "https://www.justice.fr/"},
}

// RedirectByCode returns the redirect with that code.
func RedirectByCode(code string) (Redirect, bool) {
	for _, r := range Redirects {
		if r.Code == code {
			return r, true
		}
	}
	return Redirect{}, false
}

// IDDocument is the kind of identity document an agent checked at the
// appointment (declared with the complaint it belongs to).
type IDDocument = complaint.IDDocument

// Identity documents accepted at the desk.
const (
	IDCard          = complaint.IDCard
	IDPassport      = complaint.IDPassport
	IDResidence     = complaint.IDResidence
	IDDrivingLicnce = complaint.IDDrivingLicnce
	IDOther         = complaint.IDOther
)

// IDDocuments lists every identity document kind, in the order forms show
// them.
var IDDocuments = complaint.IDDocuments

// Config holds the service's rules.
type Config struct {
	// ClosedRetention is how long a closed pre-complaint keeps its personal
	// data before retention erases it (1 year).
	ClosedRetention time.Duration
	// MaxNoteLen bounds a note, in characters (4000).
	MaxNoteLen int
	// PageSize is the default queue page (50); MaxPageSize its bound (200).
	PageSize    int
	MaxPageSize int
}

// DefaultConfig returns the rules of the real service.
func DefaultConfig() Config {
	return Config{ClosedRetention: 365 * 24 * time.Hour, MaxNoteLen: 4000, PageSize: 50, MaxPageSize: 200}
}

// Sealer seals and opens personal data (see internal/vault).
type Sealer interface {
	Seal(plaintext, aad []byte) (casefile.Sealed, error)
	SealWith(wrappedKey, plaintext, aad []byte) (casefile.Sealed, error)
	Open(s casefile.Sealed, aad []byte) ([]byte, error)
}

// Blobs reads evidence files (sealed by the complaint service).
type Blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// Agent is what casework needs to know of another agent (the one a case is
// assigned to).
type Agent struct {
	ID            string
	Pseudonym     string
	Name          string
	ServiceNumber string
	UnitID        string
	Role          account.Role
	// Active is false for a disabled account: it cannot be assigned cases.
	Active bool
}

// Agents is what casework needs from the account store.
type Agents interface {
	// AgentByID returns one agent; an unknown one fails with an error
	// wrapping guichet.ErrNotFound.
	AgentByID(ctx context.Context, id string) (Agent, error)
	// UnitAgents returns the agents of a unit, by name.
	UnitAgents(ctx context.Context, unitID string) ([]Agent, error)
}

// Deps are the parts the service is built from.
type Deps struct {
	Store  Store
	Agents Agents
	Vault  Sealer
	Blobs  Blobs
	Clock  guichet.Clock
	Rand   io.Reader
	IDs    *uuid7.Generator
	Logger *slog.Logger
	// LogIndex, if set, returns the transparency-log index of an event's
	// leaf (guichet.ErrNotFound until sequenced); the complaint record
	// prints it.
	LogIndex func(ctx context.Context, eventID string) (int64, error)
	// TrackingDigest is the stored digest of a tracking code
	// (complaint.Service.TrackingDigest); nil: codes cannot be reissued.
	TrackingDigest func(caseref.Code) []byte
	// Kinds declares the kinds of case the desk handles (their statuses,
	// transitions and personal parts); nil means pre-complaints and
	// complaints.
	Kinds *casefile.Kinds
}

// Service is the back-office case desk. It is safe for concurrent use.
type Service struct {
	cfg Config
	d   Deps
	// open are the statuses in which a case of some kind is still open:
	// the queue's default.
	open []casefile.Status
}

// New returns a Service.
func New(cfg Config, d Deps) *Service {
	def := DefaultConfig()
	if cfg.ClosedRetention <= 0 {
		cfg.ClosedRetention = def.ClosedRetention
	}
	if cfg.MaxNoteLen <= 0 {
		cfg.MaxNoteLen = def.MaxNoteLen
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = def.PageSize
	}
	if cfg.MaxPageSize < cfg.PageSize {
		cfg.MaxPageSize = max(def.MaxPageSize, cfg.PageSize)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Kinds == nil {
		d.Kinds = casefile.NewKinds(complaint.PreComplaint, complaint.Complaint)
	}
	return &Service{cfg: cfg, d: d, open: d.Kinds.Open()}
}

// Config returns the rules the service applies.
func (s *Service) Config() Config { return s.cfg }

// Assignee is the agent in charge of a case.
type Assignee struct {
	AgentID   string
	Pseudonym string
	Name      string // empty when the account is unknown to Agents
	At        time.Time
}

// Filter selects and pages the queue. Zero fields do not filter.
type Filter struct {
	Category string
	// Status: one status; empty means every open (non-final) status.
	Status casefile.Status
	// From and To bound the appointment start: [From, To).
	From, To time.Time
	// ExpiringWithin keeps cases whose ExpiresAt is within that duration
	// from now.
	ExpiringWithin time.Duration
	// Ref is a reference as typed (forgiving: caseref.Parse); a malformed
	// one matches nothing.
	Ref string
	// Mine keeps cases assigned to the principal.
	Mine bool
	// Limit is the page size (Config.PageSize when 0, at most MaxPageSize).
	Limit int
	// Cursor is the previous page's Next; empty for the first page.
	Cursor string
}

// QueueItem is one case in the queue: metadata only, never personal data.
type QueueItem struct {
	Case        casefile.Case
	Appointment *station.Appointment // nil when none
	Assignee    *Assignee            // nil when unassigned
}

// Page is one page of the queue.
type Page struct {
	Items []QueueItem
	// Next is the cursor of the following page; empty on the last one.
	Next string
}

// EvidenceItem describes one evidence file of a case. Name is the
// citizen's file name and is set only by Open (it is personal data).
type EvidenceItem struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	CreatedAt   time.Time
}

// Note is a note on a case, decrypted.
type Note struct {
	ID        string
	Text      string
	ToCitizen bool
	// Author is the writing agent's pseudonym.
	Author string
	At     time.Time
}

// Summary is what an agent of the unit may see without opening the case:
// no personal data, so reading it records no access event.
type Summary struct {
	Case        casefile.Case
	Unit        *station.Unit
	Appointment *station.Appointment
	Assignee    *Assignee
	Events      []casefile.Event
	Evidence    []EvidenceItem // without names
}

// IdentityCheck is what the agent checked at the desk before taking the
// complaint.
type IdentityCheck = complaint.IdentityCheck

// CaseFile is a case opened by an agent: Summary plus the decrypted
// personal part, nil once the case is erased.
type CaseFile struct {
	Summary
	// Personal is the personal part as its kind declares it.
	Personal casefile.Personal
	// Form is the complaint form of a pre-complaint or a complaint (nil for
	// kinds without one).
	Form *complaint.Form
	// Identity is set on formal complaints (PL).
	Identity *IdentityCheck
	Notes    []Note
	// AccessEventID is the "accessed" event recorded by this opening; empty
	// for an erased case (nothing was read).
	AccessEventID string
}

// File is one decrypted evidence file.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// ConvertInput is what the agent confirms at the appointment.
type ConvertInput struct {
	// IdentityChecked MUST be true: the agent saw the identity document.
	IdentityChecked bool
	IDDocument      IDDocument
	// Form is the identity and facts as corrected with the citizen,
	// validated as the identity, facts and items steps of the online form
	// (complaint.ValidateStep); the category stays the pre-complaint's.
	Form complaint.Form
}

// SlotView is one slot of a calendar with who comes: case references,
// never names.
type SlotView struct {
	station.Slot
	Refs []string
}

// AccessEntry is one opening of a case, for supervisors.
type AccessEntry struct {
	Ref     string
	At      time.Time
	Agent   string // pseudonym
	Role    string
	UnitID  string
	Purpose Purpose
	EventID string
}
