package alert

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/uuid7"
)

// Type is what the person says is happening.
type Type string

// The types of alert, in the PWA's order.
const (
	TypeAssault          Type = "assault"
	TypeIntrusion        Type = "intrusion"
	TypeDomesticViolence Type = "domestic_violence"
	TypeHarassment       Type = "harassment"
	TypeOther            Type = "other"
)

// Types lists them.
var Types = []Type{TypeAssault, TypeIntrusion, TypeDomesticViolence, TypeHarassment, TypeOther}

// Outcome is how an alert was closed.
type Outcome string

// The outcomes.
const (
	OutcomeResolved   Outcome = "resolved"    // the police dealt with it
	OutcomeFalseAlert Outcome = "false_alert" // marked by a dispatcher
	OutcomeSafe       Outcome = "safe"        // the citizen said "I am safe now"
	OutcomeNoContact  Outcome = "no_contact"  // nobody found, no answer
)

// Outcomes a dispatcher may choose (OutcomeSafe is the citizen's).
var Outcomes = []Outcome{OutcomeResolved, OutcomeFalseAlert, OutcomeNoContact}

// Events of an alert beyond the kernel's. Their data never holds personal
// data: entry IDs, codes, pseudonyms and unit IDs only.
const (
	EventRaised       = casefile.EventSubmitted // data: type, content (profile digest)
	EventAcknowledged = "alert.acknowledged"    // data: status
	EventUnitAssigned = "alert.unit_assigned"   // data: unit
	EventEscalated    = "alert.escalated"       // data: after (seconds)
	EventPosition     = "alert.position"        // data: entry
	EventMessage      = "alert.message"         // data: entry, from
	EventClosed       = casefile.EventClosed    // data: outcome
)

// Limits of what a phone sends.
const (
	MinKeyLen     = 22 // the idempotency key: at least 128 bits in base64url
	MaxKeyLen     = 128
	MaxMessageLen = 1000 // characters of one chat message
	MaxContacts   = 2
	MaxTextLen    = 500 // any one profile field
)

// Position is one fix of the phone, sealed as an entry.
type Position struct {
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Accuracy float64 `json:"accuracy"` // metres, radius at 95 %
	// Battery is the battery level in [0, 1], or -1 when unknown.
	Battery float64 `json:"battery"`
}

func (p Position) valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180 &&
		!math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && p.Accuracy >= 0 && !math.IsInf(p.Accuracy, 0) &&
		(p.Battery == -1 || (p.Battery >= 0 && p.Battery <= 1))
}

// Quick replies, sent as codes and shown in the reader's language.
const (
	QuickCantTalk   = "cant_talk"
	QuickNextToMe   = "next_to_me"
	QuickHidden     = "hidden"
	QuickYes        = "yes"
	QuickNo         = "no"
	QuickOnTheirWay = "on_their_way" // the dispatcher's: help is coming
)

// QuickReplies lists the codes a Message's Quick may hold.
var QuickReplies = []string{QuickCantTalk, QuickNextToMe, QuickHidden, QuickYes, QuickNo, QuickOnTheirWay}

// Message is one chat message, sealed as an entry: free text, or a quick
// reply code (or both).
type Message struct {
	From  string `json:"from"` // "citizen", or "agent:<pseudonym>"
	Text  string `json:"text,omitempty"`
	Quick string `json:"quick,omitempty"`
}

// EntryAAD binds entry id of kind k to case caseID.
func EntryAAD(caseID string, k EntryKind, id string) []byte {
	return []byte("guichet/alert-" + string(k) + "/v1/" + caseID + "/" + id)
}

// AreaFinder names the unit whose dispatchers cover a position.
type AreaFinder interface {
	// AreaOf returns the unit ID covering (lat, lon); "" when none does.
	AreaOf(ctx context.Context, lat, lon float64) (string, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	Vault casefile.Sealer
	Clock guichet.Clock
	Rand  io.Reader
	IDs   *uuid7.Generator
	// Areas routes an alert to a dispatchers' unit by its first position;
	// nil, failing or silent: DefaultUnit. An alert is never refused for
	// want of an area: one with no unit is listed to every dispatcher.
	Areas       AreaFinder
	DefaultUnit string
	// EscalateAfter is how long an alert may stay unacknowledged before
	// Escalate raises it to supervisors; zero: DefaultEscalateAfter.
	EscalateAfter time.Duration
	Logger        *slog.Logger
}

// DefaultEscalateAfter is the escalation delay of issue 13.
const DefaultEscalateAfter = 30 * time.Second

// Service runs alerts. It is safe for concurrent use.
type Service struct{ d Deps }

// New returns a Service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.EscalateAfter <= 0 {
		d.EscalateAfter = DefaultEscalateAfter
	}
	return &Service{d: d}
}

// RaiseInput is an alert as the phone sends it.
type RaiseInput struct {
	Type Type
	// Position is the first fix; nil when the phone gave none (then the
	// profile's Address should say where).
	Position *Position
	Profile  Profile
	// Key is the client's idempotency key: random, base64url, MinKeyLen
	// to MaxKeyLen characters, the same on every retry of one send. It is
	// also the citizen's credential for the alert (chat, positions,
	// closing): only its hash is stored.
	Key string
	// DeviceToken is the registered device's token; empty if none.
	DeviceToken string
	Lang        string
}

// Raised is what the phone gets back.
type Raised struct {
	Ref string
	// Created is false when the send was a retry of one already stored.
	Created bool
}

// ValidateRaise returns the field errors of in (nil when valid). Fields:
// "type", "key", "position", "profile.<field>", "contacts".
func ValidateRaise(in *RaiseInput) *guichet.ValidationError {
	var v guichet.ValidationError
	if !slices.Contains(Types, in.Type) {
		v.Add("type", "alert.err.type")
	}
	if !validKey(in.Key) {
		v.Add("key", "alert.err.key")
	}
	if in.Position != nil && !in.Position.valid() {
		v.Add("position", "alert.err.position")
	}
	p := in.Profile
	for f, s := range map[string]string{"name": p.Name, "phone": p.Phone, "medical_notes": p.MedicalNotes, "address": p.Address} {
		if utf8.RuneCountInString(s) > MaxTextLen {
			v.Add("profile."+f, "alert.err.too_long", MaxTextLen)
		}
	}
	if len(p.Contacts) > MaxContacts {
		v.Add("contacts", "alert.err.contacts", MaxContacts)
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return &v
}

func validKey(k string) bool {
	if len(k) < MinKeyLen || len(k) > MaxKeyLen {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// Raise stores an alert exactly once per Key: a retried send returns the
// same reference with Created false and writes nothing. The profile and
// the first position are sealed; the "submitted" event carries the type
// and a digest of the profile only.
func (s *Service) Raise(ctx context.Context, in RaiseInput) (*Raised, error) {
	if v := ValidateRaise(&in); v != nil {
		return nil, v
	}
	now := s.d.Clock.Now()
	salt := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, salt); err != nil {
		return nil, err
	}
	id := s.d.IDs.New()
	prof := in.Profile
	personal, digest, err := Kind.Seal(s.d.Vault, id, nil, &prof)
	if err != nil {
		return nil, err
	}
	var first *Entry
	if in.Position != nil {
		if first, err = s.seal(id, personal.WrappedKey, EntryPosition, now, in.Position); err != nil {
			return nil, err
		}
	}
	unit := s.area(ctx, in.Position)
	na := NewAlert{
		Alert:    Alert{Type: in.Type, KeyHash: hash(in.Key)},
		Secrets:  casefile.Secrets{TrackingHash: hash(in.Key), LedgerSalt: salt},
		Personal: personal,
		First:    first,
	}
	if in.DeviceToken != "" {
		na.Alert.DeviceHash = hash(in.DeviceToken)
	}
	var stored string
	created := false
	_, err = casefile.MintRef(s.d.Rand, caseref.Alert, now.Year(), func(ref caseref.Ref) error {
		na.Alert.Case = casefile.Case{
			ID: id, Ref: ref.String(), Kind: caseref.Alert, Category: string(in.Type), Status: Kind.Initial,
			UnitID: unit, CreatedAt: now, SubmittedAt: now, UpdatedAt: now, ExpiresAt: now.Add(Kind.Retention.Open),
		}
		na.Events = []casefile.Event{s.event(id, EventRaised, string(casefile.ActorCitizen), now,
			map[string]string{"type": string(in.Type), "content": digest})}
		if first != nil {
			na.Events = append(na.Events, s.event(id, EventPosition, string(casefile.ActorCitizen), now, map[string]string{"entry": first.ID}))
		}
		var err error
		stored, created, err = s.d.Store.RaiseAlert(ctx, na)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("alert: raise: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "alert raised", "ref", stored, "type", string(in.Type), "created", created)
	return &Raised{Ref: stored, Created: created}, nil
}

func (s *Service) area(ctx context.Context, p *Position) string {
	if p == nil || s.d.Areas == nil {
		return s.d.DefaultUnit
	}
	u, err := s.d.Areas.AreaOf(ctx, p.Lat, p.Lon)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "alert area", "error", err)
	}
	if err != nil || u == "" {
		return s.d.DefaultUnit
	}
	return u
}

func (s *Service) seal(caseID string, wrappedKey []byte, k EntryKind, at time.Time, v any) (*Entry, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	id := s.d.IDs.New()
	sealed, err := s.d.Vault.SealWith(wrappedKey, plain, EntryAAD(caseID, k, id))
	if err != nil {
		return nil, fmt.Errorf("alert %s: seal %s: %w", caseID, k, err)
	}
	return &Entry{ID: id, CaseID: caseID, Kind: k, At: at, Ciphertext: sealed.Ciphertext}, nil
}

func (s *Service) event(caseID, typ, actor string, at time.Time, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: actor, Visible: true, Data: data}
}

// IsDispatcher reports whether p handles alerts: dispatchers, and
// supervisors (who receive escalations).
func IsDispatcher(p account.Principal) bool {
	return p.Role == account.RoleDispatcher || p.Role == account.RoleSupervisor
}

// Area is the units whose alerts p sees: a dispatcher's own unit, a
// supervisor's unit and sub-units.
func Area(p account.Principal) []string {
	if p.Role == account.RoleSupervisor {
		return p.Units
	}
	if p.Role == account.RoleDispatcher && p.UnitID != "" {
		return []string{p.UnitID}
	}
	return nil
}

func kernelActor(p account.Principal) casefile.Actor {
	if p.Role == account.RoleSupervisor {
		return casefile.ActorSupervisor
	}
	return casefile.ActorAgent
}

func actorOf(p account.Principal) string { return "agent:" + p.Pseudonym }

// inScope returns alert ref when p may work on it: a dispatcher of its
// unit, or any dispatcher for an alert with no unit. Anything else is
// guichet.ErrNotFound, so that a stranger learns nothing.
func (s *Service) inScope(ctx context.Context, p account.Principal, ref string) (Alert, error) {
	nf := fmt.Errorf("alert %s: %w", ref, guichet.ErrNotFound)
	if !IsDispatcher(p) {
		return Alert{}, nf
	}
	a, err := s.byRef(ctx, ref)
	if err != nil {
		return Alert{}, err
	}
	if a.Case.UnitID != "" && !slices.Contains(Area(p), a.Case.UnitID) {
		return Alert{}, nf
	}
	return a, nil
}

func (s *Service) byRef(ctx context.Context, ref string) (Alert, error) {
	r, err := caseref.Parse(ref)
	if err != nil || r.Kind != caseref.Alert {
		return Alert{}, fmt.Errorf("alert %s: %w", ref, guichet.ErrNotFound)
	}
	return s.d.Store.AlertByRef(ctx, r.String())
}

// citizen returns alert ref when key is its idempotency key.
func (s *Service) citizen(ctx context.Context, ref, key string) (Alert, error) {
	a, err := s.byRef(ctx, ref)
	if err != nil {
		return Alert{}, err
	}
	if subtle.ConstantTimeCompare(a.KeyHash, hash(key)) != 1 {
		return Alert{}, fmt.Errorf("alert %s: %w", ref, guichet.ErrNotFound)
	}
	return a, nil
}

// AlreadyError is the refusal of a change someone else made first: who
// (a pseudonymous actor) and when. It wraps guichet.ErrConflict.
type AlreadyError struct {
	Ref    string
	By     string
	At     time.Time
	Status casefile.Status
}

func (e *AlreadyError) Error() string {
	return fmt.Sprintf("alert %s: already %s by %s", e.Ref, e.Status, e.By)
}

// Unwrap makes errors.Is(err, guichet.ErrConflict) hold.
func (e *AlreadyError) Unwrap() error { return guichet.ErrConflict }

// Acknowledge records that p has taken alert ref. Of dispatchers
// acknowledging at once exactly one succeeds; the others get an
// *AlreadyError naming who did.
func (s *Service) Acknowledge(ctx context.Context, p account.Principal, ref string) error {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return err
	}
	by := kernelActor(p)
	allowed, err := Kind.From(StatusAcknowledged, by)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeAlert(ctx, Change{
		CaseID: a.Case.ID, Allowed: allowed, Status: StatusAcknowledged, At: now, AckBy: actorOf(p),
		Events: []casefile.Event{s.event(a.Case.ID, EventAcknowledged, actorOf(p), now, map[string]string{"status": string(StatusAcknowledged)})},
	})
	if errors.Is(err, guichet.ErrConflict) {
		if cur, rerr := s.d.Store.AlertByRef(ctx, a.Case.Ref); rerr == nil && cur.AckBy != "" {
			return &AlreadyError{Ref: a.Case.Ref, By: cur.AckBy, At: cur.AckAt, Status: StatusAcknowledged}
		}
	}
	if err != nil {
		return fmt.Errorf("alert %s: acknowledge: %w", a.Case.Ref, err)
	}
	return nil
}

// AssignUnit sends unit (a fleet unit ID) to alert ref, acknowledged
// first; assigning again sends another unit in its place.
func (s *Service) AssignUnit(ctx context.Context, p account.Principal, ref, unit string) error {
	if unit == "" || len(unit) > 64 {
		v := &guichet.ValidationError{}
		v.Add("unit", "alert.err.unit")
		return v
	}
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return err
	}
	allowed, err := Kind.From(StatusDispatched, kernelActor(p))
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeAlert(ctx, Change{
		CaseID: a.Case.ID, Allowed: allowed, Status: StatusDispatched, At: now, Unit: unit,
		Events: []casefile.Event{s.event(a.Case.ID, EventUnitAssigned, actorOf(p), now, map[string]string{"unit": unit})},
	})
	if err != nil {
		return fmt.Errorf("alert %s: assign: %w", a.Case.Ref, err)
	}
	return nil
}

// Close closes alert ref with outcome o, one of Outcomes.
func (s *Service) Close(ctx context.Context, p account.Principal, ref string, o Outcome) error {
	if !slices.Contains(Outcomes, o) {
		v := &guichet.ValidationError{}
		v.Add("outcome", "alert.err.outcome")
		return v
	}
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return err
	}
	return s.close(ctx, a, kernelActor(p), actorOf(p), o)
}

// CloseByCitizen closes alert ref ("I am safe now") for the holder of its
// key.
func (s *Service) CloseByCitizen(ctx context.Context, ref, key string) error {
	a, err := s.citizen(ctx, ref, key)
	if err != nil {
		return err
	}
	return s.close(ctx, a, casefile.ActorCitizen, string(casefile.ActorCitizen), OutcomeSafe)
}

func (s *Service) close(ctx context.Context, a Alert, by casefile.Actor, actor string, o Outcome) error {
	allowed, err := Kind.From(StatusClosed, by)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeAlert(ctx, Change{
		CaseID: a.Case.ID, Allowed: allowed, Status: StatusClosed, At: now, Outcome: o,
		Events: []casefile.Event{s.event(a.Case.ID, EventClosed, actor, now, map[string]string{"outcome": string(o)})},
	})
	if err != nil {
		return fmt.Errorf("alert %s: close: %w", a.Case.Ref, err)
	}
	return nil
}

// AddPosition stores a new fix of the citizen's phone, sealed, while the
// alert is open (guichet.ErrConflict once closed).
func (s *Service) AddPosition(ctx context.Context, ref, key string, pos Position) error {
	if !pos.valid() {
		v := &guichet.ValidationError{}
		v.Add("position", "alert.err.position")
		return v
	}
	a, err := s.citizen(ctx, ref, key)
	if err != nil {
		return err
	}
	return s.addEntry(ctx, a, EntryPosition, string(casefile.ActorCitizen), pos, nil)
}

// ChatFromCitizen sends a message from the citizen of alert ref.
func (s *Service) ChatFromCitizen(ctx context.Context, ref, key string, m Message) error {
	a, err := s.citizen(ctx, ref, key)
	if err != nil {
		return err
	}
	m.From = string(casefile.ActorCitizen)
	return s.chat(ctx, a, m)
}

// Chat sends a message from dispatcher p to the citizen of alert ref.
func (s *Service) Chat(ctx context.Context, p account.Principal, ref string, m Message) error {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return err
	}
	m.From = actorOf(p)
	return s.chat(ctx, a, m)
}

func (s *Service) chat(ctx context.Context, a Alert, m Message) error {
	v := &guichet.ValidationError{}
	switch {
	case m.Text == "" && m.Quick == "":
		v.Add("text", "alert.err.message_empty")
	case utf8.RuneCountInString(m.Text) > MaxMessageLen:
		v.Add("text", "alert.err.message_long", MaxMessageLen)
	case m.Quick != "" && !slices.Contains(QuickReplies, m.Quick):
		v.Add("quick", "alert.err.quick")
	}
	if len(v.Fields) > 0 {
		return v
	}
	from := "dispatcher"
	if m.From == string(casefile.ActorCitizen) {
		from = "citizen"
	}
	return s.addEntry(ctx, a, EntryMessage, m.From, m, map[string]string{"from": from})
}

func (s *Service) addEntry(ctx context.Context, a Alert, k EntryKind, actor string, v any, data map[string]string) error {
	sealed, err := s.d.Store.CasePersonal(ctx, a.Case.ID)
	if err != nil {
		return fmt.Errorf("alert %s: %w", a.Case.Ref, err)
	}
	now := s.d.Clock.Now()
	e, err := s.seal(a.Case.ID, sealed.WrappedKey, k, now, v)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]string{}
	}
	data["entry"] = e.ID
	typ := EventPosition
	if k == EntryMessage {
		typ = EventMessage
	}
	if err := s.d.Store.AddAlertEntry(ctx, *e, []casefile.Event{s.event(a.Case.ID, typ, actor, now, data)}); err != nil {
		return fmt.Errorf("alert %s: add %s: %w", a.Case.Ref, k, err)
	}
	return nil
}

// Positions opens the positions of alert ref after entry after ("" for
// all), oldest first, for dispatcher p.
func (s *Service) Positions(ctx context.Context, p account.Principal, ref, after string) ([]Position, []Entry, error) {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return nil, nil, err
	}
	entries, err := s.d.Store.AlertEntries(ctx, a.Case.ID, EntryPosition, after, 1000)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Position, 0, len(entries))
	for _, e := range entries {
		var pos Position
		if err := s.open(ctx, a, e, &pos); err != nil {
			return nil, nil, err
		}
		out = append(out, pos)
	}
	return out, entries, nil
}

// Messages opens the chat of alert ref, oldest first: for dispatcher p
// when key is "", else for the citizen holding key.
func (s *Service) Messages(ctx context.Context, p account.Principal, ref, key string) ([]Message, error) {
	var a Alert
	var err error
	if key != "" {
		a, err = s.citizen(ctx, ref, key)
	} else {
		a, err = s.inScope(ctx, p, ref)
	}
	if err != nil {
		return nil, err
	}
	entries, err := s.d.Store.AlertEntries(ctx, a.Case.ID, EntryMessage, "", 1000)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(entries))
	for _, e := range entries {
		var m Message
		if err := s.open(ctx, a, e, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Service) open(ctx context.Context, a Alert, e Entry, v any) error {
	sealed, err := s.d.Store.CasePersonal(ctx, a.Case.ID)
	if err != nil {
		return err
	}
	plain, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: sealed.WrappedKey, Ciphertext: e.Ciphertext}, EntryAAD(a.Case.ID, e.Kind, e.ID))
	if err != nil {
		return fmt.Errorf("alert %s: open %s %s: %w", a.Case.Ref, e.Kind, e.ID, err)
	}
	return json.Unmarshal(plain, v)
}

// Profile opens the profile sent with alert ref for dispatcher p.
func (s *Service) Profile(ctx context.Context, p account.Principal, ref string) (*Profile, error) {
	a, err := s.inScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	sealed, err := s.d.Store.CasePersonal(ctx, a.Case.ID)
	if err != nil {
		return nil, err
	}
	pp, err := Kind.OpenPersonal(s.d.Vault, a.Case.ID, sealed)
	if err != nil {
		return nil, err
	}
	if err := s.recordView(ctx, p, a); err != nil {
		return nil, err
	}
	return pp.(*Profile), nil
}

// PurposeDispatch is the purpose an access by Profile records.
const PurposeDispatch = "dispatch"

// ViewWindow is how long one recorded view of an alert's profile covers
// the same dispatcher's later views: a console page is reloaded every few
// seconds while the alert is handled, and the person's access journal
// should say "consulted by dispatcher X at 14:05", not list each reload.
const ViewWindow = 30 * time.Minute

// recordView records p's reading of alert a's profile as an access
// (casefile.EventAccessed, purpose "dispatch"), unless p's last access
// to it is less than ViewWindow old.
func (s *Service) recordView(ctx context.Context, p account.Principal, a Alert) error {
	now := s.d.Clock.Now()
	evs, err := s.d.Store.CaseEvents(ctx, a.Case.ID)
	if err != nil {
		return fmt.Errorf("alert %s: events: %w", a.Case.Ref, err)
	}
	actor := actorOf(p)
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if e.Type == casefile.EventAccessed && e.Actor == actor && now.Sub(e.At) < ViewWindow {
			return nil
		}
	}
	ev := s.event(a.Case.ID, casefile.EventAccessed, actor, now, map[string]string{
		"role": string(p.Role), "agent": p.Pseudonym, "purpose": PurposeDispatch, "unit": p.UnitID,
	})
	if err := s.d.Store.RecordEvents(ctx, a.Case.ID, []casefile.Event{ev}); err != nil {
		return fmt.Errorf("alert %s: record view: %w", a.Case.Ref, err)
	}
	return nil
}

// Status returns alert ref for the citizen holding key: what the PWA
// shows honestly (raised, acknowledged and when, dispatched, closed).
func (s *Service) Status(ctx context.Context, ref, key string) (Alert, error) {
	return s.citizen(ctx, ref, key)
}

// OpenMax is the most alerts Open lists.
const OpenMax = 500

// Open lists the open alerts of p's area (and those with no unit), oldest
// first.
func (s *Service) Open(ctx context.Context, p account.Principal) ([]Alert, error) {
	if !IsDispatcher(p) {
		return nil, fmt.Errorf("alerts: %w", guichet.ErrForbidden)
	}
	return s.d.Store.OpenAlerts(ctx, Area(p), OpenMax)
}

// Escalate raises to supervisors every alert still unacknowledged
// EscalateAfter after it was raised, as of now: each gets one
// EventEscalated, by the system, exactly once even when several nodes
// run Escalate at once. It returns the alerts it escalated.
func (s *Service) Escalate(ctx context.Context, now time.Time) ([]Alert, error) {
	due, err := s.d.Store.UnacknowledgedAlerts(ctx, now.Add(-s.d.EscalateAfter), OpenMax)
	if err != nil {
		return nil, fmt.Errorf("alert: escalate: %w", err)
	}
	out := []Alert{}
	for _, a := range due {
		err := s.d.Store.ChangeAlert(ctx, Change{
			CaseID: a.Case.ID, Allowed: []casefile.Status{StatusRaised}, At: now, Escalate: true,
			Events: []casefile.Event{s.event(a.Case.ID, EventEscalated, string(casefile.ActorSystem), now,
				map[string]string{"after": fmt.Sprint(int(now.Sub(a.Case.SubmittedAt).Seconds()))})},
		})
		if errors.Is(err, guichet.ErrConflict) {
			continue // acknowledged or escalated meanwhile
		}
		if err != nil {
			return out, fmt.Errorf("alert %s: escalate: %w", a.Case.Ref, err)
		}
		a.EscalatedAt = now
		out = append(out, a)
		s.d.Logger.WarnContext(ctx, "alert escalated", "ref", a.Case.Ref)
	}
	return out, nil
}
