package indicator

// Reason is a stable code saying why a value is invalid. Codes are
// "<kind>.<what>" (or "input.<what>" for every kind); they are part of the
// API — the UI translates them and partners' scripts test them — so a code
// MUST NOT change meaning once released. The package documentation lists
// them.
type Reason string

// Reasons common to every kind.
const (
	ReasonEmpty       Reason = "input.empty"    // nothing but white space
	ReasonTooLong     Reason = "input.too_long" // it, or its canonical form, is longer than MaxInputLen bytes
	ReasonUTF8        Reason = "input.utf8"     // not valid UTF-8 (every kind but url)
	ReasonKindUnknown Reason = "kind.unknown"   // no such kind, or Guess found none
)

// URL reasons.
const (
	ReasonURLScheme = Reason("url.scheme")  // a scheme other than http or https
	ReasonURLNoHost = Reason("url.no_host") // no host, or only dots
	ReasonURLHost   = Reason("url.host")    // the host holds / \ ? @ : once unescaped
	ReasonURLIDNA   = Reason("url.idna")    // a Unicode host that UTS #46 rejects
	ReasonURLIPv4   = Reason("url.ipv4")    // ends in a number but is no IPv4 address
	ReasonURLIPv6   = Reason("url.ipv6")    // a bracketed host that is no IPv6 address
	ReasonURLPort   = Reason("url.port")    // a port that is not a number up to 65535
)

// Domain reasons.
const (
	ReasonDomainChars       = Reason("domain.chars")        // a character other than letters, digits, - and _
	ReasonDomainLabelLength = Reason("domain.label_length") // a label longer than 63 bytes
	ReasonDomainLength      = Reason("domain.length")       // longer than 253 bytes
	ReasonDomainSingleLabel = Reason("domain.single_label") // one label only ("localhost", "com")
	ReasonDomainIsIP        = Reason("domain.is_ip")        // an IP address (use kind ip)
	ReasonDomainIDNA        = Reason("domain.idna")         // UTS #46 rejects it, or an xn-- label is not valid Punycode
	ReasonDomainEmpty       = Reason("domain.empty")        // nothing but dots
)

// IP reasons.
const (
	ReasonIPFormat = Reason("ip.format") // neither an IPv4 nor an IPv6 address
	ReasonIPZone   = Reason("ip.zone")   // an IPv6 address with a zone ("%eth0")
)

// E-mail reasons.
const (
	ReasonEmailFormat = Reason("email.format") // not local@domain
	ReasonEmailLocal  = Reason("email.local")  // the local part is malformed
	ReasonEmailDomain = Reason("email.domain") // the domain is malformed
	ReasonEmailLength = Reason("email.length") // local part over 64 or address over 254 bytes
)

// Phone reasons.
const (
	ReasonPhoneParse   = Reason("phone.parse")        // not a phone number at all
	ReasonPhoneInvalid = Reason("phone.invalid")      // a number no numbering plan allocates
	ReasonPhoneShort   = Reason("phone.short_number") // a short code (15, 3117…), which has no E.164 form
	ReasonPhoneRegion  = Reason("phone.region")       // the default region given is unknown
)

// IBAN reasons.
const (
	ReasonIBANChars    = Reason("iban.chars")             // a character other than letters and digits
	ReasonIBANCountry  = Reason("iban.country")           // no such IBAN country
	ReasonIBANLength   = Reason("iban.length")            // the wrong length for its country
	ReasonIBANFormat   = Reason("iban.format")            // letters where the country's structure has digits, or the reverse
	ReasonIBANChecksum = Reason("iban.checksum")          // the ISO 7064 mod-97 check fails
	ReasonIBANNational = Reason("iban.national_checksum") // the national check digits are wrong
)

// Bitcoin reasons.
const (
	ReasonBTCFormat         = Reason("btc.format")          // neither Bech32 nor Base58
	ReasonBTCCharset        = Reason("btc.charset")         // a character outside the encoding's alphabet
	ReasonBTCMixedCase      = Reason("btc.mixed_case")      // Bech32 in both upper and lower case
	ReasonBTCChecksum       = Reason("btc.checksum")        // the checksum fails
	ReasonBTCLength         = Reason("btc.length")          // too long or too short for its encoding
	ReasonBTCHRP            = Reason("btc.hrp")             // a Bech32 prefix other than bc or tb
	ReasonBTCVariant        = Reason("btc.variant")         // Bech32 where Bech32m is required, or the reverse
	ReasonBTCWitnessVersion = Reason("btc.witness_version") // a witness version above 16
	ReasonBTCProgramLength  = Reason("btc.program_length")  // a witness program of the wrong length
	ReasonBTCPadding        = Reason("btc.padding")         // non-zero or excess padding bits
	ReasonBTCVersion        = Reason("btc.version")         // a Base58Check version byte that is no address (a private key, …)
)

// Ethereum reasons.
const (
	ReasonETHFormat   = Reason("eth.format")   // not 0x followed by 40 hexadecimal digits
	ReasonETHChecksum = Reason("eth.checksum") // mixed case that is not the EIP-55 checksum
)
