package checkpoint

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Signature type identifier bytes assigned by the signed-note specification.
const (
	// TypeEd25519 is a plain Ed25519 note signature (the log's own).
	TypeEd25519 byte = 0x01
	// TypeCosignatureV1 is a timestamped Ed25519 witness cosignature.
	TypeCosignatureV1 byte = 0x04
)

// KeyID returns SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian
// uint32: the key ID of the signed-note and tlog-cosignature specifications.
func KeyID(name string, typ byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', typ})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// VerifierKey encodes a public key as a signed-note verifier key:
// "<name>+<hex key ID>+<base64(type ‖ public key)>".
func VerifierKey(name string, typ byte, pub ed25519.PublicKey) (string, error) {
	if !ValidKeyName(name) {
		return "", fmt.Errorf("%w: invalid key name %q", ErrBadKey, name)
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("%w: public key is %d bytes", ErrBadKey, len(pub))
	}
	raw := append([]byte{typ}, pub...)
	return fmt.Sprintf("%s+%08x+%s", name, KeyID(name, typ, pub), base64.StdEncoding.EncodeToString(raw)), nil
}

// ParsedKey is a decoded verifier key.
type ParsedKey struct {
	Name string
	ID   uint32
	Type byte
	Pub  ed25519.PublicKey
}

// ParseVerifierKey decodes a verifier key of type Ed25519 (0x01) or
// Ed25519 cosignature/v1 (0x04) and checks its key ID.
func ParseVerifierKey(vkey string) (ParsedKey, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	id16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !ValidKeyName(name) || len(id16) != 8 {
		return ParsedKey{}, fmt.Errorf("%w: want <name>+<key id>+<base64 key>", ErrBadKey)
	}
	id, err := strconv.ParseUint(id16, 16, 32)
	if err != nil {
		return ParsedKey{}, fmt.Errorf("%w: key id %q", ErrBadKey, id16)
	}
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize {
		return ParsedKey{}, fmt.Errorf("%w: key material", ErrBadKey)
	}
	k := ParsedKey{Name: name, ID: uint32(id), Type: raw[0], Pub: ed25519.PublicKey(raw[1:])}
	if k.Type != TypeEd25519 && k.Type != TypeCosignatureV1 {
		return ParsedKey{}, fmt.Errorf("%w: unsupported signature type 0x%02x", ErrBadKey, k.Type)
	}
	if KeyID(name, k.Type, k.Pub) != k.ID {
		return ParsedKey{}, fmt.Errorf("%w: key id does not match the key", ErrBadKey)
	}
	return k, nil
}

// NewVerifier returns a note.Verifier for a verifier key of either
// supported type: the log's Ed25519 key or a witness's cosignature/v1 key.
func NewVerifier(vkey string) (note.Verifier, error) {
	k, err := ParseVerifierKey(vkey)
	if err != nil {
		return nil, err
	}
	if k.Type == TypeCosignatureV1 {
		return &cosigVerifier{name: k.Name, id: k.ID, pub: k.Pub}, nil
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return v, nil
}

// cosigVerifier verifies cosignature/v1 signatures: an 8-byte big-endian
// timestamp followed by an Ed25519 signature over
// "cosignature/v1\ntime <timestamp>\n" ‖ note text.
type cosigVerifier struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.id }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	if ts > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(ts, msg), sig[8:])
}

func cosignedMessage(ts uint64, text []byte) []byte {
	m := make([]byte, 0, 40+len(text))
	m = append(m, "cosignature/v1\ntime "...)
	m = strconv.AppendUint(m, ts, 10)
	m = append(m, '\n')
	return append(m, text...)
}

// CosignatureTime returns the timestamp inside a cosignature/v1 signature
// (the base64 text of a note signature line, key ID included).
func CosignatureTime(sigBase64 string) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(sigBase64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return time.Time{}, fmt.Errorf("%w: not a cosignature/v1 signature", ErrMalformed)
	}
	ts := binary.BigEndian.Uint64(raw[4:])
	if ts > 1<<63-1 {
		return time.Time{}, fmt.Errorf("%w: cosignature timestamp out of range", ErrMalformed)
	}
	return time.Unix(int64(ts), 0).UTC(), nil
}

// Cosigner signs checkpoints as a witness with a cosignature/v1 key.
// It implements note.Signer. Callers MUST only cosign a checkpoint after
// checking it is consistent with every checkpoint previously cosigned for
// the same origin (c2sp.org/tlog-witness does this).
type Cosigner struct {
	name string
	id   uint32
	priv ed25519.PrivateKey
	now  func() time.Time
}

// Name returns the witness's key name.
func (c *Cosigner) Name() string { return c.name }

// KeyHash returns the key ID.
func (c *Cosigner) KeyHash() uint32 { return c.id }

// Sign returns the timestamped signature of the note text msg.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	ts := c.now().Unix()
	if ts < 0 {
		return nil, fmt.Errorf("cosign: clock before 1970")
	}
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, uint64(ts))
	return append(sig, ed25519.Sign(c.priv, cosignedMessage(uint64(ts), msg))...), nil
}

// VerifierKey returns the cosigner's verifier key (type 0x04).
func (c *Cosigner) VerifierKey() string {
	vk, err := VerifierKey(c.name, TypeCosignatureV1, c.priv.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err) // the name was validated at construction
	}
	return vk
}

// GenerateCosignerKey returns a new witness signer key, in the same
// "PRIVATE+KEY+<name>+<key id>+<base64(type ‖ seed)>" shape as note signer
// keys but with type 0x04. The key MUST be kept secret.
func GenerateCosignerKey(rand io.Reader, name string) (skey string, err error) {
	if !ValidKeyName(name) {
		return "", fmt.Errorf("%w: invalid key name %q", ErrBadKey, name)
	}
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", fmt.Errorf("generate cosigner key: %w", err)
	}
	raw := append([]byte{TypeCosignatureV1}, priv.Seed()...)
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, KeyID(name, TypeCosignatureV1, pub),
		base64.StdEncoding.EncodeToString(raw)), nil
}

// NewCosigner parses a key made by GenerateCosignerKey. now gives the
// cosignature timestamps; nil means time.Now.
func NewCosigner(skey string, now func() time.Time) (*Cosigner, error) {
	name, typ, seed, id, err := parseSignerKey(skey)
	if err != nil {
		return nil, err
	}
	if typ != TypeCosignatureV1 {
		return nil, fmt.Errorf("%w: signer key type 0x%02x is not cosignature/v1", ErrBadKey, typ)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if KeyID(name, typ, priv.Public().(ed25519.PublicKey)) != id {
		return nil, fmt.Errorf("%w: key id does not match the key", ErrBadKey)
	}
	if now == nil {
		now = time.Now
	}
	return &Cosigner{name: name, id: id, priv: priv, now: now}, nil
}

// PublicKeyOf returns the name and Ed25519 public key of a signer key of
// type 0x01 (note) or 0x04 (cosigner), checking its key ID.
func PublicKeyOf(skey string) (name string, typ byte, pub ed25519.PublicKey, err error) {
	name, typ, seed, id, err := parseSignerKey(skey)
	if err != nil {
		return "", 0, nil, err
	}
	pub = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if KeyID(name, typ, pub) != id {
		return "", 0, nil, fmt.Errorf("%w: key id does not match the key", ErrBadKey)
	}
	return name, typ, pub, nil
}

func parseSignerKey(skey string) (name string, typ byte, seed []byte, id uint32, err error) {
	// The base64 key material may itself contain '+': cut four times.
	f := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" || !ValidKeyName(f[2]) || len(f[3]) != 8 {
		return "", 0, nil, 0, fmt.Errorf("%w: want PRIVATE+KEY+<name>+<key id>+<base64 key>", ErrBadKey)
	}
	id64, err := strconv.ParseUint(f[3], 16, 32)
	if err != nil {
		return "", 0, nil, 0, fmt.Errorf("%w: key id", ErrBadKey)
	}
	raw, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return "", 0, nil, 0, fmt.Errorf("%w: key material", ErrBadKey)
	}
	if raw[0] != TypeEd25519 && raw[0] != TypeCosignatureV1 {
		return "", 0, nil, 0, fmt.Errorf("%w: unsupported signature type 0x%02x", ErrBadKey, raw[0])
	}
	return f[2], raw[0], raw[1:], uint32(id64), nil
}
