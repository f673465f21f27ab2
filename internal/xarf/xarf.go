// Package xarf reads X-ARF abuse reports: version 4 JSON (every category
// and type of the xarf-spec v4 schemas, validated as those schemas say)
// and legacy version 3 JSON, converted to version 4 as the X-ARF
// implementer's guide documents it and then validated the same way.
// The older X-ARF 0.1/0.2 e-mails (MIME with a YAML part) are refused with
// CodeUnsupportedVersion.
//
// The validator is written in Go from the schemas rather than by a
// JSON-schema library: the core rules are in checkCore, the per-type rules
// in rules_table.go, which TestRulesMatchSchemas derives from the schema
// files of the corpus so that it cannot drift. Nested objects of a type
// (spam_indicators, whois, …) are checked for their JSON type only.
//
// Every refusal is a *ProblemError listing each broken rule with a stable
// code and the JSON path of the offending value.
package xarf

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/indicator"
)

// Limits of the implementer's guide and of this reader.
const (
	// MaxDocumentBytes is the largest document read: the guide's 15 MB of
	// decoded evidence, base64-encoded, and room for the fields.
	MaxDocumentBytes = 21 << 20
	// MaxEvidenceItemBytes and MaxEvidenceBytes are the guide's limits on
	// decoded evidence: 5 MB an item, 15 MB a report.
	MaxEvidenceItemBytes = 5 << 20
	MaxEvidenceBytes     = 15 << 20
	// maxDepth bounds the nesting of the JSON document.
	maxDepth = 64
)

// Contact is a reporter or sender.
type Contact struct {
	Org     string `json:"org"`
	Contact string `json:"contact"`
	Domain  string `json:"domain"`
}

// Evidence is one evidence item, its payload decoded.
type Evidence struct {
	ContentType string `json:"content_type"`
	Description string `json:"description,omitempty"`
	Payload     []byte `json:"-"`
	Hash        string `json:"hash,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// Report is a valid X-ARF v4 report (a converted v3 one included).
type Report struct {
	XARFVersion      string
	ReportID         string
	Timestamp        time.Time
	Reporter         Contact
	Sender           Contact
	SourceIdentifier string
	SourcePort       int
	Category         string
	Type             string
	EvidenceSource   string
	Evidence         []Evidence
	Tags             []string
	Confidence       *float64
	Description      string
	// LegacyVersion is "3" for a report converted from v3.
	LegacyVersion string
	// Fields holds every top-level field of the document as decoded JSON
	// (the type-specific ones included), except _internal, which MUST
	// NOT be stored or passed on.
	Fields map[string]any
	// Notes lists, for a converted v3 report, what the conversion
	// assumed ("first_seen taken from Report.Date").
	Notes []string
	// Warnings are problems that did not refuse the report (an evidence
	// hash that does not match its payload).
	Warnings []Problem
	// Indicators are what the report points at, harmonised, each once:
	// the source, and the URLs, domains, e-mail addresses and wallet
	// addresses of the type's fields. The victim's side (destination_ip,
	// smtp_to) is never included.
	Indicators []indicator.Indicator
}

// Parse reads one X-ARF document: v4 JSON, or v3 JSON converted to v4.
func Parse(b []byte) (*Report, error) {
	if len(b) > MaxDocumentBytes {
		return nil, one(CodeTooLarge, "$", "the document is larger than %d bytes", MaxDocumentBytes)
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if looksLikeMail(trimmed) {
		return nil, one(CodeUnsupportedVersion, "$", "this is an X-ARF 0.1/0.2 e-mail (MIME with a YAML part), which is not supported; send X-ARF v4 JSON")
	}
	doc, err := decode(b)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["xarf_version"]; ok {
		return checkV4(doc, nil)
	}
	if _, ok := doc["Version"]; ok {
		v4, notes, err := convertV3(doc, b)
		if err != nil {
			return nil, err
		}
		return checkV4(v4, notes)
	}
	return nil, one(CodeMissingVersion, "$.xarf_version", "the document has neither xarf_version (v4) nor Version (v3)")
}

// looksLikeMail reports whether b starts like an e-mail header rather
// than JSON.
func looksLikeMail(b []byte) bool {
	if len(b) == 0 || b[0] == '{' || b[0] == '[' {
		return false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return mailStart.Match(line)
}

var mailStart = regexp.MustCompile(`^(From |[A-Za-z][A-Za-z0-9-]*:)`)

// decode parses the document, refusing syntax errors with their offset,
// nesting deeper than maxDepth and a top level that is not an object.
func decode(b []byte) (map[string]any, error) {
	if !utf8.Valid(b) {
		return nil, one(CodeMalformedJSON, "$", "the document is not valid UTF-8")
	}
	if d := depth(b); d > maxDepth {
		return nil, one(CodeMalformedJSON, "$", "the document is nested deeper than %d levels", maxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, one(CodeMalformedJSON, "$", "the document is not JSON: %s at byte %d", se.Error(), se.Offset)
		}
		return nil, one(CodeMalformedJSON, "$", "the document is not JSON: %s", err.Error())
	}
	if dec.More() {
		return nil, one(CodeMalformedJSON, "$", "the document holds more than one JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, one(CodeNotObject, "$", "the document is not a JSON object")
	}
	return m, nil
}

// depth is the deepest nesting of brackets outside strings.
func depth(b []byte) int {
	d, deepest, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

var (
	versionRe = regexp.MustCompile(`^4\.[0-9]+\.[0-9]+$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	tagRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_+-]*:[a-z0-9][a-z0-9_+-]*$`)
	hashRe    = regexp.MustCompile(`^(md5|sha1|sha256|sha512):[a-fA-F0-9]+$`)
	hostRe    = regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?))*$`)
)

// checkV4 validates a v4 document and builds its Report.
func checkV4(doc map[string]any, notes []string) (*Report, error) {
	var ps problems
	r := &Report{Fields: map[string]any{}, Notes: notes}
	for k, v := range doc {
		if k != "_internal" {
			r.Fields[k] = v
		}
	}
	checkCore(doc, r, &ps)
	if cat, ok := doc["category"].(string); ok {
		typ, _ := doc["type"].(string)
		known := false
		for _, c := range Categories {
			known = known || c == cat
		}
		if !known {
			ps.add(CodeUnknownCategory, "$.category", "the category is not one of %s", strings.Join(Categories, ", "))
		} else if tr, ok := rule(cat, typ); !ok {
			if _, isStr := doc["type"].(string); isStr {
				ps.add(CodeUnknownType, "$.type", "the type is not a type of the category %s", cat)
			}
		} else {
			checkType(doc, tr, &ps)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	r.Indicators = indicators(r)
	return r, nil
}

func kindOf(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && !strings.ContainsAny(string(x), ".eE") {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "unknown"
}

// isKind reports whether v is of the JSON type want (an integer is also a
// number; 1.0 is an integer, as JSON Schema says).
func isKind(v any, want string) bool {
	got := kindOf(v)
	if got == want || (want == "number" && got == "integer") {
		return true
	}
	if want == "integer" && got == "number" {
		f, err := v.(json.Number).Float64()
		return err == nil && f == math.Trunc(f)
	}
	return false
}

func str(doc map[string]any, k string, path string, required bool, ps *problems) (string, bool) {
	v, ok := doc[k]
	if !ok {
		if required {
			ps.add(CodeRequired, path, "the field %s is required", k)
		}
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		ps.add(CodeWrongType, path, "the field %s must be a string, not %s", k, kindOf(v))
		return "", false
	}
	return s, true
}

func checkCore(doc map[string]any, r *Report, ps *problems) {
	if v, ok := str(doc, "xarf_version", "$.xarf_version", true, ps); ok {
		if !versionRe.MatchString(v) {
			ps.add(CodeUnsupportedVersion, "$.xarf_version", "the version must be 4.x.y")
		}
		r.XARFVersion = v
	}
	if v, ok := str(doc, "report_id", "$.report_id", true, ps); ok {
		if !uuidRe.MatchString(v) {
			ps.add(CodeBadFormat, "$.report_id", "report_id must be a UUID")
		}
		r.ReportID = strings.ToLower(v)
	}
	if v, ok := str(doc, "timestamp", "$.timestamp", true, ps); ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			ps.add(CodeBadFormat, "$.timestamp", "timestamp must be an RFC 3339 date-time")
		}
		r.Timestamp = t
	}
	r.Reporter = contact(doc, "reporter", ps)
	r.Sender = contact(doc, "sender", ps)
	if v, ok := str(doc, "source_identifier", "$.source_identifier", true, ps); ok {
		if strings.TrimSpace(v) == "" {
			ps.add(CodeRequired, "$.source_identifier", "source_identifier is empty")
		}
		r.SourceIdentifier = v
	}
	if v, ok := doc["source_port"]; ok {
		if !isKind(v, "integer") {
			ps.add(CodeWrongType, "$.source_port", "source_port must be an integer")
		} else if n, _ := v.(json.Number).Float64(); n < 1 || n > 65535 {
			ps.add(CodeOutOfRange, "$.source_port", "source_port must be between 1 and 65535")
		} else {
			r.SourcePort = int(n)
		}
	}
	if v, ok := str(doc, "category", "$.category", true, ps); ok {
		r.Category = v
	}
	if v, ok := str(doc, "type", "$.type", true, ps); ok {
		r.Type = v
	}
	if v, ok := str(doc, "evidence_source", "$.evidence_source", false, ps); ok {
		r.EvidenceSource = v
	}
	if v, ok := doc["evidence"]; ok {
		var warn problems
		r.Evidence = evidence(v, ps, &warn)
		r.Warnings = append(r.Warnings, warn...)
	}
	if v, ok := doc["tags"]; ok {
		l, isList := v.([]any)
		switch {
		case !isList:
			ps.add(CodeWrongType, "$.tags", "tags must be an array")
		case len(l) > 20:
			ps.add(CodeTooMany, "$.tags", "there are more than 20 tags")
		default:
			for i, t := range l {
				s, isStr := t.(string)
				if !isStr || !tagRe.MatchString(s) {
					ps.add(CodePattern, fmt.Sprintf("$.tags[%d]", i), "a tag must be namespace:value in lower case")
					continue
				}
				r.Tags = append(r.Tags, s)
			}
		}
	}
	if v, ok := doc["confidence"]; ok {
		if !isKind(v, "number") {
			ps.add(CodeWrongType, "$.confidence", "confidence must be a number")
		} else if f, _ := v.(json.Number).Float64(); f < 0 || f > 1 {
			ps.add(CodeOutOfRange, "$.confidence", "confidence must be between 0 and 1")
		} else {
			r.Confidence = &f
		}
	}
	if v, ok := str(doc, "description", "$.description", false, ps); ok {
		if utf8.RuneCountInString(v) > 1000 {
			ps.add(CodeTooLong, "$.description", "description is longer than 1000 characters")
		}
		r.Description = v
	}
	if v, ok := str(doc, "legacy_version", "$.legacy_version", false, ps); ok {
		if v != "3" {
			ps.add(CodeNotInEnum, "$.legacy_version", "legacy_version can only be \"3\"")
		}
		r.LegacyVersion = v
	}
}

func contact(doc map[string]any, k string, ps *problems) Contact {
	path := "$." + k
	v, ok := doc[k]
	if !ok {
		ps.add(CodeRequired, path, "the field %s is required", k)
		return Contact{}
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		ps.add(CodeWrongType, path, "%s must be an object", k)
		return Contact{}
	}
	var c Contact
	keys := sortedKeys(m)
	for _, f := range keys {
		if f != "org" && f != "contact" && f != "domain" {
			ps.add(CodeUnknownField, path+"."+f, "%s has no field %s (only org, contact, domain)", k, f)
		}
	}
	if s, ok := str(m, "org", path+".org", true, ps); ok {
		if utf8.RuneCountInString(s) > 200 {
			ps.add(CodeTooLong, path+".org", "org is longer than 200 characters")
		}
		c.Org = s
	}
	if s, ok := str(m, "contact", path+".contact", true, ps); ok {
		if !validFormat("email", s) {
			ps.add(CodeBadFormat, path+".contact", "contact must be an e-mail address")
		}
		c.Contact = s
	}
	if s, ok := str(m, "domain", path+".domain", true, ps); ok {
		if !validFormat("hostname", s) {
			ps.add(CodeBadFormat, path+".domain", "domain must be a host name")
		}
		c.Domain = s
	}
	return c
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// evidence reads the evidence items. A hash that does not match its
// payload is a warning, not a refusal: the spec's own samples carry
// placeholder hashes, and the evidence is kept for a person to weigh.
func evidence(v any, ps, warn *problems) []Evidence {
	l, ok := v.([]any)
	if !ok {
		ps.add(CodeWrongType, "$.evidence", "evidence must be an array")
		return nil
	}
	if len(l) > 50 {
		ps.add(CodeTooMany, "$.evidence", "there are more than 50 evidence items")
		return nil
	}
	var out []Evidence
	total := 0
	for i, it := range l {
		path := fmt.Sprintf("$.evidence[%d]", i)
		m, ok := it.(map[string]any)
		if !ok {
			ps.add(CodeWrongType, path, "an evidence item must be an object")
			continue
		}
		for _, k := range sortedKeys(m) {
			switch k {
			case "content_type", "description", "payload", "hash", "size":
			default:
				ps.add(CodeUnknownField, path+"."+k, "an evidence item has no field %s", k)
			}
		}
		var e Evidence
		if s, ok := str(m, "content_type", path+".content_type", true, ps); ok {
			if !strings.Contains(s, "/") {
				ps.add(CodeBadFormat, path+".content_type", "content_type must be a MIME type")
			}
			e.ContentType = s
		}
		if s, ok := str(m, "description", path+".description", false, ps); ok {
			if utf8.RuneCountInString(s) > 500 {
				ps.add(CodeTooLong, path+".description", "description is longer than 500 characters")
			}
			e.Description = s
		}
		if s, ok := str(m, "payload", path+".payload", true, ps); ok {
			if base64.StdEncoding.DecodedLen(len(s)) > MaxEvidenceItemBytes+3 {
				ps.add(CodeEvidenceTooLarge, path+".payload", "an evidence item is larger than 5 MB")
			} else if b, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
				ps.add(CodeBadBase64, path+".payload", "the payload is not standard base64")
			} else {
				total += len(b)
				e.Payload = b
			}
		}
		if s, ok := str(m, "hash", path+".hash", false, ps); ok {
			if !hashRe.MatchString(s) {
				ps.add(CodePattern, path+".hash", "hash must be algorithm:hex (md5, sha1, sha256, sha512)")
			} else if e.Payload != nil && !hashMatches(s, e.Payload) {
				warn.add(CodeHashMismatch, path+".hash", "the hash does not match the decoded payload")
			}
			e.Hash = s
		}
		if sv, ok := m["size"]; ok {
			if !isKind(sv, "integer") {
				ps.add(CodeWrongType, path+".size", "size must be an integer")
			} else if n, _ := sv.(json.Number).Float64(); n < 0 || n > MaxEvidenceItemBytes {
				ps.add(CodeOutOfRange, path+".size", "size must be between 0 and 5242880")
			} else {
				e.Size = int64(n)
			}
		}
		out = append(out, e)
	}
	if total > MaxEvidenceBytes {
		ps.add(CodeEvidenceTooLarge, "$.evidence", "the evidence is larger than 15 MB in all")
	}
	return out
}

func hashMatches(h string, payload []byte) bool {
	alg, want, _ := strings.Cut(h, ":")
	var hh hash.Hash
	switch alg {
	case "md5":
		hh = md5.New()
	case "sha1":
		hh = sha1.New()
	case "sha256":
		hh = sha256.New()
	case "sha512":
		hh = sha512.New()
	default:
		return false
	}
	hh.Write(payload)
	return strings.EqualFold(hex.EncodeToString(hh.Sum(nil)), want)
}

var (
	patternMu    sync.Mutex
	patternCache = map[string]*regexp.Regexp{}
)

func pattern(p string) *regexp.Regexp {
	patternMu.Lock()
	defer patternMu.Unlock()
	re, ok := patternCache[p]
	if !ok {
		re = regexp.MustCompile(p)
		patternCache[p] = re
	}
	return re
}

// checkType applies a type's rules.
func checkType(doc map[string]any, tr *TypeRule, ps *problems) {
	for _, k := range tr.Required {
		if _, ok := doc[k]; !ok {
			ps.add(CodeRequired, "$."+k, "the field %s is required for %s/%s", k, tr.Category, tr.Type)
		}
	}
	if p, _ := doc["protocol"].(string); p == "smtp" {
		for _, k := range tr.IfSMTP {
			if _, ok := doc[k]; !ok {
				ps.add(CodeRequired, "$."+k, "the field %s is required when protocol is smtp", k)
			}
		}
	}
	if s, _ := doc["source_identifier"].(string); len(tr.IfIPSource) > 0 {
		if _, err := netip.ParseAddr(s); err == nil {
			for _, k := range tr.IfIPSource {
				if _, ok := doc[k]; !ok {
					ps.add(CodeRequired, "$."+k, "the field %s is required when the source is an IP address", k)
				}
			}
		}
	}
	switch tr.Type {
	case "p2p":
		si, _ := doc["swarm_info"].(map[string]any)
		if si == nil || (si["info_hash"] == nil && si["magnet_uri"] == nil) {
			ps.add(CodeRequired, "$.swarm_info", "swarm_info with info_hash or magnet_uri is required for copyright/p2p")
		}
	case "usenet":
		mi, _ := doc["message_info"].(map[string]any)
		if mi == nil || mi["message_id"] == nil {
			ps.add(CodeRequired, "$.message_info.message_id", "message_info.message_id is required for copyright/usenet")
		}
	}
	for _, k := range sortedKeys(doc) {
		f, ok := tr.Fields[k]
		if !ok {
			continue
		}
		checkField("$."+k, doc[k], f, ps)
	}
}

func checkField(path string, v any, f Field, ps *problems) {
	if f.Kind != "" && !isKind(v, f.Kind) {
		ps.add(CodeWrongType, path, "must be of type %s, not %s", f.Kind, kindOf(v))
		return
	}
	switch x := v.(type) {
	case string:
		checkString(path, x, f, ps)
	case json.Number:
		n, _ := x.Float64()
		if f.Min != nil && n < *f.Min {
			ps.add(CodeOutOfRange, path, "must be at least %v", *f.Min)
		}
		if f.Max != nil && n > *f.Max {
			ps.add(CodeOutOfRange, path, "must be at most %v", *f.Max)
		}
	case []any:
		if f.MinItems > 0 && len(x) < f.MinItems {
			ps.add(CodeTooMany, path, "must have at least %d items", f.MinItems)
		}
		if f.MaxItems > 0 && len(x) > f.MaxItems {
			ps.add(CodeTooMany, path, "must have at most %d items", f.MaxItems)
		}
		if f.Enum != nil || f.Format != "" || f.Pattern != "" {
			for i, it := range x {
				p := fmt.Sprintf("%s[%d]", path, i)
				s, ok := it.(string)
				if !ok {
					ps.add(CodeWrongType, p, "must be a string")
					continue
				}
				checkString(p, s, Field{Enum: f.Enum, Format: f.Format, Pattern: f.Pattern}, ps)
			}
		}
	}
}

func checkString(path, s string, f Field, ps *problems) {
	if f.Enum != nil {
		found := false
		for _, e := range f.Enum {
			found = found || e == s
		}
		if !found {
			ps.add(CodeNotInEnum, path, "must be one of %s", strings.Join(f.Enum, ", "))
		}
	}
	if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
		ps.add(CodeTooLong, path, "is longer than %d characters", f.MaxLength)
	}
	if f.Pattern != "" && !pattern(f.Pattern).MatchString(s) {
		ps.add(CodePattern, path, "does not match the pattern %s", f.Pattern)
	}
	if f.Format != "" && !validFormat(f.Format, s) {
		ps.add(CodeBadFormat, path, "is not a valid %s", f.Format)
	}
}

// validFormat checks the JSON Schema formats the schemas use; an unknown
// format is not checked (as JSON Schema says of annotations).
func validFormat(format, s string) bool {
	switch format {
	case "email":
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	case "hostname":
		return len(s) <= 253 && hostRe.MatchString(s)
	case "uri":
		u, err := url.Parse(s)
		return err == nil && u.Scheme != ""
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	case "ipv4":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4()
	case "ipv6":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6()
	case "uuid":
		return uuidRe.MatchString(s)
	}
	return true
}

// indicators lists what a report points at.
func indicators(r *Report) []indicator.Indicator {
	var out []indicator.Indicator
	seen := map[string]bool{}
	add := func(kind indicator.Kind, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		x := indicator.Normalize(kind, v)
		if k := x.Key(); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	src := r.SourceIdentifier
	switch {
	case strings.Contains(src, "://"):
		add(indicator.KindURL, src)
	default:
		if _, err := netip.ParseAddr(src); err == nil {
			add(indicator.KindIP, src)
		} else if strings.Contains(src, "@") {
			add(indicator.KindEmail, src)
		} else {
			add(indicator.KindDomain, src)
		}
	}
	f := r.Fields
	s := func(k string) string { v, _ := f[k].(string); return v }
	for _, k := range []string{"url", "infringing_url", "cloned_site", "submission_url", "original_url"} {
		add(indicator.KindURL, s(k))
	}
	add(indicator.KindDomain, s("domain"))
	add(indicator.KindEmail, s("smtp_from"))
	if c2 := s("c2_server"); c2 != "" {
		add(indicator.KindAuto, c2)
	}
	if si, ok := f["spam_indicators"].(map[string]any); ok {
		if l, ok := si["suspicious_links"].([]any); ok {
			for _, v := range l {
				if u, ok := v.(string); ok {
					add(indicator.KindURL, u)
				}
			}
		}
	}
	if l, ok := f["cryptocurrency_addresses"].([]any); ok {
		for _, it := range l {
			m, _ := it.(map[string]any)
			a, _ := m["address"].(string)
			switch m["currency"] {
			case "bitcoin":
				add(indicator.KindBitcoin, a)
			case "ethereum":
				add(indicator.KindEthereum, a)
			}
		}
	}
	return out
}
