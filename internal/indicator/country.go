package indicator

import "github.com/nyaruka/phonenumbers"

// CountryOf returns the country a valid value of kind belongs to, read
// from its canonical form alone, as an ISO 3166-1 alpha-2 code: for a
// phone number the region of its numbering plan (libphonenumber's, so
// +262 269… is YT and +1 416… is CA), for an IBAN its first two letters.
// It returns "" for every other kind and for a value it cannot read.
//
// Only these two are places: a phone number and an IBAN are allocated by
// an authority of one country, so they say where an operator or a bank
// can be asked. A domain's country-code TLD is deliberately not one:
// it names a registry, not where a site is run or who runs it, and many
// are sold to anyone (.io, .co, .me, .tv, .cc, .ws); the Domains
// condition of routing covers what a TLD could honestly say. Neither is
// an e-mail address (its domain again), a URL or a crypto address.
func CountryOf(kind Kind, canonical string) string {
	switch kind {
	case KindPhone:
		if len(canonical) < 2 || canonical[0] != '+' {
			return ""
		}
		num, err := phonenumbers.Parse(canonical, "ZZ")
		if err != nil {
			return ""
		}
		r := phonenumbers.GetRegionCodeForNumber(num)
		if r == "ZZ" || r == "001" {
			return "" // a non-geographic number (+800, +882…) has no country
		}
		return r
	case KindIBAN:
		if len(canonical) < 4 {
			return ""
		}
		if _, ok := ibanBBAN[canonical[:2]]; !ok {
			return ""
		}
		return canonical[:2]
	}
	return ""
}
