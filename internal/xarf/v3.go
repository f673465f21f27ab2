package xarf

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
)

// V4Version is the xarf_version given to a converted v3 report: the
// version of the schemas this package validates against.
const V4Version = "4.2.0"

// v3Types maps a v3 ReportType (lower case, "-" as "_") to its v4
// category and type. The implementer's guide asks for an explicit table;
// these are the types of the v3 legacy schema, plus the spellings the
// sample reports use. An unmapped type is refused (CodeV3UnmappedType).
var v3Types = map[string][2]string{
	"spam":          {"messaging", "spam"},
	"login_attack":  {"connection", "login_attack"},
	"port_scan":     {"connection", "port_scan"},
	"ddos":          {"connection", "ddos"},
	"phishing":      {"content", "phishing"},
	"malware":       {"content", "malware"},
	"fraud":         {"content", "fraud"},
	"botnet":        {"infrastructure", "botnet"},
	"copyright":     {"copyright", "copyright"},
	"vulnerability": {"vulnerability", "open_service"},
}

// convertV3 turns a v3 document into a v4 one as the X-ARF implementer's
// guide (docs/implementation-guide.md, "v3 Compatibility") maps it, with
// the field names the v3 samples use as well as the guide's
// (Report.Source.IP as Report.SourceIp, Attachment as Samples); the
// AdditionalInfo fields are flattened into snake_case type fields. The
// report_id is derived from the document's SHA-256 (a UUID of version 8,
// RFC 9562), so that the same v3 report sent twice gets the same id. It
// returns what it assumed as notes.
func convertV3(doc map[string]any, raw []byte) (map[string]any, []string, error) {
	var ps problems
	var notes []string
	obj := func(m map[string]any, k string) map[string]any {
		v, _ := m[k].(map[string]any)
		return v
	}
	s := func(m map[string]any, ks ...string) string {
		for _, k := range ks {
			if v, ok := m[k].(string); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if v, _ := doc["Version"].(string); !strings.HasPrefix(v, "3") {
		return nil, nil, one(CodeUnsupportedVersion, "$.Version", "only X-ARF v3 documents carry Version; this one is not 3.x")
	}
	ri := obj(doc, "ReporterInfo")
	rep := obj(doc, "Report")
	if ri == nil {
		ps.add(CodeRequired, "$.ReporterInfo", "the v3 field ReporterInfo is required")
	}
	if rep == nil {
		ps.add(CodeRequired, "$.Report", "the v3 field Report is required")
	}
	if err := ps.err(); err != nil {
		return nil, nil, err
	}
	rt := strings.ToLower(strings.ReplaceAll(s(rep, "ReportType"), "-", "_"))
	pair, ok := v3Types[rt]
	if !ok {
		return nil, nil, one(CodeV3UnmappedType, "$.Report.ReportType", "the v3 report type has no v4 equivalent in the conversion table")
	}
	sum := sha256.Sum256(raw)
	id := sum[:16]
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	v4 := map[string]any{
		"xarf_version":   V4Version,
		"legacy_version": "3",
		"report_id":      fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16]),
		"category":       pair[0],
		"type":           pair[1],
	}
	if d := s(rep, "Date"); d != "" {
		v4["timestamp"] = d
	}
	contact := s(ri, "ReporterOrgEmail", "ReporterContactEmail")
	domain := s(ri, "ReporterOrgDomain")
	if domain == "" && contact != "" {
		if a, err := mail.ParseAddress(contact); err == nil {
			_, domain, _ = strings.Cut(a.Address, "@")
			notes = append(notes, "reporter.domain taken from the contact address")
		}
	}
	reporter := map[string]any{}
	for k, v := range map[string]string{"org": s(ri, "ReporterOrg"), "contact": contact, "domain": domain} {
		if v != "" {
			reporter[k] = v
		}
	}
	v4["reporter"] = reporter
	// v3 knows one organisation: it both owns and sends the report.
	v4["sender"] = reporter
	notes = append(notes, "sender is the reporter (v3 has no sender)")

	src := obj(rep, "Source")
	source := s(rep, "SourceIp", "SourceIP")
	if source == "" && src != nil {
		source = s(src, "IP", "URL", "Value", "Domain")
	}
	if source != "" {
		v4["source_identifier"] = source
	}
	if p, ok := rep["SourcePort"]; ok {
		v4["source_port"] = p
	} else if p, ok := src["Port"]; ok {
		v4["source_port"] = p
	}
	if pair[0] == "content" {
		if u := s(src, "URL"); u != "" {
			v4["url"] = u
		} else if u := s(rep, "URL"); u != "" {
			v4["url"] = u
		}
	}
	samples, _ := rep["Samples"].([]any)
	if samples == nil {
		samples, _ = rep["Attachment"].([]any)
	}
	var ev []any
	for _, it := range samples {
		m, _ := it.(map[string]any)
		if m == nil {
			continue
		}
		payload := s(m, "Data", "Payload")
		if _, err := base64.StdEncoding.Strict().DecodeString(payload); err != nil {
			payload = base64.StdEncoding.EncodeToString([]byte(payload))
			notes = append(notes, "an evidence payload was base64-encoded")
		}
		e := map[string]any{"content_type": firstNonEmpty(s(m, "ContentType"), "text/plain"), "payload": payload}
		if d := s(m, "Description"); d != "" {
			e["description"] = d
		}
		ev = append(ev, e)
	}
	if ev != nil {
		v4["evidence"] = ev
	}
	tr, _ := rule(pair[0], pair[1])
	if ai := obj(rep, "AdditionalInfo"); ai != nil {
		for k, v := range ai {
			name := snake(k)
			if name == "detection_method" {
				if m, ok := v.(string); ok {
					if es := evidenceSource(m, tr); es != "" {
						v4["evidence_source"] = es
					} else {
						notes = append(notes, "DetectionMethod has no evidence_source of this type")
					}
				}
				continue
			}
			if _, taken := v4[name]; taken {
				continue
			}
			if str, ok := v.(string); ok && name == "protocol" {
				v = strings.ToLower(str)
			}
			v4[name] = v
		}
	}
	// Fields v4 requires that v3 did not carry, given what the v3 report
	// says (the implementer's guide: default values for missing fields).
	if tr != nil {
		for _, k := range tr.Required {
			if _, ok := v4[k]; ok {
				continue
			}
			switch k {
			case "first_seen":
				if t, ok := v4["timestamp"]; ok {
					v4[k] = t
					notes = append(notes, "first_seen taken from Report.Date")
				}
			case "compromise_evidence":
				var parts []string
				for _, f := range []string{"malware_family", "c2_server", "infection_vector"} {
					if x, ok := v4[f].(string); ok {
						parts = append(parts, f+"="+x)
					}
				}
				if len(parts) > 0 {
					v4[k] = "converted from X-ARF v3: " + strings.Join(parts, ", ")
					notes = append(notes, "compromise_evidence built from AdditionalInfo")
				}
			case "protocol":
				if pair[0] == "messaging" {
					v4[k] = "smtp"
					notes = append(notes, "protocol assumed smtp")
				}
			}
		}
	}
	return v4, notes, nil
}

// evidenceSource maps a v3 DetectionMethod to an evidence_source the type
// allows, as the X-ARF reference parser does, or drops it.
func evidenceSource(m string, tr *TypeRule) string {
	m = strings.ToLower(m)
	var want string
	switch {
	case strings.Contains(m, "spamtrap"):
		want = "spamtrap"
	case strings.Contains(m, "honeypot"):
		want = "honeypot"
	case strings.Contains(m, "user") || strings.Contains(m, "manual"):
		want = "user_report"
	default:
		want = "automated_scan"
	}
	if tr != nil {
		if f, ok := tr.Fields["evidence_source"]; ok && f.Enum != nil {
			for _, e := range f.Enum {
				if e == want {
					return want
				}
			}
			if want == "user_report" && slices.Contains(f.Enum, "user_complaint") {
				return "user_complaint"
			}
			return ""
		}
	}
	return want
}

// snake turns a v3 CamelCase name into v4 snake_case: "SMTPFrom" →
// "smtp_from", "DestinationIP" → "destination_ip", "C2Server" →
// "c2_server".
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
