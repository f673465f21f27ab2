package api_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/api"
	"github.com/guichet/guichet/internal/report"
)

// openapi is the parsed document, with a validator for the subset of JSON
// Schema it uses: type, enum, required, properties, additionalProperties
// (false), items, minimum, maximum, minLength, maxLength, pattern,
// minItems, maxItems, format date-time and local $ref. A keyword outside
// the subset fails the test (so the validator never silently accepts
// what it does not check).
type openapi struct {
	root map[string]any
}

func loadDoc(t *testing.T) *openapi {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(api.Document, &root); err != nil {
		t.Fatal(err)
	}
	return &openapi{root: root}
}

// ref resolves a local reference "#/a/b".
func (o *openapi) ref(r string) (map[string]any, error) {
	if !strings.HasPrefix(r, "#/") {
		return nil, fmt.Errorf("non-local $ref %q", r)
	}
	var cur any = o.root
	for _, part := range strings.Split(r[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: no %s", r, part)
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q resolves to nothing", r)
	}
	return m, nil
}

func (o *openapi) deref(m map[string]any) (map[string]any, error) {
	for range 10 {
		r, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if m, err = o.ref(r); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref loop")
}

var known = map[string]bool{
	"type": true, "enum": true, "required": true, "properties": true, "additionalProperties": true, "items": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true, "minItems": true,
	"maxItems": true, "format": true, "$ref": true, "description": true, "default": true,
}

// validate checks v (decoded with encoding/json into any) against schema.
func (o *openapi) validate(schema map[string]any, v any, at string) []string {
	schema, err := o.deref(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(f, a...)) }
	for k := range schema {
		if !known[k] {
			fail("schema keyword %q is outside the validator's subset", k)
		}
	}
	if typ, ok := schema["type"].(string); ok {
		if !hasType(typ, v) {
			fail("%T is not of type %s", v, typ)
			return errs
		}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		fail("%v is not one of %v", v, enum)
	}
	switch x := v.(type) {
	case string:
		n := float64(len([]rune(x)))
		if m, ok := schema["minLength"].(float64); ok && n < m {
			fail("shorter than %v", m)
		}
		if m, ok := schema["maxLength"].(float64); ok && n > m {
			fail("longer than %v", m)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				fail("%q is not a date-time", x)
			}
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			fail("%v below %v", x, m)
		}
		if m, ok := schema["maximum"].(float64); ok && x > m {
			fail("%v above %v", x, m)
		}
	case []any:
		if m, ok := schema["minItems"].(float64); ok && float64(len(x)) < m {
			fail("fewer than %v items", m)
		}
		if m, ok := schema["maxItems"].(float64); ok && float64(len(x)) > m {
			fail("more than %v items", m)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, o.validate(items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := x[r]; !ok {
				fail("member %q is required", r)
			}
		}
		for k, val := range x {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false || props != nil {
					// Every member an answer sends MUST be documented.
					fail("member %q is not in the schema", k)
				}
				continue
			}
			errs = append(errs, o.validate(ps, val, at+"."+k)...)
		}
	}
	return errs
}

func hasType(typ string, v any) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func asStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

// operation finds the documented operation of method and path: its
// template, and the operation object.
func (o *openapi) operation(method, path string) (string, map[string]any, bool) {
	paths := o.root["paths"].(map[string]any)
	var best string
	for tmpl := range paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			// A literal path beats a template.
			if best == "" || !strings.Contains(tmpl, "{") {
				best = tmpl
			}
		}
	}
	if best == "" {
		return "", nil, false
	}
	op, ok := paths[best].(map[string]any)[strings.ToLower(method)].(map[string]any)
	return best, op, ok
}

// check validates one exchange against the document: the request body
// (when it is one the document describes) and the answer's status,
// headers and body. It returns the operation and status it covered.
func (o *openapi) check(ex exchange) (string, []string) {
	u, _ := url.Parse(ex.path)
	tmpl, op, ok := o.operation(ex.method, u.Path)
	if !ok {
		if ex.status == 404 && tmpl == "" {
			return "", nil // an undocumented path: a not-found problem (checked by the tests)
		}
		return "", []string{fmt.Sprintf("%s %s: not in the document", ex.method, ex.path)}
	}
	where := fmt.Sprintf("%s %s → %d", ex.method, tmpl, ex.status)
	var errs []string
	responses := op["responses"].(map[string]any)
	rs, ok := responses[fmt.Sprint(ex.status)].(map[string]any)
	if !ok {
		return "", []string{where + ": status not documented"}
	}
	rs, err := o.deref(rs)
	if err != nil {
		return "", []string{where + ": " + err.Error()}
	}
	if hs, ok := rs["headers"].(map[string]any); ok {
		for name, h := range hs {
			h := h.(map[string]any)
			val := ex.header.Get(name)
			if val == "" {
				if h["required"] == true {
					errs = append(errs, fmt.Sprintf("%s: header %s missing", where, name))
				}
				continue
			}
			errs = append(errs, o.validate(h["schema"].(map[string]any), val, where+" header "+name)...)
		}
	}
	content, _ := rs["content"].(map[string]any)
	ct, _, _ := mime.ParseMediaType(ex.header.Get("Content-Type"))
	media, ok := content[ct].(map[string]any)
	if !ok {
		errs = append(errs, fmt.Sprintf("%s: content type %q not documented", where, ct))
	} else {
		var body any
		if err := json.Unmarshal(ex.body, &body); err != nil {
			errs = append(errs, fmt.Sprintf("%s: body is no JSON: %v", where, err))
		} else {
			errs = append(errs, o.validate(media["schema"].(map[string]any), body, where)...)
		}
	}
	// The request: a request the API accepted MUST match the document
	// (a refused one may not, which is the point of refusing it).
	if rb, ok := op["requestBody"].(map[string]any); ok && ex.status < 300 {
		rc := rb["content"].(map[string]any)
		rct, _, _ := mime.ParseMediaType(ex.ctype)
		m, ok := rc[rct].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: request type %q not documented", where, rct))
		} else if rct == "application/json" && !itemByItem[tmpl] {
			var body any
			if err := json.Unmarshal(ex.reqBody, &body); err == nil {
				errs = append(errs, o.validate(m["schema"].(map[string]any), body, where+" request")...)
			}
		}
	}
	return fmt.Sprintf("%s %s %d", ex.method, tmpl, ex.status), errs
}

// itemByItem are the routes that answer 200 to a request whose items
// they refuse one by one: their requests are checked by the tests, not
// against the document.
var itemByItem = map[string]bool{"/api/v1/reports/batch": true, "/api/v1/arf": true, "/api/v1/xarf": true, "/api/v1/sms": true}

// TestOpenAPIConformance runs the API's tests, then checks every answer
// they got against the document — status documented, headers and body
// valid against its schemas — and that every documented operation and
// status was answered at least once.
func TestOpenAPIConformance(t *testing.T) {
	for name, fn := range map[string]func(*testing.T){
		"PostAndRead": TestPostAndRead, "Scopes": TestScopes, "Authentication": TestAuthentication,
		"RateLimit": TestRateLimit, "InvalidFields": TestInvalidFields, "Deduplication": TestDeduplication,
		"Batch": TestBatch, "IdempotentRetry": TestIdempotentRetry, "Changes": TestChanges,
		"EveryRouteRefuses": TestEveryRouteRefuses,
		"ARFFeed":           TestARFFeed, "ARFFeedIdempotent": TestARFFeedIdempotent, "XARFFeed": TestXARFFeed, "SMSFeed": TestSMSFeed,
		"FeedsRefuse": TestFeedsRefuse,
	} {
		t.Run(name, fn)
	}
	doc := loadDoc(t)
	exMu.Lock()
	exs := slices.Clone(exchanges)
	exMu.Unlock()
	covered := map[string]bool{}
	for _, ex := range exs {
		c, errs := doc.check(ex)
		for _, e := range errs {
			t.Error(e)
		}
		covered[c] = true
	}
	var missing []string
	for tmpl, item := range doc.root["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			for status := range op.(map[string]any)["responses"].(map[string]any) {
				if status == "500" {
					continue // no test makes the server fail
				}
				k := fmt.Sprintf("%s %s %s", strings.ToUpper(method), tmpl, status)
				if !covered[k] {
					missing = append(missing, k)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented but never answered by the tests: %s", m)
	}
	t.Logf("%d exchanges checked, %d operation×status covered", len(exs), len(covered))
}

// TestDocumentExamples: every example of a request or an answer the
// document gives is valid against its schema.
func TestDocumentExamples(t *testing.T) {
	doc := loadDoc(t)
	n := 0
	check := func(where string, media map[string]any) {
		exs, _ := media["examples"].(map[string]any)
		for name, ex := range exs {
			n++
			v := ex.(map[string]any)["value"]
			if s, ok := v.(string); ok && media["schema"].(map[string]any)["type"] == "string" {
				if s == "" {
					t.Errorf("%s %s: empty example", where, name)
				}
				continue
			}
			for _, e := range doc.validate(media["schema"].(map[string]any), v, where+" example "+name) {
				t.Error(e)
			}
		}
	}
	for tmpl, item := range doc.root["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			op := op.(map[string]any)
			if rb, ok := op["requestBody"].(map[string]any); ok {
				for ct, m := range rb["content"].(map[string]any) {
					check(method+" "+tmpl+" request "+ct, m.(map[string]any))
				}
			}
			for status, rs := range op["responses"].(map[string]any) {
				rs, err := doc.deref(rs.(map[string]any))
				if err != nil {
					t.Fatal(err)
				}
				content, _ := rs["content"].(map[string]any)
				for ct, m := range content {
					check(method+" "+tmpl+" "+status+" "+ct, m.(map[string]any))
				}
			}
		}
	}
	if n < 6 {
		t.Errorf("%d examples checked, want the feeds' six at least", n)
	}
}

// TestDocumentCategories: the document's categories are the service's.
func TestDocumentCategories(t *testing.T) {
	doc := loadDoc(t)
	s, err := doc.ref("#/components/schemas/ReportIn")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s["properties"].(map[string]any)["category"].(map[string]any)["enum"].([]any) {
		got = append(got, c.(string))
	}
	var want []string
	for _, c := range report.Categories {
		want = append(want, string(c))
	}
	if !slices.Equal(got, want) {
		t.Errorf("document's categories %v, service's %v", got, want)
	}
}

// TestValidatorFails: the validator refuses what it should, so that the
// conformance test can fail.
func TestValidatorFails(t *testing.T) {
	doc := loadDoc(t)
	s := map[string]any{"$ref": "#/components/schemas/Filed"}
	for _, bad := range []string{`{}`, `{"ref":1,"status_url":"x","duplicate":false,"count":1}`,
		`{"ref":"x","status_url":"x","duplicate":false,"count":0}`, `{"ref":"x","status_url":"x","duplicate":false,"count":1,"extra":1}`} {
		var v any
		_ = json.Unmarshal([]byte(bad), &v)
		if len(doc.validate(s, v, "Filed")) == 0 {
			t.Errorf("%s accepted as Filed", bad)
		}
	}
	var v any
	_ = json.Unmarshal([]byte(`{"ref":"x","status_url":"x","duplicate":true,"count":2}`), &v)
	if errs := doc.validate(s, v, "Filed"); len(errs) != 0 {
		t.Errorf("a valid Filed refused: %v", errs)
	}
}
