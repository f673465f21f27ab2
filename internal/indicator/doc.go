// Package indicator harmonises the indicators reports carry — URLs,
// domains, IP addresses, e-mail addresses, phone numbers, IBANs, Bitcoin
// and Ethereum addresses — so that reports naming the same thing can be
// linked. Every value is kept as typed and, when it is well formed, given
// one canonical form used for matching ([Indicator.Key] is its kind and
// canonical form); an invalid value is kept and flagged with a stable
// reason code, never dropped. [Normalize] never panics; [Guess] finds the
// kind of a value from its shape. The server and `guichet indicator
// normalize` run the same code.
//
// Every input has surrounding white space and control characters ignored,
// and is refused beyond [MaxInputLen] bytes, as is a value whose canonical
// form would be longer.
//
// # URL
//
// The canonical form is the one the Safe Browsing "URLs and hashing"
// algorithm defines (https://developers.google.com/safe-browsing/v4/urls-hashing,
// with the host rules of https://developers.google.com/safe-browsing/reference/URLs.and.Hashing),
// the form blocklists and partners match on:
//
//   - tab, CR and LF are removed; the fragment is dropped;
//   - the scheme MUST be http or https (none means http, as in Safe
//     Browsing's "www.google.com" → "http://www.google.com/"); defanged
//     schemes and dots ("hxxps://", "evil[.]com") are read as meant;
//   - credentials and the port are dropped (a port MUST still be a number
//     up to 65535);
//   - the host and the path with its query are percent-unescaped
//     repeatedly until no escape is left;
//   - host: Unicode is converted to Punycode by UTS #46 (non-transitional,
//     as the WHATWG URL Standard does); leading and trailing dots are
//     removed and runs of dots collapsed; a host whose last label is a
//     number is an IPv4 address in any notation inet_aton accepts (octal,
//     hexadecimal, one to four parts) and becomes a dotted quad, or is
//     refused; a bracketed IPv6 address is written as RFC 5952 says, and an
//     IPv4-mapped or NAT64 (64:ff9b::/96) one as its IPv4 address; the host
//     is lower-cased. A host that holds '/', '\', '?', '@' or ':' once
//     unescaped is refused (it would change how the canonical URL parses);
//     other odd ASCII bytes are kept, escaped, as Safe Browsing keeps them;
//   - path: backslashes are slashes, "." and ".." segments are resolved,
//     runs of slashes collapsed; the query is kept as it is;
//   - finally every byte up to and including space, from 0x7F, '#' and '%'
//     is escaped as %XX in upper-case hexadecimal.
//
// Known tracking parameters (utm_*, fbclid, gclid, msclkid, …) are dropped
// from the display form only. RegistrableDomain is the host's eTLD+1 by
// the Public Suffix List (golang.org/x/net/publicsuffix), private suffixes
// such as github.io included.
//
// Where this differs from WHATWG URL parsing (the web-platform-tests the
// conformance tests also run): fragments, ports and credentials are not
// part of the canonical form; ASCII bytes WHATWG forbids in a host are kept
// escaped; escapes and runs of dots in a host are handled before it is
// parsed; an input without a scheme is read as http://. The IDNA tables
// are x/net's, of Unicode 15.0 before Go 1.27, so a few characters that
// UTS #46 of Unicode 16 newly accepts are still refused; ẞ (U+1E9E) is
// mapped to ß as UTS #46 does since Unicode 15.1.
//
// # Domain
//
// As a URL's host (the canonical forms agree), and it MUST be a DNS name:
// labels of letters, digits, '-' and '_' of at most 63 bytes, 253 bytes in
// all, at least two labels, A-labels ("xn--") that decode, not an IP
// address.
//
// # IP
//
// IPv4 in standard dotted-quad notation (no legacy notations: "010.1.1.1"
// in a list most likely means 10.1.1.1) or IPv6, optionally bracketed, no
// zone; canonical as for URL hosts, without brackets.
//
// # E-mail
//
// local@domain (RFC 5321/5322; UTF-8 local parts per RFC 6531; quoted
// local parts; address literals [a.b.c.d] and [IPv6:…]). The local part is
// kept exactly as typed — it is case-sensitive in the standard — and the
// domain canonicalized as the domain kind (lower case, Punycode). A mailto:
// prefix, angle brackets and defanged "[@]" / "[.]" are accepted.
//
// # Phone
//
// Read by libphonenumber (github.com/nyaruka/phonenumbers) in the
// [Normalizer]'s region, FR by default, so "0690 00 12 34" is a
// Guadeloupe mobile when read in GP and invalid in FR. Only numbers the
// numbering plan allocates are valid. Canonical form E.164, display the
// international format; Type is the number type (mobile, premium_rate,
// voip, …) and Country the region the number belongs to.
//
// # IBAN
//
// Separators (space, '-', '.') and an "IBAN" label are ignored; canonical
// form upper case without separators, display in groups of four. Checked:
// the country and the BBAN structure and length from the SWIFT IBAN
// Registry, ISO 7064 mod-97 check digits (02–98), and the national check
// digits of ES (CCC), FR and MC (clé RIB), BE, NO, and BA, ME, MK, PT, RS,
// SI, TL (MOD 97-10 over the BBAN).
//
// # Bitcoin
//
// SegWit addresses in Bech32 (witness version 0) or Bech32m (versions
// 1–16) with a bc or tb prefix, program lengths per BIP-141/BIP-350,
// canonical in lower case (upper case is accepted, mixed case is not); and
// Base58Check addresses (P2PKH and P2SH, mainnet and testnet), canonical as
// typed. A "bitcoin:" URI prefix is accepted. Base58Check strings that are
// not addresses, such as private keys (WIF), are refused.
//
// # Ethereum
//
// 0x and 40 hexadecimal digits; mixed case MUST be the EIP-55 checksum,
// all lower or all upper case carries none and is accepted. Canonical form
// the EIP-55 checksummed address.
//
// # Reason codes
//
// Stable codes, "<kind>.<what>"; the UI translates them:
//
//	input.empty             nothing but white space
//	input.too_long          it, or its canonical form, is longer than MaxInputLen bytes
//	input.utf8              not valid UTF-8 (every kind but url)
//	kind.unknown            no such kind, or Guess found none
//	url.scheme              a scheme other than http or https
//	url.no_host             no host, or only dots
//	url.host                the host holds / \ ? @ : once unescaped
//	url.idna                a Unicode host that UTS #46 refuses
//	url.ipv4                ends in a number but is no IPv4 address
//	url.ipv6                a bracketed host that is no IPv6 address
//	url.port                a port that is not a number up to 65535
//	domain.chars            a character other than letters, digits, - and _
//	domain.label_length     a label longer than 63 bytes
//	domain.length           longer than 253 bytes
//	domain.single_label     one label only ("localhost", "com")
//	domain.is_ip            an IP address (use kind ip)
//	domain.idna             UTS #46 refuses it, or an xn-- label does not decode
//	domain.empty            nothing but dots
//	ip.format               neither IPv4 dotted quad nor IPv6
//	ip.zone                 an IPv6 address with a zone ("%eth0")
//	email.format            not local@domain
//	email.local             the local part is malformed
//	email.domain            the domain is malformed
//	email.length            local part over 64 or address over 254 bytes
//	phone.parse             not a phone number
//	phone.invalid           a number no numbering plan allocates
//	phone.short_number      a short code (112, 3117…): no E.164 form
//	phone.region            the region given is unknown
//	iban.chars              a character other than letters and digits
//	iban.country            no such IBAN country
//	iban.length             the wrong length for its country
//	iban.format             letters where digits belong, or the reverse
//	iban.checksum           the mod-97 check digits are wrong
//	iban.national_checksum  the national check digits are wrong
//	btc.format              neither Bech32 nor Base58 in shape
//	btc.charset             a character outside the encoding's alphabet
//	btc.mixed_case          Bech32 in both upper and lower case
//	btc.checksum            the checksum fails
//	btc.length              too long or too short for its encoding
//	btc.hrp                 a Bech32 prefix other than bc or tb
//	btc.variant             Bech32 where Bech32m is required, or the reverse
//	btc.witness_version     a witness version above 16
//	btc.program_length      a witness program of the wrong length
//	btc.padding             non-zero or excess padding bits
//	btc.version             Base58Check that is no address (a private key…)
//	eth.format              not 0x and 40 hexadecimal digits
//	eth.checksum            mixed case that is not the EIP-55 checksum
package indicator
