package indicator

import (
	"strings"
)

// normalizeIBAN reads an IBAN (ISO 13616). Spaces, '-' and '.' between
// characters and a leading "IBAN" label are ignored; the canonical form is
// the electronic one (upper case, no separators), the display form its
// groups of four. Checked in this order: characters, country (the SWIFT
// IBAN Registry), length, the BBAN's structure, the ISO 7064 mod-97 check
// digits (02–98), then the national check digits where they are known.
func normalizeIBAN(input string) Indicator {
	s := trim(input)
	if !validUTF8(s) {
		return bad(ReasonUTF8)
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "IBAN") {
		s = strings.TrimLeft(s[4:], " :")
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '\u00a0', '\u202f':
			return -1
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
	for i := 0; i < len(s); i++ {
		if !isUpperAlnum(s[i]) {
			return bad(ReasonIBANChars)
		}
	}
	if len(s) < 2 {
		return bad(ReasonIBANLength)
	}
	cc := s[:2]
	structure, ok := ibanBBAN[cc]
	if !ok {
		return bad(ReasonIBANCountry)
	}
	classes := ibanClasses(structure)
	if len(s) != 4+len(classes) {
		return bad(ReasonIBANLength)
	}
	if !isDigit(s[2]) || !isDigit(s[3]) {
		return bad(ReasonIBANFormat)
	}
	bban := s[4:]
	for i := 0; i < len(bban); i++ {
		c := bban[i]
		switch classes[i] {
		case 'n':
			if !isDigit(c) {
				return bad(ReasonIBANFormat)
			}
		case 'a':
			if isDigit(c) {
				return bad(ReasonIBANFormat)
			}
		}
	}
	if check := s[2:4]; check < "02" || check > "98" || mod97(bban+s[:4]) != 1 {
		return bad(ReasonIBANChecksum)
	}
	if national, ok := ibanNational[cc]; ok && !national(bban) {
		return bad(ReasonIBANNational)
	}
	return Indicator{Valid: true, Canonical: s, Display: groupsOf4(s), Country: cc}
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isUpperAlnum(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'Z' }

// mod97 is the ISO 7064 MOD 97-10 remainder of s, letters counting as
// 10 (A) to 35 (Z). s MUST hold only digits and upper-case letters.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

// groupsOf4 writes s in groups of four characters separated by spaces.
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ibanNational checks, per country, the national check digits inside the
// BBAN (which the registry's structure already matched).
var ibanNational = map[string]func(bban string) bool{
	"ES": spainCCC,
	"FR": franceRIB,
	"MC": franceRIB,
	"BE": belgiumAccount,
	"NO": norwayAccount,
	// These countries' national check digits (the BBAN's last two) are
	// ISO 7064 MOD 97-10 over the whole BBAN, which is why their IBAN check
	// digits are a constant (BA39, ME25, MK07, PT50, RS35, SI56, TL38).
	"BA": bbanMod97, "ME": bbanMod97, "MK": bbanMod97, "PT": bbanMod97,
	"RS": bbanMod97, "SI": bbanMod97, "TL": bbanMod97,
}

// spainCCC checks the two check digits of a Spanish CCC (entity 4, office
// 4, check 2, account 10 digits): the first over "00"+entity+office, the
// second over the account, each with weights 2^i mod 11.
func spainCCC(b string) bool {
	return b[8] == spainCheckDigit("00"+b[:8]) && b[9] == spainCheckDigit(b[10:])
}

func spainCheckDigit(digits string) byte {
	weights := [10]int{1, 2, 4, 8, 5, 10, 9, 7, 3, 6}
	sum := 0
	for i := 0; i < len(digits); i++ {
		sum += int(digits[i]-'0') * weights[i]
	}
	c := sum % 11
	if c >= 2 {
		c = 11 - c
	}
	return byte('0' + c)
}

// franceRIB checks the French (and Monegasque) clé RIB: bank 5, branch 5,
// account 11 characters (letters count as digits: A/J 1, B/K/S 2, …, I/R/Z
// 9) and a key of 2 digits with 97 − (89·bank + 15·branch + 3·account) mod 97.
func franceRIB(b string) bool {
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			d := int(c - '0')
			if !isDigit(c) {
				d = int(c-'A')%9 + 1
				if c >= 'S' {
					d = int(c-'S')%9 + 2
				}
			}
			n = (n*10 + d) % 97
		}
		return n
	}
	r := (89*num(b[:5]) + 15*num(b[5:10]) + 3*num(b[10:21])) % 97
	return int(b[21]-'0')*10+int(b[22]-'0') == 97-r
}

// belgiumAccount checks a Belgian account number: its first 10 digits mod
// 97 are its last two (97 when the remainder is 0).
func belgiumAccount(b string) bool {
	r := mod97(b[:10])
	if r == 0 {
		r = 97
	}
	return int(b[10]-'0')*10+int(b[11]-'0') == r
}

// norwayAccount checks a Norwegian account number: MOD 11 with weights
// 5,4,3,2,7,6,5,4,3,2 over the first 10 digits gives the 11th (a remainder
// that would need a check digit of 10 is never issued).
func norwayAccount(b string) bool {
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := range weights {
		sum += int(b[i]-'0') * weights[i]
	}
	c := (11 - sum%11) % 11
	return c < 10 && b[10] == byte('0'+c)
}

// bbanMod97 checks that the BBAN, as a number, is 1 mod 97.
func bbanMod97(b string) bool { return mod97(b) == 1 }
