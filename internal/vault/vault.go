// Package vault seals the personal part of each case with envelope
// encryption: every owner (a case, a draft) gets its own AES-256-GCM data
// key, and that data key is stored wrapped by a master key that never leaves
// the server's configuration.
//
// Guarantees:
//   - Every seal uses a fresh random 96-bit nonce; a data key is used for at
//     most a few thousand messages in practice, far below the 2^32 limit for
//     random nonces under one key.
//   - The caller's additional data (AAD) is authenticated with the content:
//     a ciphertext opened with another owner's AAD fails, so ciphertexts
//     swapped between cases are detected.
//   - A wrapped data key names the master key that wrapped it (its key ID)
//     and carries a fingerprint of that key, so a wrong master key is
//     reported as such (ErrWrongMasterKey) rather than as corruption.
//   - Rotation re-wraps data keys (Rewrap) without touching ciphertexts;
//     retired master keys (AddRetired) can still unwrap but never wrap.
//   - Erasure is the caller's: deleting a wrapped data key makes every
//     ciphertext sealed under it unreadable.
//
// Errors never contain key material or plaintext.
package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/guichet/guichet/internal/casefile"
)

// KeySize is the size in bytes of master keys and data keys (AES-256).
const KeySize = 32

// version is the format version of wrapped keys and ciphertexts. A later
// format MUST use another value so old data stays readable.
const version byte = 1

const (
	nonceSize       = 12 // GCM standard nonce
	tagSize         = 16 // GCM tag
	fingerprintSize = 8
	maxKeyIDLen     = 64
)

// Errors reported by the vault. They are internal failures, not domain
// kinds: a case that cannot be opened is a server fault, never the caller's.
var (
	// ErrUnknownMasterKey: the data key was wrapped under a master key ID the
	// vault does not hold (neither current nor retired).
	ErrUnknownMasterKey = errors.New("vault: unknown master key")
	// ErrWrongMasterKey: the vault holds a master key under that ID, but it
	// is not the key that wrapped the data key.
	ErrWrongMasterKey = errors.New("vault: wrong master key")
	// ErrMalformed: the wrapped key or ciphertext is truncated or of an
	// unknown format version.
	ErrMalformed = errors.New("vault: malformed data")
	// ErrTampered: authentication failed: the wrapped key, the ciphertext or
	// the additional data was altered, or the ciphertext belongs to another
	// owner.
	ErrTampered = errors.New("vault: authentication failed")
)

// masterKey is one master key ready to wrap and unwrap.
type masterKey struct {
	id          string
	fingerprint [fingerprintSize]byte
	aead        cipher.AEAD
}

// Vault wraps data keys under a current master key and unwraps them under
// the current or any retired one. A Vault is safe for concurrent use.
type Vault struct {
	rand    io.Reader
	current *masterKey

	mu   sync.RWMutex
	keys map[string]*masterKey // by ID, current included
}

// New returns a vault whose current master key is master (KeySize bytes),
// known by keyID (1 to 64 printable ASCII characters, no spaces; stored in
// clear in every wrapped key). Randomness for data keys and nonces is read
// from random; nil means crypto/rand. New keeps no reference to master.
func New(master []byte, keyID string, random io.Reader) (*Vault, error) {
	mk, err := newMasterKey(master, keyID)
	if err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	return &Vault{
		rand:    random,
		current: mk,
		keys:    map[string]*masterKey{keyID: mk},
	}, nil
}

// AddRetired registers an old master key that can still unwrap data keys
// wrapped under keyID but is never used to wrap. It fails if keyID is
// already known, so the current key cannot be shadowed.
func (v *Vault) AddRetired(master []byte, keyID string) error {
	mk, err := newMasterKey(master, keyID)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.keys[keyID]; ok {
		return fmt.Errorf("vault: add retired key %q: key ID already in use", keyID)
	}
	v.keys[keyID] = mk
	return nil
}

// CurrentKeyID returns the ID of the master key that wraps new data keys.
func (v *Vault) CurrentKeyID() string { return v.current.id }

// Fingerprint returns a short public fingerprint (hex) of the current master
// key, safe to print or log, to tell keys apart without revealing them.
func (v *Vault) Fingerprint() string { return fmt.Sprintf("%x", v.current.fingerprint) }

// Seal encrypts plaintext under a fresh data key and returns the ciphertext
// with that data key wrapped under the current master key. aad MUST identify
// the owner (for instance "case/<id>/personal") and MUST be given again,
// identical, to Open.
func (v *Vault) Seal(plaintext, aad []byte) (casefile.Sealed, error) {
	dk := make([]byte, KeySize)
	defer clear(dk)
	if _, err := io.ReadFull(v.rand, dk); err != nil {
		return casefile.Sealed{}, fmt.Errorf("vault: seal: generate data key: %w", err)
	}
	wrapped, err := v.wrap(dk)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("vault: seal: %w", err)
	}
	ct, err := v.encrypt(dk, plaintext, aad)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("vault: seal: %w", err)
	}
	return casefile.Sealed{WrappedKey: wrapped, Ciphertext: ct}, nil
}

// SealWith encrypts plaintext under the data key inside wrappedKey, which
// the returned Sealed carries unchanged: an owner's evidence files and
// successive versions of its draft share one data key, so erasing that key
// erases them all. The nonce is fresh for every call.
func (v *Vault) SealWith(wrappedKey, plaintext, aad []byte) (casefile.Sealed, error) {
	dk, err := v.unwrap(wrappedKey)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("vault: seal with key: %w", err)
	}
	defer clear(dk)
	ct, err := v.encrypt(dk, plaintext, aad)
	if err != nil {
		return casefile.Sealed{}, fmt.Errorf("vault: seal with key: %w", err)
	}
	return casefile.Sealed{WrappedKey: bytes.Clone(wrappedKey), Ciphertext: ct}, nil
}

// Open unwraps s's data key and decrypts s's ciphertext, authenticating aad.
// It returns the plaintext only if nothing was altered; otherwise an error
// wrapping ErrTampered, ErrWrongMasterKey, ErrUnknownMasterKey or
// ErrMalformed.
func (v *Vault) Open(s casefile.Sealed, aad []byte) ([]byte, error) {
	dk, err := v.unwrap(s.WrappedKey)
	if err != nil {
		return nil, fmt.Errorf("vault: open: %w", err)
	}
	defer clear(dk)
	pt, err := decrypt(dk, s.Ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("vault: open: %w", err)
	}
	return pt, nil
}

// Rewrap unwraps wrapped under whichever master key wrapped it (current or
// retired) and wraps the same data key under the current master key.
// Ciphertexts sealed under that data key stay valid. Rewrapping a key
// already under the current master key is allowed and yields a new nonce.
func (v *Vault) Rewrap(wrapped []byte) ([]byte, error) {
	dk, err := v.unwrap(wrapped)
	if err != nil {
		return nil, fmt.Errorf("vault: rewrap: %w", err)
	}
	defer clear(dk)
	out, err := v.wrap(dk)
	if err != nil {
		return nil, fmt.Errorf("vault: rewrap: %w", err)
	}
	return out, nil
}

// KeyID returns the ID of the master key that wrapped wrapped, without
// unwrapping it, so a rotation can skip data keys already current.
func KeyID(wrapped []byte) (string, error) {
	h, err := parseWrapped(wrapped)
	if err != nil {
		return "", err
	}
	return h.keyID, nil
}

// Wrapped key layout, version 1:
//
//	version (1) ‖ len(keyID) (1) ‖ keyID ‖ fingerprint (8) ‖ nonce (12) ‖ GCM(dataKey) (32+16)
//
// Everything before the nonce is the header and is authenticated as AAD.
func (v *Vault) wrap(dk []byte) ([]byte, error) {
	mk := v.current
	out := make([]byte, 0, 2+len(mk.id)+fingerprintSize+nonceSize+KeySize+tagSize)
	out = append(out, version, byte(len(mk.id)))
	out = append(out, mk.id...)
	out = append(out, mk.fingerprint[:]...)
	header := bytes.Clone(out) // AEAD.Seal: dst and additional data must not overlap
	nonce := out[len(out) : len(out)+nonceSize]
	if _, err := io.ReadFull(v.rand, nonce); err != nil {
		return nil, fmt.Errorf("wrap data key: read nonce: %w", err)
	}
	out = out[:len(out)+nonceSize]
	return mk.aead.Seal(out, nonce, dk, header), nil
}

type wrappedHeader struct {
	keyID       string
	fingerprint []byte
	header      []byte // authenticated prefix
	nonce       []byte
	sealed      []byte
}

func parseWrapped(w []byte) (wrappedHeader, error) {
	if len(w) < 2 {
		return wrappedHeader{}, fmt.Errorf("wrapped key: %d bytes: %w", len(w), ErrMalformed)
	}
	if w[0] != version {
		return wrappedHeader{}, fmt.Errorf("wrapped key: version %d: %w", w[0], ErrMalformed)
	}
	n := int(w[1])
	want := 2 + n + fingerprintSize + nonceSize + KeySize + tagSize
	if n == 0 || n > maxKeyIDLen || len(w) != want {
		return wrappedHeader{}, fmt.Errorf("wrapped key: bad length: %w", ErrMalformed)
	}
	h := 2 + n + fingerprintSize
	return wrappedHeader{
		keyID:       string(w[2 : 2+n]),
		fingerprint: w[2+n : h],
		header:      w[:h],
		nonce:       w[h : h+nonceSize],
		sealed:      w[h+nonceSize:],
	}, nil
}

func (v *Vault) unwrap(w []byte) ([]byte, error) {
	h, err := parseWrapped(w)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	mk, ok := v.keys[h.keyID]
	v.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unwrap data key: master key %q: %w", h.keyID, ErrUnknownMasterKey)
	}
	if !hmac.Equal(h.fingerprint, mk.fingerprint[:]) {
		return nil, fmt.Errorf("unwrap data key: master key %q (fingerprint %x) did not wrap it (fingerprint %x): %w",
			h.keyID, mk.fingerprint, h.fingerprint, ErrWrongMasterKey)
	}
	dk, err := mk.aead.Open(nil, h.nonce, h.sealed, h.header)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key under master key %q: %w", h.keyID, ErrTampered)
	}
	return dk, nil
}

// Ciphertext layout, version 1:
//
//	version (1) ‖ nonce (12) ‖ GCM(plaintext) (len+16)
//
// The version byte is authenticated by prefixing it to the caller's AAD.
func (v *Vault) encrypt(dk, plaintext, aad []byte) ([]byte, error) {
	aead, err := newGCM(dk)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+tagSize)
	out[0] = version
	if _, err := io.ReadFull(v.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("encrypt: read nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, contentAAD(aad)), nil
}

func decrypt(dk, ct, aad []byte) ([]byte, error) {
	if len(ct) < 1+nonceSize+tagSize {
		return nil, fmt.Errorf("ciphertext: %d bytes: %w", len(ct), ErrMalformed)
	}
	if ct[0] != version {
		return nil, fmt.Errorf("ciphertext: version %d: %w", ct[0], ErrMalformed)
	}
	aead, err := newGCM(dk)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, ct[1:1+nonceSize], ct[1+nonceSize:], contentAAD(aad))
	if err != nil {
		return nil, fmt.Errorf("decrypt content: %w", ErrTampered)
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// contentAAD binds the format version to the caller's additional data.
func contentAAD(aad []byte) []byte {
	out := make([]byte, 0, 1+len(aad))
	out = append(out, version)
	return append(out, aad...)
}

func newMasterKey(master []byte, keyID string) (*masterKey, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("vault: master key %q: %d bytes, want %d", keyID, len(master), KeySize)
	}
	if err := checkKeyID(keyID); err != nil {
		return nil, err
	}
	aead, err := newGCM(master)
	if err != nil {
		return nil, fmt.Errorf("vault: master key %q: %w", keyID, err)
	}
	mk := &masterKey{id: keyID, aead: aead}
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte("guichet vault master key fingerprint v1"))
	copy(mk.fingerprint[:], mac.Sum(nil))
	return mk, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("vault: key ID must be 1 to %d characters", maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("vault: key ID %q: only printable ASCII without spaces", id)
		}
	}
	return nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}
