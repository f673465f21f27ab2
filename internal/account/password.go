package account

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/guichet/guichet"
)

// Argon2 are the cost parameters of argon2id password hashes.
type Argon2 struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 costs about 100 ms per hash on the reference machine (2
// cores, measured with `guichet bench login` and BenchmarkLoginHash):
// 64 MiB, 3 passes, 2 lanes took 92 ms (p50) where 64 MiB × 2 passes took
// 65 ms and 64 MiB × 1 pass 51 ms. Memory is what slows GPU attacks, so it
// is kept at 64 MiB (RFC 9106's second recommended option) and passes are
// added to reach the target. Hashes made with older parameters are
// upgraded at the next successful login.
var DefaultArgon2 = Argon2{Memory: 64 * 1024, Time: 3, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 12
	// maxPasswordLen bounds the work one login post can ask for.
	maxPasswordLen = 256
)

// errMalformedHash reports a stored hash that is not a PHC argon2id string.
var errMalformedHash = errors.New("account: malformed password hash")

// phc is a parsed PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
type phc struct {
	params Argon2
	salt   []byte
	key    []byte
}

var b64 = base64.RawStdEncoding

// hashPassword derives an argon2id PHC string for password with a fresh
// salt read from random.
func hashPassword(password string, p Argon2, random io.Reader) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("account: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return formatPHC(phc{params: p, salt: salt, key: key}), nil
}

// unmatchableHash is a PHC string with the parameters p and a random salt
// and key: verifying any password against it costs what verifying against
// a real hash costs, and fails, since no password is known to derive that
// key. Logins for unknown service numbers verify against it, so that they
// take as long as real ones without start-up paying for a hash.
func unmatchableHash(p Argon2, random io.Reader) (string, error) {
	b := make([]byte, saltLen+keyLen)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("account: dummy hash: %w", err)
	}
	return formatPHC(phc{params: p, salt: b[:saltLen], key: b[saltLen:]}), nil
}

func formatPHC(h phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC decodes an argon2id PHC string. It refuses any other algorithm
// or version and parameters outside sane bounds, so a corrupted row cannot
// make a login allocate gigabytes.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, errMalformedHash
	}
	var h phc
	for i, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || i > 2 || k != "mtp"[i:i+1] {
			return phc{}, errMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 || (len(v) > 1 && v[0] == '0') {
			return phc{}, errMalformedHash
		}
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return phc{}, errMalformedHash
			}
			h.params.Threads = uint8(n)
		}
	}
	if h.params.Threads == 0 || h.params.Memory < 8*uint32(h.params.Threads) || h.params.Memory > 1<<21 || h.params.Time > 64 {
		return phc{}, errMalformedHash
	}
	var err error
	if h.salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > 64 {
		return phc{}, errMalformedHash
	}
	if h.key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return phc{}, errMalformedHash
	}
	return h, nil
}

// verifyPassword reports whether password matches the PHC string stored,
// re-hashing with the stored parameters, and whether the hash should be
// upgraded to want.
func verifyPassword(stored, password string, want Argon2) (ok, outdated bool, err error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	ok = subtle.ConstantTimeCompare(key, h.key) == 1
	return ok, h.params != want || len(h.key) != keyLen, nil
}

// CheckPassword applies the password policy: at least MinPasswordLen
// characters, at most 256 bytes, valid UTF-8, and not the service number.
// It returns a *guichet.ValidationError on field "password".
func CheckPassword(password, serviceNumber string) error {
	var v guichet.ValidationError
	switch {
	case !utf8.ValidString(password):
		v.Add("password", "agent.err.password_invalid")
	case utf8.RuneCountInString(password) < MinPasswordLen:
		v.Add("password", "agent.err.password_short", MinPasswordLen)
	case len(password) > maxPasswordLen:
		v.Add("password", "agent.err.password_long")
	case strings.Contains(strings.ToLower(password), strings.ToLower(serviceNumber)) && serviceNumber != "":
		v.Add("password", "agent.err.password_login")
	}
	return v.Err()
}
