package indicator

import (
	"crypto/sha256"
	"strings"
)

// Bech32 (BIP-173) and Bech32m (BIP-350).
const (
	bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	bech32Const   = 1
	bech32mConst  = 0x2bc830a3
	bech32MaxLen  = 90
)

// bech32Encoding is the checksum variant of a Bech32 string.
type bech32Encoding string

const (
	encBech32  bech32Encoding = "bech32"
	encBech32m bech32Encoding = "bech32m"
)

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range gen {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func bech32HRPExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]&31)
	}
	return out
}

// decodeBech32 decodes any Bech32 or Bech32m string (BIP-173 "Bech32"
// section, BIP-350): at most 90 characters, an HRP of 1 to 83 characters in
// 33–126, one case only, a data part of at least the 6-character checksum.
// It returns the lower-case HRP, the 5-bit data without the checksum, and
// the variant whose constant the checksum matched.
func decodeBech32(s string) (hrp string, data []byte, enc bech32Encoding, reason Reason) {
	if len(s) > bech32MaxLen {
		return "", nil, "", ReasonBTCLength
	}
	lower, upper := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 {
			return "", nil, "", ReasonBTCCharset
		}
		lower = lower || 'a' <= c && c <= 'z'
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if lower && upper {
		return "", nil, "", ReasonBTCMixedCase
	}
	s = asciiLower(s)
	pos := strings.LastIndexByte(s, '1')
	switch {
	case pos < 0:
		return "", nil, "", ReasonBTCFormat
	case pos == 0:
		return "", nil, "", ReasonBTCHRP
	case pos+7 > len(s):
		return "", nil, "", ReasonBTCLength
	}
	hrp = s[:pos]
	values := bech32HRPExpand(hrp)
	for i := pos + 1; i < len(s); i++ {
		d := strings.IndexByte(bech32Charset, s[i])
		if d < 0 {
			return "", nil, "", ReasonBTCCharset
		}
		values = append(values, byte(d))
	}
	switch bech32Polymod(values) {
	case bech32Const:
		enc = encBech32
	case bech32mConst:
		enc = encBech32m
	default:
		return "", nil, "", ReasonBTCChecksum
	}
	n := len(s) - pos - 1 - 6
	return hrp, values[len(values)-6-n : len(values)-6], enc, ""
}

// encodeBech32 encodes an HRP and 5-bit data with the variant's checksum.
func encodeBech32(hrp string, data []byte, enc bech32Encoding) string {
	k := uint32(bech32Const)
	if enc == encBech32m {
		k = bech32mConst
	}
	values := append(bech32HRPExpand(hrp), data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(values) ^ k
	var b strings.Builder
	b.WriteString(hrp)
	b.WriteByte('1')
	for _, d := range data {
		b.WriteByte(bech32Charset[d])
	}
	for i := 0; i < 6; i++ {
		b.WriteByte(bech32Charset[(mod>>(5*(5-i)))&31])
	}
	return b.String()
}

// convertBits regroups bits (BIP-173 reference "convertbits"). Without
// padding, at most 4 leftover bits are allowed and they MUST be zero.
func convertBits(data []byte, from, to uint, pad bool) ([]byte, bool) {
	var acc, bits uint
	maxv := uint(1)<<to - 1
	out := make([]byte, 0, len(data)*int(from)/int(to)+1)
	for _, v := range data {
		if uint(v)>>from != 0 {
			return nil, false
		}
		acc = acc<<from | uint(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(to-bits)&maxv))
		}
	} else if bits >= from || acc<<(to-bits)&maxv != 0 {
		return nil, false
	}
	return out, true
}

// segwitNetworks maps the HRPs of SegWit addresses to their network.
var segwitNetworks = map[string]string{"bc": "mainnet", "tb": "testnet"}

// segwitAddress is a decoded SegWit address.
type segwitAddress struct {
	hrp     string
	version int
	program []byte
	enc     bech32Encoding
}

// decodeSegwit decodes a SegWit address (BIP-173 "Segwit address format",
// BIP-350): a bc or tb HRP, witness version 0–16, a program of 2–40 bytes
// (20 or 32 for version 0), Bech32 for version 0 and Bech32m above.
func decodeSegwit(s string) (segwitAddress, Reason) {
	hrp, data, enc, reason := decodeBech32(s)
	if reason != "" {
		return segwitAddress{}, reason
	}
	if _, ok := segwitNetworks[hrp]; !ok {
		return segwitAddress{}, ReasonBTCHRP
	}
	if len(data) < 1 {
		return segwitAddress{}, ReasonBTCLength
	}
	if data[0] > 16 {
		return segwitAddress{}, ReasonBTCWitnessVersion
	}
	prog, ok := convertBits(data[1:], 5, 8, false)
	if !ok {
		return segwitAddress{}, ReasonBTCPadding
	}
	a := segwitAddress{hrp: hrp, version: int(data[0]), program: prog, enc: enc}
	if r := a.check(); r != "" {
		return segwitAddress{}, r
	}
	return a, ""
}

// check applies the witness rules shared by decoding and encoding.
func (a segwitAddress) check() Reason {
	if a.version < 0 || a.version > 16 {
		return ReasonBTCWitnessVersion
	}
	if len(a.program) < 2 || len(a.program) > 40 || a.version == 0 && len(a.program) != 20 && len(a.program) != 32 {
		return ReasonBTCProgramLength
	}
	if (a.version == 0) != (a.enc == encBech32) {
		return ReasonBTCVariant
	}
	return ""
}

// encodeSegwit encodes a SegWit address, refusing what decodeSegwit would
// refuse (an HRP other than bc or tb in lower case included).
func encodeSegwit(hrp string, version int, program []byte) (string, Reason) {
	if _, ok := segwitNetworks[hrp]; !ok {
		return "", ReasonBTCHRP
	}
	enc := encBech32
	if version != 0 {
		enc = encBech32m
	}
	a := segwitAddress{hrp: hrp, version: version, program: program, enc: enc}
	if r := a.check(); r != "" {
		return "", r
	}
	five, _ := convertBits(program, 8, 5, true)
	s := encodeBech32(hrp, append([]byte{byte(version)}, five...), enc)
	if len(s) > bech32MaxLen {
		return "", ReasonBTCLength
	}
	return s, ""
}

// segwitType names the script a SegWit address pays to.
func (a segwitAddress) segwitType() string {
	switch {
	case a.version == 0 && len(a.program) == 20:
		return "p2wpkh"
	case a.version == 0 && len(a.program) == 32:
		return "p2wsh"
	case a.version == 1 && len(a.program) == 32:
		return "p2tr"
	}
	return "witness_unknown"
}

// Base58 and Base58Check (the alphabet without 0, O, I and l).
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// decodeBase58 decodes a Base58 string; each leading '1' is a zero byte.
func decodeBase58(s string) ([]byte, bool) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// Big-endian base-256 digits of the value, built by multiply-and-add.
	var num []byte
	for i := zeros; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, false
		}
		carry := d
		for j := len(num) - 1; j >= 0; j-- {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			num = append([]byte{byte(carry)}, num...)
			carry >>= 8
		}
	}
	return append(make([]byte, zeros, zeros+len(num)), num...), true
}

// decodeBase58Check decodes Base58 and checks and removes its 4-byte
// checksum, the first bytes of SHA-256(SHA-256(payload)).
func decodeBase58Check(s string) ([]byte, Reason) {
	b, ok := decodeBase58(s)
	if !ok {
		return nil, ReasonBTCCharset
	}
	if len(b) < 4 {
		return nil, ReasonBTCLength
	}
	payload, sum := b[:len(b)-4], b[len(b)-4:]
	h := sha256.Sum256(payload)
	h = sha256.Sum256(h[:])
	if string(h[:4]) != string(sum) {
		return nil, ReasonBTCChecksum
	}
	return payload, ""
}

// base58Versions are the version bytes of Base58Check addresses.
var base58Versions = map[byte]struct{ typ, network string }{
	0x00: {"p2pkh", "mainnet"},
	0x05: {"p2sh", "mainnet"},
	0x6f: {"p2pkh", "testnet"},
	0xc4: {"p2sh", "testnet"},
}

// normalizeBitcoin reads a Bitcoin address: SegWit (Bech32/Bech32m, whose
// canonical form is lower case) or legacy Base58Check (case-sensitive,
// canonical as typed). A "bitcoin:" URI prefix (BIP-21) and its ?query are
// ignored. Base58Check strings that are not addresses (private keys in WIF,
// extended keys) are refused with ReasonBTCVersion.
func normalizeBitcoin(input string) Indicator {
	s := trim(input)
	if len(s) >= 8 && asciiLower(s[:8]) == "bitcoin:" {
		s = s[8:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
	}
	if len(s) > bech32MaxLen {
		return bad(ReasonBTCLength)
	}
	lower := asciiLower(s)
	if strings.HasPrefix(lower, "bc1") || strings.HasPrefix(lower, "tb1") || !isBase58(s) && looksLikeBech32(lower) {
		a, reason := decodeSegwit(s)
		if reason != "" {
			return bad(reason)
		}
		v := a.version
		return Indicator{
			Valid: true, Canonical: lower,
			Type: a.segwitType(), Encoding: string(a.enc), WitnessVersion: &v, Network: segwitNetworks[a.hrp],
		}
	}
	if !isBase58(s) {
		return bad(ReasonBTCCharset)
	}
	payload, reason := decodeBase58Check(s)
	if reason != "" {
		return bad(reason)
	}
	if len(payload) != 21 {
		return bad(ReasonBTCVersion)
	}
	v, ok := base58Versions[payload[0]]
	if !ok {
		return bad(ReasonBTCVersion)
	}
	return Indicator{Valid: true, Canonical: s, Type: v.typ, Encoding: "base58check", Network: v.network}
}

// looksLikeBech32 reports whether a lower-cased s has the shape of Bech32
// (an HRP, a '1', then at least six characters of the Bech32 alphabet), so
// that its fault is reported in Bech32 terms.
func looksLikeBech32(lower string) bool {
	pos := strings.LastIndexByte(lower, '1')
	if pos <= 0 || len(lower)-pos-1 < 6 {
		return false
	}
	for i := pos + 1; i < len(lower); i++ {
		if strings.IndexByte(bech32Charset, lower[i]) < 0 {
			return false
		}
	}
	return true
}

func isBase58(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base58Alphabet, s[i]) < 0 {
			return false
		}
	}
	return s != ""
}
