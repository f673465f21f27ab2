// Package checkpoint reads, writes and verifies transparency-log
// checkpoints: the C2SP tlog-checkpoint note body, its C2SP signed-note
// signatures (Ed25519, signature type 0x01) and the witness cosignatures of
// C2SP tlog-cosignature (timestamped Ed25519, signature type 0x04).
//
// Specifications followed exactly:
//   - https://c2sp.org/tlog-checkpoint
//   - https://c2sp.org/signed-note
//   - https://c2sp.org/tlog-cosignature
//
// Signed notes themselves are handled by golang.org/x/mod/sumdb/note; this
// package adds the checkpoint body, the cosignature algorithm that package
// does not know, and a verification policy with typed errors.
package checkpoint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// Error kinds returned by this package. Every error it returns wraps exactly
// one of them, so callers (and the `guichet verify` command) can tell a
// forged checkpoint from a malformed one.
var (
	// ErrMalformed: the bytes are not a well-formed checkpoint or note.
	ErrMalformed = errors.New("malformed checkpoint")
	// ErrBadSignature: a signature by a trusted key does not verify.
	ErrBadSignature = errors.New("bad signature")
	// ErrWrongKey: the checkpoint carries no signature by the trusted log key
	// (it was signed by another key, or not signed at all).
	ErrWrongKey = errors.New("not signed by the trusted log key")
	// ErrUnknownOrigin: the checkpoint names another log than expected.
	ErrUnknownOrigin = errors.New("unknown origin")
	// ErrTooFewCosignatures: fewer trusted witnesses cosigned than required.
	ErrTooFewCosignatures = errors.New("too few witness cosignatures")
	// ErrBadKey: a verifier or signer key string is malformed.
	ErrBadKey = errors.New("malformed key")
)

// MaxSize bounds a checkpoint note in bytes; parsers refuse larger inputs.
// It leaves room for well over the 16 signatures the signed-note
// specification requires verifiers to accept.
const MaxSize = 64 << 10

// Checkpoint is the body of a checkpoint note: which log, how many leaves,
// and the RFC 6962 root hash of the tree of that size.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
	// Extensions are the optional extra lines; guichet never writes any
	// (the specification does not recommend them).
	Extensions []string
}

// Marshal returns the note text of c: origin, size, base64 root hash and
// any extension lines, each ending in a newline. It panics if c could not
// be parsed back (an empty or multi-line origin or extension), which is a
// programming error.
func (c Checkpoint) Marshal() []byte {
	if !validOrigin(c.Origin) || c.Size < 0 {
		panic(fmt.Sprintf("checkpoint: invalid origin %q or size %d", c.Origin, c.Size))
	}
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		if e == "" || strings.ContainsAny(e, "\n") {
			panic(fmt.Sprintf("checkpoint: invalid extension line %q", e))
		}
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Parse parses the note text (not the signatures) of a checkpoint. It
// accepts exactly what Marshal writes: at least three newline-terminated
// lines, a non-empty origin, a decimal size without leading zeroes and a
// standard-base64 32-byte hash, then non-empty extension lines.
func Parse(text []byte) (Checkpoint, error) {
	if len(text) > MaxSize {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(text))
	}
	if !utf8.Valid(text) {
		return Checkpoint{}, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return Checkpoint{}, fmt.Errorf("%w: text does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w: %d lines, want at least 3", ErrMalformed, len(lines))
	}
	for _, l := range lines {
		for _, r := range l {
			if r < 0x20 {
				return Checkpoint{}, fmt.Errorf("%w: control character", ErrMalformed)
			}
		}
	}
	c := Checkpoint{Origin: lines[0]}
	if !validOrigin(c.Origin) {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrMalformed)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || lines[1] != strconv.FormatInt(n, 10) {
		return Checkpoint{}, fmt.Errorf("%w: tree size %q", ErrMalformed, lines[1])
	}
	c.Size = n
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: root hash %q", ErrMalformed, lines[2])
	}
	copy(c.Hash[:], h)
	for _, e := range lines[3:] {
		if e == "" {
			return Checkpoint{}, fmt.Errorf("%w: empty extension line", ErrMalformed)
		}
		c.Extensions = append(c.Extensions, e)
	}
	return c, nil
}

func validOrigin(o string) bool {
	return o != "" && !strings.ContainsAny(o, "\n") && utf8.ValidString(o) &&
		strings.IndexFunc(o, func(r rune) bool { return r < 0x20 }) < 0
}

// ValidKeyName reports whether name may name a signed-note key: non-empty
// UTF-8 with no Unicode space and no plus sign.
func ValidKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}
