// Package indicator harmonises the indicators reports carry (URLs, domains,
// IP addresses, e-mail addresses, phone numbers, IBANs, Bitcoin and
// Ethereum addresses): every value is kept as typed and given one canonical
// form used for matching; an invalid value is kept and flagged with a
// stable reason code, never dropped.
package indicator
