package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Policy says which checkpoints to trust: those signed by the log's key,
// naming the expected origin, and cosigned by at least Quorum of the
// trusted witnesses.
type Policy struct {
	// Log verifies the log's own Ed25519 signature. Required.
	Log note.Verifier
	// Origin is the expected origin line; empty means Log.Name(), since
	// the log's key name SHOULD match its origin (and guichet's does).
	Origin string
	// Witnesses verify trusted witnesses' cosignatures.
	Witnesses []note.Verifier
	// Quorum is how many distinct Witnesses MUST have cosigned.
	Quorum int
}

// NewPolicy builds a Policy from verifier keys: logKey of type Ed25519 and
// witnessKeys of type cosignature/v1, requiring quorum of the witnesses.
func NewPolicy(logKey string, witnessKeys []string, quorum int) (Policy, error) {
	k, err := ParseVerifierKey(logKey)
	if err != nil {
		return Policy{}, fmt.Errorf("log key: %w", err)
	}
	if k.Type != TypeEd25519 {
		return Policy{}, fmt.Errorf("log key: %w: type 0x%02x is a witness key, not a log key", ErrBadKey, k.Type)
	}
	lv, err := NewVerifier(logKey)
	if err != nil {
		return Policy{}, fmt.Errorf("log key: %w", err)
	}
	p := Policy{Log: lv, Quorum: quorum}
	seen := map[string]bool{}
	for _, wk := range witnessKeys {
		k, err := ParseVerifierKey(wk)
		if err != nil {
			return Policy{}, fmt.Errorf("witness key: %w", err)
		}
		if k.Type != TypeCosignatureV1 {
			return Policy{}, fmt.Errorf("witness key %s: %w: type 0x%02x is not cosignature/v1", k.Name, ErrBadKey, k.Type)
		}
		if seen[k.Name] {
			return Policy{}, fmt.Errorf("witness key %s: %w: listed twice", k.Name, ErrBadKey)
		}
		seen[k.Name] = true
		v, err := NewVerifier(wk)
		if err != nil {
			return Policy{}, fmt.Errorf("witness key: %w", err)
		}
		p.Witnesses = append(p.Witnesses, v)
	}
	if quorum < 0 || quorum > len(p.Witnesses) {
		return Policy{}, fmt.Errorf("%w: quorum %d with %d witness keys", ErrBadKey, quorum, len(p.Witnesses))
	}
	return p, nil
}

// Verified is a checkpoint that passed a Policy.
type Verified struct {
	Checkpoint
	// Note is the signed note as verified, signatures included.
	Note []byte
	// Cosigned lists the trusted witnesses whose cosignature verified.
	Cosigned []Cosignature
}

// Cosignature is one verified witness cosignature.
type Cosignature struct {
	Name string
	Time time.Time
}

// Open verifies a signed checkpoint note against p and parses it. The
// error wraps ErrMalformed, ErrWrongKey, ErrBadSignature, ErrUnknownOrigin
// or ErrTooFewCosignatures. Signatures by unknown keys are ignored, as the
// signed-note specification requires.
func (p Policy) Open(msg []byte) (*Verified, error) {
	if p.Log == nil {
		return nil, fmt.Errorf("%w: no log key configured", ErrBadKey)
	}
	if len(msg) > MaxSize {
		return nil, fmt.Errorf("%w: note of %d bytes", ErrMalformed, len(msg))
	}
	known := append([]note.Verifier{p.Log}, p.Witnesses...)
	n, err := note.Open(msg, note.VerifierList(known...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%w %s+%08x (signed by: %s)", ErrWrongKey, p.Log.Name(), p.Log.KeyHash(),
				signers(unverified.Note.UnverifiedSigs))
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: by key %s+%08x", ErrBadSignature, invalid.Name, invalid.Hash)
		default:
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	logSigned := false
	var cosigned []Cosignature
	for _, s := range n.Sigs {
		if s.Name == p.Log.Name() && s.Hash == p.Log.KeyHash() {
			logSigned = true
			continue
		}
		t, err := CosignatureTime(s.Base64)
		if err != nil {
			return nil, err
		}
		cosigned = append(cosigned, Cosignature{Name: s.Name, Time: t})
	}
	if !logSigned {
		return nil, fmt.Errorf("%w %s+%08x (signed by: %s)", ErrWrongKey, p.Log.Name(), p.Log.KeyHash(),
			signers(append(n.Sigs, n.UnverifiedSigs...)))
	}
	c, err := Parse([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	want := p.Origin
	if want == "" {
		want = p.Log.Name()
	}
	if c.Origin != want {
		return nil, fmt.Errorf("%w: checkpoint is for log %q, expected %q", ErrUnknownOrigin, c.Origin, want)
	}
	if len(cosigned) < p.Quorum {
		return nil, fmt.Errorf("%w: %d of the %d required", ErrTooFewCosignatures, len(cosigned), p.Quorum)
	}
	return &Verified{Checkpoint: c, Note: msg, Cosigned: cosigned}, nil
}

func signers(sigs []note.Signature) string {
	if len(sigs) == 0 {
		return "no key"
	}
	s := make([]string, len(sigs))
	for i, sig := range sigs {
		s[i] = fmt.Sprintf("%s+%08x", sig.Name, sig.Hash)
	}
	return strings.Join(s, ", ")
}
