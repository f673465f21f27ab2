package indicator

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// phoneTypes names libphonenumber's number types, as Indicator.Type gives
// them.
var phoneTypes = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:           "fixed_line",
	phonenumbers.MOBILE:               "mobile",
	phonenumbers.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
	phonenumbers.TOLL_FREE:            "toll_free",
	phonenumbers.PREMIUM_RATE:         "premium_rate",
	phonenumbers.SHARED_COST:          "shared_cost",
	phonenumbers.VOIP:                 "voip",
	phonenumbers.PERSONAL_NUMBER:      "personal_number",
	phonenumbers.PAGER:                "pager",
	phonenumbers.UAN:                  "uan",
	phonenumbers.VOICEMAIL:            "voicemail",
	phonenumbers.UNKNOWN:              "unknown",
}

// SupportedRegion reports whether region (ISO 3166-1 alpha-2, any case) is
// one phone numbers can be read in.
func SupportedRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(strings.TrimSpace(region))]
}

// normalizePhone reads a phone number with libphonenumber (through
// nyaruka/phonenumbers): in national form it is read in region (FR when
// empty). Only a number that the numbering plan allocates is valid; its
// canonical form is E.164, its display form the international format.
func normalizePhone(input, region string) Indicator {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = DefaultRegion
	}
	if !SupportedRegion(region) {
		return bad(ReasonPhoneRegion)
	}
	s := trim(input)
	if !validUTF8(s) {
		return bad(ReasonUTF8)
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return bad(ReasonPhoneParse)
	}
	// A number is valid exactly when the numbering plan of its region
	// gives it a type (IsValidNumber is that test, run again).
	typ := phonenumbers.GetNumberType(num)
	if typ == phonenumbers.UNKNOWN {
		if phonenumbers.IsValidShortNumberForRegion(num, region) {
			return bad(ReasonPhoneShort)
		}
		return bad(ReasonPhoneInvalid)
	}
	return Indicator{
		Valid:     true,
		Canonical: phonenumbers.Format(num, phonenumbers.E164),
		Display:   phonenumbers.Format(num, phonenumbers.INTERNATIONAL),
		Type:      phoneTypes[typ],
		Country:   phonenumbers.GetRegionCodeForNumber(num),
	}
}
