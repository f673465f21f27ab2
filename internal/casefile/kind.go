package casefile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/caseref"
)

// Actor is who makes a transition: the kernel's tables say which actors may
// make which change.
type Actor string

// The actors of the transition tables.
const (
	ActorCitizen    Actor = "citizen"
	ActorAgent      Actor = "agent"      // an agent of the competent unit
	ActorSupervisor Actor = "supervisor" // a supervisor of the unit or a parent unit
	ActorSystem     Actor = "system"     // retention, expiry and other jobs
	ActorPartner    Actor = "partner"    // a partner body through the API
)

// Transition is one allowed change of status: From → To, by one of By.
type Transition struct {
	From, To Status
	By       []Actor
}

// Retention is how long a kind of case keeps its personal part.
type Retention struct {
	// Open is how long a case may stay unfinished before it expires and is
	// erased (a pre-complaint never confirmed); zero for never.
	Open time.Duration
	// Closed is how long a case closed without follow-up keeps its personal
	// part before erasure; zero for never.
	Closed time.Duration
}

// Personal is the decoded personal part of a case: each kind has its own Go
// type (a pre-complaint's form, a report's account of what was seen…).
type Personal interface {
	// EvidenceNames maps the ID of each evidence file of the case to the
	// name its sender gave it, which only the sealed part holds.
	EvidenceNames() map[string]string
}

// Codec turns a kind's personal part into bytes and back. Sealing (see Seal
// and Open) is the kernel's: a codec only encodes.
type Codec interface {
	// Label names the kind's personal part in the AEAD associated data,
	// "guichet/<label>/v1/<case id>", so the part of one kind can never be
	// opened as another's. It MUST never change for a kind that has data.
	Label() string
	Encode(Personal) ([]byte, error)
	Decode([]byte) (Personal, error)
}

// JSONCodec is the codec of a personal part of type *T encoded as JSON.
func JSONCodec[T any, PT interface {
	*T
	Personal
}](label string) Codec {
	return jsonCodec[T, PT]{label}
}

type jsonCodec[T any, PT interface {
	*T
	Personal
}] struct{ label string }

func (c jsonCodec[T, PT]) Label() string { return c.label }

func (c jsonCodec[T, PT]) Encode(p Personal) ([]byte, error) {
	v, ok := p.(PT)
	if !ok || v == nil {
		return nil, fmt.Errorf("casefile: %s codec: cannot encode %T: %w", c.label, p, guichet.ErrInvalid)
	}
	return json.Marshal(v)
}

func (c jsonCodec[T, PT]) Decode(b []byte) (Personal, error) {
	v := PT(new(T))
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("casefile: %s codec: %w", c.label, err)
	}
	return v, nil
}

// Kind declares one kind of case: everything the rest of guichet needs to
// know of it without knowing its form.
type Kind struct {
	Prefix caseref.Kind
	// Initial is the status a new case of this kind starts in.
	Initial Status
	// Transitions lists every allowed change of status; any other is
	// refused with guichet.ErrConflict.
	Transitions []Transition
	// Final lists the statuses no transition leaves.
	Final     []Status
	Retention Retention
	Codec     Codec
}

// IsFinal reports whether s is a final status of k.
func (k *Kind) IsFinal(s Status) bool { return slices.Contains(k.Final, s) }

// Open lists the statuses of k that are not final, in table order.
func (k *Kind) Open() []Status {
	var out []Status
	add := func(s Status) {
		if !k.IsFinal(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(k.Initial)
	for _, t := range k.Transitions {
		add(t.From)
	}
	for _, t := range k.Transitions {
		add(t.To)
	}
	return out
}

// From returns the statuses from which by may move a case of kind k to to:
// the guard a store puts on its UPDATE. None fails with guichet.ErrConflict.
func (k *Kind) From(to Status, by Actor) ([]Status, error) {
	var out []Status
	for _, t := range k.Transitions {
		if t.To == to && slices.Contains(t.By, by) && !slices.Contains(out, t.From) {
			out = append(out, t.From)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s may move a case to %s: %w", k.Prefix, by, to, guichet.ErrConflict)
	}
	return out, nil
}

// Check refuses, with guichet.ErrConflict, a move of a case of kind k from
// from to to by by that the table does not allow.
func (k *Kind) Check(from, to Status, by Actor) error {
	allowed, err := k.From(to, by)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, from) {
		return fmt.Errorf("%s: %s may not move a case from %s to %s: %w", k.Prefix, by, from, to, guichet.ErrConflict)
	}
	return nil
}

// AAD is the associated data that binds the personal part of the case (or
// draft) id to its kind.
func (k *Kind) AAD(id string) []byte { return []byte("guichet/" + k.Codec.Label() + "/v1/" + id) }

// Sealer seals and opens personal data under per-case data keys (see
// internal/vault).
type Sealer interface {
	// Seal encrypts plaintext under a new data key.
	Seal(plaintext, aad []byte) (Sealed, error)
	// SealWith encrypts plaintext under the data key wrappedKey wraps.
	SealWith(wrappedKey, plaintext, aad []byte) (Sealed, error)
	Open(s Sealed, aad []byte) ([]byte, error)
}

// Seal encodes and seals p as the personal part of case id of kind k: under
// a new data key when wrappedKey is nil, else under the key it wraps. It
// returns the sealed part and the digest of its content (see
// ContentDigest), the commitment events carry.
func (k *Kind) Seal(v Sealer, id string, wrappedKey []byte, p Personal) (Sealed, string, error) {
	plain, err := k.Codec.Encode(p)
	if err != nil {
		return Sealed{}, "", err
	}
	var s Sealed
	if wrappedKey == nil {
		s, err = v.Seal(plain, k.AAD(id))
	} else {
		s, err = v.SealWith(wrappedKey, plain, k.AAD(id))
	}
	if err != nil {
		return Sealed{}, "", fmt.Errorf("%s %s: seal: %w", k.Prefix, id, err)
	}
	return s, ContentDigest(plain), nil
}

// OpenPersonal opens and decodes the personal part s of case id of kind k.
func (k *Kind) OpenPersonal(v Sealer, id string, s Sealed) (Personal, error) {
	plain, err := v.Open(s, k.AAD(id))
	if err != nil {
		return nil, fmt.Errorf("%s %s: open: %w", k.Prefix, id, err)
	}
	p, err := k.Codec.Decode(plain)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.Prefix, id, err)
	}
	return p, nil
}

// ContentDigest is hex SHA-256 of a personal part's encoding: it commits to
// the content without revealing it.
func ContentDigest(plain []byte) string {
	sum := sha256.Sum256(plain)
	return hex.EncodeToString(sum[:])
}

// Kinds is the registry of the kinds of case an instance handles.
type Kinds struct {
	byPrefix map[caseref.Kind]*Kind
	order    []*Kind
}

// NewKinds registers kinds; a prefix declared twice, or a kind without
// codec or initial status, panics (a programming error found at start-up).
func NewKinds(kinds ...*Kind) *Kinds {
	r := &Kinds{byPrefix: make(map[caseref.Kind]*Kind, len(kinds))}
	for _, k := range kinds {
		if !k.Prefix.Valid() || k.Codec == nil || k.Initial == "" {
			panic(fmt.Sprintf("casefile: kind %q is incomplete", k.Prefix))
		}
		if _, dup := r.byPrefix[k.Prefix]; dup {
			panic(fmt.Sprintf("casefile: kind %q declared twice", k.Prefix))
		}
		r.byPrefix[k.Prefix] = k
		r.order = append(r.order, k)
	}
	return r
}

// Lookup returns the declaration of kind p; an unknown kind fails with
// guichet.ErrNotFound.
func (r *Kinds) Lookup(p caseref.Kind) (*Kind, error) {
	if k, ok := r.byPrefix[p]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("kind %q: %w", p, guichet.ErrNotFound)
}

// All returns the registered kinds in registration order.
func (r *Kinds) All() []*Kind { return slices.Clone(r.order) }

// Open lists every status that is not final for at least one kind.
func (r *Kinds) Open() []Status {
	var out []Status
	for _, k := range r.order {
		for _, s := range k.Open() {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// mintAttempts bounds how many references MintRef draws.
const mintAttempts = 4

// MintRef draws a fresh checksummed reference of kind k for year and calls
// insert with it until insert succeeds. An insert failing with
// guichet.ErrConflict is taken for a reference already used and retried
// with another (an insert that knows better — a slot full, a case changed
// meanwhile — returns another error); any other error stops at once.
func MintRef(rand io.Reader, k caseref.Kind, year int, insert func(ref caseref.Ref) error) (caseref.Ref, error) {
	var err error
	for range mintAttempts {
		var ref caseref.Ref
		if ref, err = caseref.New(k, year, rand); err != nil {
			return caseref.Ref{}, err
		}
		if err = insert(ref); err == nil {
			return ref, nil
		}
		if !errors.Is(err, guichet.ErrConflict) {
			return caseref.Ref{}, err
		}
	}
	return caseref.Ref{}, fmt.Errorf("%s reference: %d collisions: %w", k, mintAttempts, err)
}

// EvidenceAAD is the associated data of evidence file id of the draft or
// case ownerID, sealed under the owner's data key, whatever its kind.
func EvidenceAAD(ownerID, id string) []byte {
	return []byte("guichet/evidence/v1/" + ownerID + "/" + id)
}
