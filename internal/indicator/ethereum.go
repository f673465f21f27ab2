package indicator

import (
	"strings"

	"golang.org/x/crypto/sha3"
)

// normalizeEthereum reads an Ethereum address: "0x" and 40 hexadecimal
// digits. In mixed case the case MUST be the EIP-55 checksum; all lower or
// all upper case carries no checksum and is accepted. The canonical form is
// the EIP-55 checksummed address.
func normalizeEthereum(input string) Indicator {
	s := trim(input)
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return bad(ReasonETHFormat)
	}
	hex := s[2:]
	hasLower, hasUpper := false, false
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		switch {
		case isDigit(c):
		case 'a' <= c && c <= 'f':
			hasLower = true
		case 'A' <= c && c <= 'F':
			hasUpper = true
		default:
			return bad(ReasonETHFormat)
		}
	}
	sum := eip55(asciiLower(hex))
	if hasLower && hasUpper && hex != sum {
		return bad(ReasonETHChecksum)
	}
	return Indicator{Valid: true, Canonical: "0x" + sum}
}

// eip55 returns the EIP-55 mixed-case form of 40 lower-case hexadecimal
// digits: a letter is upper case when the matching nibble of
// Keccak-256(the lower-case digits as ASCII) is 8 or more.
func eip55(lowerHex string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lowerHex))
	hash := h.Sum(nil)
	var b strings.Builder
	b.Grow(len(lowerHex))
	for i := 0; i < len(lowerHex); i++ {
		c := lowerHex[i]
		nibble := hash[i/2] >> 4
		if i%2 == 1 {
			nibble = hash[i/2] & 0xf
		}
		if 'a' <= c && c <= 'f' && nibble >= 8 {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
