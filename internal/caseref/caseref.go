// Package caseref makes and reads the identifiers a citizen handles: case
// references (PP-2026-7KQ3-M9TX) and secret codes (tracking and draft codes).
//
// References are public, short and checksummed so that a mistyped one is
// refused before any lookup. Secret codes carry 80 random bits and are stored
// only as an HMAC under a server key.
package caseref

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the kind of case a reference names; it is the reference's prefix.
type Kind string

// The kinds of case.
const (
	PreComplaint Kind = "PP"
	Complaint    Kind = "PL"
	Report       Kind = "SG"
	Alert        Kind = "AL"
	// Bulletin is a public warning (avis) written by analysts and
	// supervisors: a case whose publication, updates and withdrawal are
	// events in the transparency log.
	Bulletin Kind = "AV"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case PreComplaint, Complaint, Report, Alert, Bulletin:
		return true
	}
	return false
}

// alphabet is Crockford's base32: no I, L, O, U.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// bodyLen is the number of random symbols in a reference (35 bits).
const bodyLen = 7

// Errors returned by Parse. They all wrap ErrMalformed.
var (
	ErrMalformed = errors.New("malformed reference")
	ErrChecksum  = fmt.Errorf("%w: check symbol does not match (typing mistake?)", ErrMalformed)
)

// Ref is a parsed, valid case reference.
type Ref struct {
	Kind Kind
	Year int
	body [bodyLen]byte // symbol values 0..31
}

// New draws a fresh reference of kind k for year from rand.
func New(k Kind, year int, rand io.Reader) (Ref, error) {
	if !k.Valid() {
		return Ref{}, fmt.Errorf("caseref: unknown kind %q", k)
	}
	if year < 2000 || year > 9999 {
		return Ref{}, fmt.Errorf("caseref: year %d out of range", year)
	}
	var buf [bodyLen]byte
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return Ref{}, fmt.Errorf("caseref: random: %w", err)
	}
	r := Ref{Kind: k, Year: year}
	for i, b := range buf {
		r.body[i] = b & 31
	}
	return r, nil
}

// String formats r as KK-YYYY-XXXX-XXXC where C is the check symbol.
func (r Ref) String() string {
	if r.Kind == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(17)
	b.WriteString(string(r.Kind))
	b.WriteByte('-')
	b.WriteString(strconv.Itoa(r.Year))
	b.WriteByte('-')
	for i, v := range r.body {
		if i == 4 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[v])
	}
	b.WriteByte(alphabet[r.check()])
	return b.String()
}

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.Kind == "" }

// check computes the Luhn mod 32 check symbol over the year's digits and the
// body, which catches every single-symbol error and every transposition of
// two adjacent symbols.
func (r Ref) check() int {
	year := strconv.Itoa(r.Year)
	vals := make([]int, 0, len(year)+bodyLen)
	for i := 0; i < len(year); i++ {
		vals = append(vals, int(year[i]-'0'))
	}
	for _, v := range r.body {
		vals = append(vals, int(v))
	}
	return luhnCheck(vals)
}

func luhnCheck(vals []int) int {
	const n = 32
	factor := 2
	sum := 0
	for i := len(vals) - 1; i >= 0; i-- {
		addend := factor * vals[i]
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
		addend = addend/n + addend%n
		sum += addend
	}
	return (n - sum%n) % n
}

// decodeSymbol maps a Crockford symbol, forgiving the usual confusions
// (O→0, I/L→1) and lower case, to its value.
func decodeSymbol(c byte) (int, bool) {
	switch {
	case c >= 'a' && c <= 'z':
		c -= 'a' - 'A'
	}
	switch c {
	case 'O':
		c = '0'
	case 'I', 'L':
		c = '1'
	}
	i := strings.IndexByte(alphabet, c)
	return i, i >= 0
}

// Parse reads a reference typed by a person: case, spaces and hyphens do not
// matter and the Crockford confusions (O/0, I/L/1) are forgiven. It returns an
// error wrapping ErrMalformed for anything that is not a valid reference, and
// ErrChecksum when only the check symbol disagrees.
func Parse(s string) (Ref, error) {
	if len(s) > 64 {
		return Ref{}, fmt.Errorf("%w: too long", ErrMalformed)
	}
	clean := make([]byte, 0, 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '-', '\t', '.', '_':
			continue
		}
		clean = append(clean, c)
	}
	// kind(2) + year(4) + body(7) + check(1)
	if len(clean) != 2+4+bodyLen+1 {
		return Ref{}, fmt.Errorf("%w: expected a reference like PP-2026-7KQ3-M9TX", ErrMalformed)
	}
	k := Kind(strings.ToUpper(string(clean[:2])))
	if !k.Valid() {
		return Ref{}, fmt.Errorf("%w: unknown prefix %q", ErrMalformed, string(clean[:2]))
	}
	year := 0
	for _, c := range clean[2:6] {
		v, ok := decodeSymbol(c)
		if !ok || v > 9 {
			return Ref{}, fmt.Errorf("%w: year must be four digits", ErrMalformed)
		}
		year = year*10 + v
	}
	if year < 2000 {
		return Ref{}, fmt.Errorf("%w: year out of range", ErrMalformed)
	}
	r := Ref{Kind: k, Year: year}
	for i, c := range clean[6 : 6+bodyLen] {
		v, ok := decodeSymbol(c)
		if !ok {
			return Ref{}, fmt.Errorf("%w: %q is not a reference symbol", ErrMalformed, c)
		}
		r.body[i] = byte(v)
	}
	cv, ok := decodeSymbol(clean[len(clean)-1])
	if !ok {
		return Ref{}, fmt.Errorf("%w: %q is not a reference symbol", ErrMalformed, clean[len(clean)-1])
	}
	if cv != r.check() {
		return Ref{}, ErrChecksum
	}
	return r, nil
}

// codeSymbols is the number of symbols in a secret code: 16 × 5 = 80 bits.
const codeSymbols = 16

// ErrBadCode is returned by ParseCode for input that cannot be a secret code.
var ErrBadCode = errors.New("malformed code")

// Code is a secret code (tracking code or draft code), normalised.
type Code string

// NewCode draws a fresh 80-bit secret code from rand.
func NewCode(rand io.Reader) (Code, error) {
	var buf [codeSymbols]byte
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return "", fmt.Errorf("caseref: random: %w", err)
	}
	out := make([]byte, codeSymbols)
	for i, b := range buf {
		out[i] = alphabet[b&31]
	}
	return Code(out), nil
}

// ParseCode normalises a code typed by a person (case, spaces and hyphens do
// not matter; O/0 and I/L/1 are forgiven).
func ParseCode(s string) (Code, error) {
	if len(s) > 64 {
		return "", ErrBadCode
	}
	out := make([]byte, 0, codeSymbols)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '-', '\t', '.', '_':
			continue
		}
		v, ok := decodeSymbol(c)
		if !ok {
			return "", ErrBadCode
		}
		out = append(out, alphabet[v])
	}
	if len(out) != codeSymbols {
		return "", ErrBadCode
	}
	return Code(out), nil
}

// String groups the code in blocks of four for reading aloud: 7KQ3-M9TX-….
func (c Code) String() string {
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(c[i])
	}
	return b.String()
}

// Hasher turns secret codes into the digests that are stored. Codes carry 80
// random bits, so a keyed hash suffices; a slow password hash would add
// nothing but latency.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher keyed with key, which MUST hold at least 32
// random bytes and stay secret.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < 32 {
		return nil, errors.New("caseref: code key must be at least 32 bytes")
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Sum returns HMAC-SHA-256(key, purpose ‖ 0 ‖ code). The purpose separates
// tracking codes from draft codes.
func (h *Hasher) Sum(purpose string, c Code) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(c))
	return m.Sum(nil)
}

// Equal compares two digests in constant time.
func Equal(a, b []byte) bool { return hmac.Equal(a, b) }
