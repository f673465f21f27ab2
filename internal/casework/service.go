package casework

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// notFound is the one answer to anything out of the principal's scope.
func notFound(what string) error { return fmt.Errorf("%s: %w", what, guichet.ErrNotFound) }

// caseInScope loads a case by reference (as typed) and checks that p may
// see it; anything else is guichet.ErrNotFound.
func (s *Service) caseInScope(ctx context.Context, p account.Principal, ref string) (casefile.Case, casefile.Secrets, error) {
	if !p.HandlesCases() {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + ref)
	}
	r, err := caseref.Parse(ref)
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + ref)
	}
	c, sec, err := s.d.Store.CaseByRef(ctx, r.String())
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, fmt.Errorf("case %s: %w", r, err)
	}
	if !p.CanSeeUnit(c.UnitID) {
		return casefile.Case{}, casefile.Secrets{}, notFound("case " + r.String())
	}
	return c, sec, nil
}

// actor is how an agent appears in events.
func actor(p account.Principal) string { return "agent:" + p.Pseudonym }

// deskActor is the principal as the kernel's transition tables name it.
func deskActor(p account.Principal) casefile.Actor {
	if p.Role == account.RoleSupervisor {
		return casefile.ActorSupervisor
	}
	return casefile.ActorAgent
}

// transition checks with the kernel that p may move c to status to, and
// returns the statuses the store must find the case in (its guard).
func (s *Service) transition(c casefile.Case, p account.Principal, to casefile.Status) ([]casefile.Status, error) {
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w: %w", c.Ref, guichet.ErrConflict, err)
	}
	if err := k.Check(c.Status, to, deskActor(p)); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	return k.From(to, deskActor(p))
}

func (s *Service) event(caseID, typ string, p account.Principal, at time.Time, visible bool, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: actor(p), Visible: visible, Data: data}
}

func (s *Service) accessEvent(c casefile.Case, p account.Principal, at time.Time, purpose Purpose) casefile.Event {
	return s.event(c.ID, casefile.EventAccessed, p, at, true, map[string]string{
		"unit": c.UnitID, "role": string(p.Role), "agent": p.Pseudonym, "purpose": string(purpose),
	})
}

func statusEvent(s *Service, c casefile.Case, p account.Principal, at time.Time, to casefile.Status) casefile.Event {
	return s.event(c.ID, casefile.EventStatusChanged, p, at, true, map[string]string{"from": string(c.Status), "to": string(to)})
}

// encodeCursor and decodeCursor keep a queue position opaque to clients.
func encodeCursor(k QueueKey) string {
	na := "0"
	if k.NoAppointment {
		na = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(na + "." + strconv.FormatInt(k.At.UnixMicro(), 10) + "." + k.ID))
}

func decodeCursor(c string) (*QueueKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.SplitN(string(b), ".", 3)
	if err != nil || len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") || parts[2] == "" {
		return nil, fmt.Errorf("queue cursor: %w", guichet.ErrInvalid)
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("queue cursor: %w", guichet.ErrInvalid)
	}
	return &QueueKey{NoAppointment: parts[0] == "1", At: time.UnixMicro(us).UTC(), ID: parts[2]}, nil
}

func keyOf(r QueueRow) QueueKey {
	if r.Appointment != nil {
		return QueueKey{At: r.Appointment.Start, ID: r.Case.ID}
	}
	at := r.Case.SubmittedAt
	if at.IsZero() {
		at = r.Case.CreatedAt
	}
	return QueueKey{NoAppointment: true, At: at, ID: r.Case.ID}
}

// Queue returns the pre-complaints of the principal's units matching f,
// by appointment time (cases without appointment after, by submission).
// Metadata only: nothing is decrypted and no access event is recorded.
// An invalid cursor fails with guichet.ErrInvalid.
func (s *Service) Queue(ctx context.Context, p account.Principal, f Filter) (*Page, error) {
	if !p.HandlesCases() {
		return nil, notFound("queue")
	}
	q := QueueQuery{UnitIDs: p.Units, Category: f.Category, ApptFrom: f.From, ApptTo: f.To}
	if f.Status != "" {
		q.Statuses = []casefile.Status{f.Status}
	} else {
		q.Statuses = s.open
	}
	if f.ExpiringWithin > 0 {
		q.ExpiresBefore = s.d.Clock.Now().Add(f.ExpiringWithin)
	}
	if strings.TrimSpace(f.Ref) != "" {
		r, err := caseref.Parse(f.Ref)
		if err != nil {
			return &Page{Items: []QueueItem{}}, nil
		}
		q.Ref, q.Kind, q.Statuses = r.String(), "", nil // a reference finds its case whatever its status
	}
	if f.Mine {
		q.AssignedTo = p.AgentID
	}
	q.Limit = f.Limit
	if q.Limit <= 0 {
		q.Limit = s.cfg.PageSize
	}
	q.Limit = min(q.Limit, s.cfg.MaxPageSize)
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		q.After = k
	}
	want := q.Limit
	q.Limit++ // one more tells whether a next page exists
	rows, err := s.d.Store.QueueCases(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	page := &Page{Items: make([]QueueItem, 0, min(len(rows), want))}
	if len(rows) > want {
		rows = rows[:want]
		page.Next = encodeCursor(keyOf(rows[want-1]))
	}
	names := map[string]string{}
	for _, r := range rows {
		page.Items = append(page.Items, QueueItem{Case: r.Case, Appointment: r.Appointment, Assignee: s.assignee(ctx, r.Assignment, names)})
	}
	return page, nil
}

// assignee completes a stored assignment with the agent's name, cached in
// names for one request.
func (s *Service) assignee(ctx context.Context, a *Assignment, names map[string]string) *Assignee {
	if a == nil {
		return nil
	}
	out := &Assignee{AgentID: a.AgentID, Pseudonym: a.Pseudonym, At: a.At}
	if s.d.Agents == nil {
		return out
	}
	name, ok := names[a.AgentID]
	if !ok {
		if ag, err := s.d.Agents.AgentByID(ctx, a.AgentID); err == nil {
			name = ag.Name
		}
		names[a.AgentID] = name
	}
	out.Name = name
	return out
}

func (s *Service) summary(ctx context.Context, c casefile.Case) (*Summary, error) {
	sum := &Summary{Case: c}
	var err error
	if sum.Events, err = s.d.Store.CaseEvents(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	if a, err := s.d.Store.Appointment(ctx, c.ID); err == nil {
		sum.Appointment = &a
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	if c.UnitID != "" {
		if u, err := s.d.Store.Unit(ctx, c.UnitID); err == nil {
			sum.Unit = &u
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, fmt.Errorf("case %s: %w", c.Ref, err)
		}
	}
	if a, err := s.d.Store.CaseAssignment(ctx, c.ID); err == nil {
		sum.Assignee = s.assignee(ctx, &a, map[string]string{})
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	ev, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	sum.Evidence = make([]EvidenceItem, 0, len(ev))
	for _, e := range ev {
		sum.Evidence = append(sum.Evidence, EvidenceItem{ID: e.ID, ContentType: e.ContentType, Size: e.Size, SHA256: e.SHA256, CreatedAt: e.CreatedAt})
	}
	return sum, nil
}

// Summary returns a case's metadata, appointment, history, evidence list
// (sizes and types, no names) and assignee: no personal data, so no access
// event. Out of scope: guichet.ErrNotFound.
func (s *Service) Summary(ctx context.Context, p account.Principal, ref string) (*Summary, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.summary(ctx, c)
}

func noteAAD(caseID, noteID string) []byte {
	return []byte("guichet/note/v1/" + caseID + "/" + noteID)
}

// Personal is the sealed personal part of a formal complaint (PL).
type Personal = complaint.Filed

// openPersonal decrypts the case's personal part through its kind's codec.
func (s *Service) openPersonal(ctx context.Context, c casefile.Case) (casefile.Sealed, casefile.Personal, error) {
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: personal: %w", c.Ref, err)
	}
	pers, err := k.OpenPersonal(s.d.Vault, c.ID, sealed)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	return sealed, pers, nil
}

// The views a kind's personal part may offer the desk.
type (
	formHolder     interface{ ComplaintForm() *complaint.Form }
	identityHolder interface {
		IdentityChecked() *complaint.IdentityCheck
	}
)

// complaintForm is the complaint form a personal part carries, or nil.
func complaintForm(p casefile.Personal) *complaint.Form {
	if f, ok := p.(formHolder); ok {
		return f.ComplaintForm()
	}
	return nil
}

func (s *Service) openNotes(ctx context.Context, c casefile.Case, wrapped []byte, citizenOnly bool) ([]Note, error) {
	stored, err := s.d.Store.CaseNotes(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	out := make([]Note, 0, len(stored))
	for _, n := range stored {
		if citizenOnly && !n.ToCitizen {
			continue
		}
		plain, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: wrapped, Ciphertext: n.Ciphertext}, noteAAD(c.ID, n.ID))
		if err != nil {
			return nil, fmt.Errorf("case %s: note %s: %w", c.Ref, n.ID, err)
		}
		out = append(out, Note{ID: n.ID, Text: string(plain), ToCitizen: n.ToCitizen, Author: n.Author, At: n.At})
	}
	return out, nil
}

// Open decrypts the case's personal part, its evidence names and its notes,
// and records an "accessed" event (purpose required: guichet.ErrInvalid
// otherwise). The first opening of a submitted or assigned case, for any
// purpose but supervision, moves it to in_progress (a "status.changed"
// event). An erased case opens without
// personal data and without access event.
func (s *Service) Open(ctx context.Context, p account.Principal, ref string, purpose Purpose) (*CaseFile, error) {
	if !purpose.Valid() {
		return nil, fmt.Errorf("open %s: purpose %q: %w", ref, purpose, guichet.ErrInvalid)
	}
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if c.Erased() {
		sum, err := s.summary(ctx, c)
		if err != nil {
			return nil, err
		}
		return &CaseFile{Summary: *sum, Notes: []Note{}}, nil
	}
	sealed, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	notes, err := s.openNotes(ctx, c, sealed.WrappedKey, false)
	if err != nil {
		return nil, err
	}
	now := s.d.Clock.Now()
	access := s.accessEvent(c, p, now, purpose)
	if err := s.recordAccess(ctx, p, &c, now, access); err != nil {
		return nil, err
	}
	sum, err := s.summary(ctx, c)
	if err != nil {
		return nil, err
	}
	names := pers.EvidenceNames()
	for i := range sum.Evidence {
		sum.Evidence[i].Name = names[sum.Evidence[i].ID]
	}
	s.d.Logger.InfoContext(ctx, "case opened", "ref", c.Ref, "agent", p.Pseudonym, "purpose", string(purpose))
	cf := &CaseFile{Summary: *sum, Personal: pers, Form: complaintForm(pers), Notes: notes, AccessEventID: access.ID}
	if id, ok := pers.(identityHolder); ok {
		cf.Identity = id.IdentityChecked()
	}
	return cf, nil
}

// recordAccess records the access event, moving a pre-complaint that
// nobody has worked on yet to in_progress at the same time — unless a
// supervisor only looks over it.
func (s *Service) recordAccess(ctx context.Context, p account.Principal, c *casefile.Case, now time.Time, access casefile.Event) error {
	// Whether the first opening takes the case up is the kind's to say.
	fresh, terr := s.transition(*c, p, casefile.StatusInProgress)
	if terr == nil && access.Data["purpose"] != string(PurposeSupervision) {
		err := s.d.Store.ChangeCase(ctx, Change{
			CaseID: c.ID, Allowed: fresh, Status: casefile.StatusInProgress, At: now,
			Events: []casefile.Event{access, statusEvent(s, *c, p, now, casefile.StatusInProgress)},
		})
		if err == nil {
			c.Status, c.UpdatedAt = casefile.StatusInProgress, now
			return nil
		}
		if !errors.Is(err, guichet.ErrConflict) {
			return fmt.Errorf("case %s: record access: %w", c.Ref, err)
		}
		// Someone moved it meanwhile: record the access alone.
	}
	if err := s.d.Store.ChangeCase(ctx, Change{CaseID: c.ID, At: now, Events: []casefile.Event{access}}); err != nil {
		return fmt.Errorf("case %s: record access: %w", c.Ref, err)
	}
	return nil
}

// Evidence returns one decrypted evidence file of the case with its sniffed
// type and the citizen's file name, and records an "accessed" event
// (purpose "processing").
func (s *Service) Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*File, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if c.Erased() {
		return nil, notFound("case " + c.Ref + " evidence " + evidenceID)
	}
	list, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	i := slices.IndexFunc(list, func(e casefile.Evidence) bool { return e.ID == evidenceID })
	if i < 0 {
		return nil, notFound("case " + c.Ref + " evidence " + evidenceID)
	}
	ev := list[i]
	sealed, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	blob, err := s.d.Blobs.Get(ctx, ev.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("case %s: evidence %s: %w", c.Ref, ev.ID, err)
	}
	data, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: sealed.WrappedKey, Ciphertext: blob}, casefile.EvidenceAAD(c.ID, ev.ID))
	if err != nil {
		return nil, fmt.Errorf("case %s: evidence %s: %w", c.Ref, ev.ID, err)
	}
	name := "piece-" + ev.ID
	if n := pers.EvidenceNames()[ev.ID]; n != "" {
		name = n
	}
	now := s.d.Clock.Now()
	if err := s.recordAccess(ctx, p, &c, now, s.accessEvent(c, p, now, PurposeProcessing)); err != nil {
		return nil, err
	}
	return &File{Name: name, ContentType: ev.ContentType, Data: data}, nil
}

// AddNote seals text with the case's data key and records "note.citizen"
// (visible; the citizen's status page shows it) or "note.internal" (not
// visible). Empty or too long text fails with a *guichet.ValidationError
// on field "note". It returns the note's ID.
func (s *Service) AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	var v guichet.ValidationError
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		v.Add("note", "err.required")
	case n > s.cfg.MaxNoteLen || !utf8.ValidString(text):
		v.Add("note", "err.too_long", s.cfg.MaxNoteLen)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if c.Erased() {
		return "", fmt.Errorf("case %s is erased: %w", c.Ref, guichet.ErrConflict)
	}
	personal, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("case %s: %w", c.Ref, err)
	}
	now := s.d.Clock.Now()
	id := s.d.IDs.New()
	sealed, err := s.d.Vault.SealWith(personal.WrappedKey, []byte(text), noteAAD(c.ID, id))
	if err != nil {
		return "", fmt.Errorf("case %s: seal note: %w", c.Ref, err)
	}
	typ := casefile.EventNoteInternal
	if toCitizen {
		typ = casefile.EventNoteToCitizen
	}
	err = s.d.Store.ChangeCase(ctx, Change{
		CaseID: c.ID, At: now,
		Note:   &StoredNote{ID: id, CaseID: c.ID, Ciphertext: sealed.Ciphertext, ToCitizen: toCitizen, AuthorID: p.AgentID, Author: p.Pseudonym, At: now},
		Events: []casefile.Event{s.event(c.ID, typ, p, now, toCitizen, map[string]string{"note": id})},
	})
	if err != nil {
		return "", fmt.Errorf("case %s: add note: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "note added", "ref", c.Ref, "agent", p.Pseudonym, "to_citizen", toCitizen)
	return id, nil
}

// CitizenNotes returns the notes addressed to the citizen on a case,
// decrypted, oldest first (none once erased). The caller MUST have
// authenticated the citizen for ref (complaint.Service.Authenticate) first.
func (s *Service) CitizenNotes(ctx context.Context, ref string) ([]Note, error) {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	if c.Erased() {
		return []Note{}, nil
	}
	personal, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	return s.openNotes(ctx, c, personal.WrappedKey, true)
}

// Assignees returns the agents a case may be assigned to: the active
// agents and supervisors of its unit.
func (s *Service) Assignees(ctx context.Context, p account.Principal, ref string) ([]Agent, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if s.d.Agents == nil {
		return []Agent{}, nil
	}
	all, err := s.d.Agents.UnitAgents(ctx, c.UnitID)
	if err != nil {
		return nil, fmt.Errorf("case %s: agents: %w", c.Ref, err)
	}
	out := make([]Agent, 0, len(all))
	for _, a := range all {
		if assignable(a, c.UnitID) {
			out = append(out, a)
		}
	}
	return out, nil
}

func assignable(a Agent, unitID string) bool {
	return a.Active && a.UnitID == unitID && (a.Role == account.RoleAgent || a.Role == account.RoleSupervisor)
}

// Assign puts an agent of the case's unit in charge: an "assigned" event
// (visible, {"agent": pseudonym}) and status assigned (unless already in
// progress). An agent of another unit, inactive or not handling cases
// fails with a *guichet.ValidationError on field "agent"; a final case
// with guichet.ErrConflict.
func (s *Service) Assign(ctx context.Context, p account.Principal, ref, agentID string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	var v guichet.ValidationError
	if s.d.Agents == nil {
		v.Add("agent", "err.agent.unknown")
		return v.Err()
	}
	a, err := s.d.Agents.AgentByID(ctx, agentID)
	if errors.Is(err, guichet.ErrNotFound) || (err == nil && !assignable(a, c.UnitID)) {
		v.Add("agent", "err.agent.unknown")
		return v.Err()
	}
	if err != nil {
		return fmt.Errorf("case %s: assign: %w", c.Ref, err)
	}
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil || k.IsFinal(c.Status) || c.Erased() {
		return fmt.Errorf("case %s: %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	now := s.d.Clock.Now()
	ch := Change{
		CaseID: c.ID, At: now, Allowed: k.Open(),
		Assign: &Assignment{AgentID: a.ID, Pseudonym: a.Pseudonym, At: now},
		Events: []casefile.Event{s.event(c.ID, casefile.EventAssigned, p, now, true, map[string]string{"agent": a.Pseudonym})},
	}
	// Assigning takes the case up unless it is already being worked on.
	if allowed, err := s.transition(c, p, casefile.StatusAssigned); err == nil {
		ch.Allowed, ch.Status = allowed, casefile.StatusAssigned
		ch.Events = append(ch.Events, statusEvent(s, c, p, now, casefile.StatusAssigned))
	}
	if err := s.d.Store.ChangeCase(ctx, ch); err != nil {
		return fmt.Errorf("case %s: assign: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "case assigned", "ref", c.Ref, "agent", a.Pseudonym, "by", p.Pseudonym)
	return nil
}

// Convert turns a pre-complaint into a formal complaint (PL) at the
// appointment, in one transaction: the PL gets a new reference, its own
// data key and salt, the corrected form and identity check as personal
// part, LinkedRef → PP and a "created" event; the PP gets LinkedRef → PL,
// status confirmed, no expiry (retention never erases it) and a
// "converted" event. It returns the PL reference. Unchecked identity or an
// invalid form fails with a *guichet.ValidationError; a case already
// converted or final with guichet.ErrConflict.
func (s *Service) Convert(ctx context.Context, p account.Principal, ref string, in ConvertInput) (string, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return "", err
	}
	if c.Kind != caseref.PreComplaint {
		return "", fmt.Errorf("case %s: only a pre-complaint converts: %w", c.Ref, guichet.ErrConflict)
	}
	if c.LinkedRef != "" || c.Erased() {
		return "", fmt.Errorf("case %s: already converted or %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	allowed, err := s.transition(c, p, casefile.StatusConfirmed)
	if err != nil {
		return "", fmt.Errorf("already converted or %s: %w", c.Status, err)
	}
	now := s.d.Clock.Now()
	var v guichet.ValidationError
	if !in.IdentityChecked {
		v.Add("identity_checked", "err.identity.unchecked")
	}
	if !in.IDDocument.Valid() {
		v.Add("id_document", "err.required")
	}
	form := in.Form
	form.Category = complaint.Category(c.Category)
	// The steps a citizen corrects at the desk; the station and consent
	// steps of the online form do not apply.
	for _, step := range []complaint.Step{complaint.StepIdentity, complaint.StepFacts, complaint.StepItems} {
		if err := complaint.ValidateStep(step, &form, now); err != nil {
			var fv *guichet.ValidationError
			if !errors.As(err, &fv) {
				return "", err
			}
			v.Fields = append(v.Fields, fv.Fields...)
		}
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	// The appointment is at the desk: whatever the citizen chose online
	// stays as it was; only the facts and identity are corrected.
	form.UnitID, form.SlotID, form.Consent = c.UnitID, "", true
	if old, err := s.personalForm(ctx, c); err == nil {
		form.Evidence = old.Evidence
		form.Emergency, form.Violence, form.AuthorKnown = old.Emergency, old.Violence, old.AuthorKnown
	} else {
		return "", err
	}
	salt := make([]byte, 32)
	if _, err := s.d.Rand.Read(salt); err != nil {
		return "", err
	}
	plID := s.d.IDs.New()
	filed := &complaint.Filed{Form: form, Identity: complaint.IdentityCheck{
		Document: in.IDDocument, Checked: true, Agent: p.Pseudonym, ServiceNumber: p.ServiceNumber, At: now,
	}}
	sealed, digest, err := complaint.Complaint.Seal(s.d.Vault, plID, nil, filed)
	if err != nil {
		return "", fmt.Errorf("case %s: %w", c.Ref, err)
	}
	plRef, err := casefile.MintRef(s.d.Rand, caseref.Complaint, now.In(complaint.Paris).Year(), func(r caseref.Ref) error {
		pl := casefile.Case{
			ID: plID, Ref: r.String(), Kind: caseref.Complaint, Category: c.Category,
			Status: complaint.Complaint.Initial, UnitID: c.UnitID, CreatedAt: now, SubmittedAt: now, UpdatedAt: now,
			LinkedRef: c.Ref,
		}
		cv := Conversion{
			PPID: c.ID, PPAllowed: allowed, PL: pl, PLSalt: salt, PLPerson: sealed, At: now,
			PLEvents: []casefile.Event{s.event(pl.ID, casefile.EventCreated, p, now, true, map[string]string{
				"pre_complaint": c.Ref, "unit": c.UnitID, "category": c.Category, "content": digest,
			})},
			PPEvents: []casefile.Event{
				s.event(c.ID, casefile.EventConverted, p, now, true, map[string]string{"complaint": pl.Ref}),
				statusEvent(s, c, p, now, casefile.StatusConfirmed),
			},
		}
		err := s.d.Store.ConvertCase(ctx, cv)
		if errors.Is(err, guichet.ErrConflict) {
			// A reference collision draws again; a PP converted meanwhile
			// is reported as such.
			if cur, _, lerr := s.d.Store.CaseByRef(ctx, c.Ref); lerr == nil && (cur.LinkedRef != "" || cur.Status.Final()) {
				return fmt.Errorf("case %s: already converted or %s: %w", c.Ref, cur.Status, errConverted)
			}
		}
		return err
	})
	if errors.Is(err, errConverted) {
		return "", fmt.Errorf("%w: %w", err, guichet.ErrConflict)
	}
	if err != nil {
		return "", fmt.Errorf("case %s: convert: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "pre-complaint converted", "ref", c.Ref, "complaint", plRef.String(), "agent", p.Pseudonym)
	return plRef.String(), nil
}

// errConverted stops reference minting when the pre-complaint was
// converted meanwhile (not a collision of references).
var errConverted = errors.New("converted meanwhile")

func (s *Service) personalForm(ctx context.Context, c casefile.Case) (*complaint.Form, error) {
	_, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	if f := complaintForm(pers); f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("case %s: %s has no complaint form: %w", c.Ref, c.Kind, guichet.ErrConflict)
}

// Close closes a pre-complaint without complaint: a "closed" event
// (visible, {"reason", "redirect"}), status closed and ExpiresAt = now +
// Config.ClosedRetention so retention erases it later. Unknown reason or
// redirect, or CloseWrongService without redirect, fails with a
// *guichet.ValidationError (fields "reason", "redirect").
func (s *Service) Close(ctx context.Context, p account.Principal, ref string, reason CloseReason, redirect string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	var v guichet.ValidationError
	if !slices.Contains(CloseReasons, reason) {
		v.Add("reason", "err.required")
	}
	if _, ok := RedirectByCode(redirect); redirect != "" && !ok {
		v.Add("redirect", "err.choice")
	} else if redirect == "" && reason == CloseWrongService {
		v.Add("redirect", "err.required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if c.Erased() {
		return fmt.Errorf("case %s: erased: %w", c.Ref, guichet.ErrConflict)
	}
	allowed, err := s.transition(c, p, casefile.StatusClosed)
	if err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err = s.d.Store.ChangeCase(ctx, Change{
		CaseID: c.ID, Allowed: allowed, Status: casefile.StatusClosed, SetExpiry: true,
		ExpiresAt: now.Add(s.cfg.ClosedRetention), At: now,
		Events: []casefile.Event{
			s.event(c.ID, casefile.EventClosed, p, now, true, map[string]string{"reason": string(reason), "redirect": redirect}),
			statusEvent(s, c, p, now, casefile.StatusClosed),
		},
	})
	if err != nil {
		return fmt.Errorf("case %s: close: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "case closed", "ref", c.Ref, "reason", string(reason), "agent", p.Pseudonym)
	return nil
}

// unitInScope checks that p may run unit's calendar.
func unitInScope(p account.Principal, unitID string) error {
	if !p.CanSeeUnit(unitID) {
		return notFound("unit " + unitID)
	}
	return nil
}

// Calendar returns the unit's slots starting in [from, to) with the
// references of the cases booked on each.
func (s *Service) Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]SlotView, error) {
	if err := unitInScope(p, unitID); err != nil {
		return nil, err
	}
	slots, err := s.d.Store.ListSlots(ctx, unitID, from, to)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	booked, err := s.d.Store.SlotBookings(ctx, unitID, from, to)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	out := make([]SlotView, 0, len(slots))
	for _, sl := range slots {
		refs := booked[sl.ID]
		if refs == nil {
			refs = []string{}
		}
		out = append(out, SlotView{Slot: sl, Refs: refs})
	}
	return out, nil
}

// MaxSlotCapacity bounds the places of one slot.
const MaxSlotCapacity = 50

// OpenSlot adds a slot to the unit's calendar and returns it. Bad times or
// capacity fail with a *guichet.ValidationError (fields "start", "end",
// "capacity").
func (s *Service) OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*SlotView, error) {
	if err := unitInScope(p, unitID); err != nil {
		return nil, err
	}
	var v guichet.ValidationError
	now := s.d.Clock.Now()
	switch {
	case start.IsZero():
		v.Add("start", "err.required")
	case start.Before(now):
		v.Add("start", "err.slot.past")
	}
	switch {
	case end.IsZero():
		v.Add("end", "err.required")
	case !start.IsZero() && (!end.After(start) || end.Sub(start) > 8*time.Hour):
		v.Add("end", "err.slot.end")
	}
	if capacity < 1 || capacity > MaxSlotCapacity {
		v.Add("capacity", "err.slot.capacity", MaxSlotCapacity)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sl := station.Slot{ID: s.d.IDs.New(), UnitID: unitID, Start: start, End: end, Capacity: capacity}
	if err := s.d.Store.CreateSlot(ctx, sl); err != nil {
		return nil, fmt.Errorf("open slot: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "slot opened", "unit", unitID, "slot", sl.ID, "agent", p.Pseudonym)
	stored, err := s.d.Store.Slot(ctx, sl.ID)
	if err != nil {
		return nil, err
	}
	return &SlotView{Slot: stored, Refs: []string{}}, nil
}

// slotInScope loads a slot of one of p's units.
func (s *Service) slotInScope(ctx context.Context, p account.Principal, slotID string) (station.Slot, error) {
	sl, err := s.d.Store.Slot(ctx, slotID)
	if err != nil {
		return station.Slot{}, fmt.Errorf("slot %s: %w", slotID, err)
	}
	if err := unitInScope(p, sl.UnitID); err != nil {
		return station.Slot{}, notFound("slot " + slotID)
	}
	return sl, nil
}

// SetCapacity changes a slot's capacity; below its bookings fails with a
// *guichet.ValidationError on field "capacity".
func (s *Service) SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error {
	if _, err := s.slotInScope(ctx, p, slotID); err != nil {
		return err
	}
	var v guichet.ValidationError
	if capacity < 0 || capacity > MaxSlotCapacity {
		v.Add("capacity", "err.slot.capacity", MaxSlotCapacity)
		return v.Err()
	}
	if _, err := s.d.Store.SetSlotCapacity(ctx, slotID, capacity); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			v.Add("capacity", "err.slot.below_booked")
			return v.Err()
		}
		return err
	}
	s.d.Logger.InfoContext(ctx, "slot capacity set", "slot", slotID, "capacity", capacity, "agent", p.Pseudonym)
	return nil
}

// CloseSlot stops new bookings on a slot: its capacity becomes its number
// of bookings (those keep their place).
func (s *Service) CloseSlot(ctx context.Context, p account.Principal, slotID string) error {
	if _, err := s.slotInScope(ctx, p, slotID); err != nil {
		return err
	}
	if _, err := s.d.Store.SetSlotCapacity(ctx, slotID, -1); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "slot closed", "slot", slotID, "agent", p.Pseudonym)
	return nil
}

// Reschedule moves the case's appointment to another slot of its unit, as
// the citizen's reschedule does, the actor being the agent. A full or gone
// slot fails with a *guichet.ValidationError on field "slot_id"; a final
// case with guichet.ErrConflict.
func (s *Service) Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	if !complaint.Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	now := s.d.Clock.Now()
	var v guichet.ValidationError
	slot, err := s.d.Store.Slot(ctx, slotID)
	if err != nil || slot.UnitID != c.UnitID || slot.Start.Before(now) {
		v.Add("slot_id", "err.slot.gone")
		return v.Err()
	}
	ev := s.event(c.ID, casefile.EventAppointmentChanged, p, now, true, map[string]string{
		"unit": slot.UnitID, "start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
	})
	if err := s.d.Store.Reschedule(ctx, c.ID, slot.ID, []casefile.Event{ev}); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			v.Add("slot_id", "err.slot.full")
			return v.Err()
		}
		return fmt.Errorf("case %s: reschedule: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment rescheduled by agent", "ref", c.Ref, "agent", p.Pseudonym)
	return nil
}

// maxReport bounds the rows of the supervisors' lists.
const maxReport = 1000

// AccessReport lists, for supervisors, every "accessed" event on cases of
// their units with At in [from, to), newest first (at most 1000). Other
// roles: guichet.ErrNotFound.
func (s *Service) AccessReport(ctx context.Context, p account.Principal, from, to time.Time) ([]AccessEntry, error) {
	if p.Role != account.RoleSupervisor {
		return nil, notFound("access report")
	}
	recs, err := s.d.Store.AccessEvents(ctx, p.Units, from, to, maxReport)
	if err != nil {
		return nil, fmt.Errorf("access report: %w", err)
	}
	out := make([]AccessEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, AccessEntry{
			Ref: r.Ref, At: r.Event.At, Agent: r.Event.Data["agent"], Role: r.Event.Data["role"],
			UnitID: r.Event.Data["unit"], Purpose: Purpose(r.Event.Data["purpose"]), EventID: r.Event.ID,
		})
	}
	return out, nil
}

// Deadlines lists, for supervisors, the open pre-complaints of their units
// expiring within the duration, soonest first (at most 1000). Other roles:
// guichet.ErrNotFound.
func (s *Service) Deadlines(ctx context.Context, p account.Principal, within time.Duration) ([]QueueItem, error) {
	if p.Role != account.RoleSupervisor {
		return nil, notFound("deadlines")
	}
	rows, err := s.d.Store.QueueCases(ctx, QueueQuery{
		UnitIDs: p.Units, Kind: caseref.PreComplaint, Statuses: complaint.PreComplaint.Open(),
		ExpiresBefore: s.d.Clock.Now().Add(within), Limit: maxReport,
	})
	if err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b QueueRow) int { return a.Case.ExpiresAt.Compare(b.Case.ExpiresAt) })
	names := map[string]string{}
	out := make([]QueueItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, QueueItem{Case: r.Case, Appointment: r.Appointment, Assignee: s.assignee(ctx, r.Assignment, names)})
	}
	return out, nil
}
