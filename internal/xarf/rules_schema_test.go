package xarf

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite rules_table.go from the corpus's v4 schemas")

// TestRulesMatchSchemas derives the table of category/type pairs and
// per-type rules from the X-ARF v4 JSON schemas of the corpus and compares
// it with rules_table.go, so the hand-held table cannot drift from the
// spec. With -update it rewrites rules_table.go instead.
func TestRulesMatchSchemas(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "xarf"), "xarf-spec", "schemas", "v4")
	derived, core := deriveRules(t, dir)
	if *update {
		writeTable(t, derived)
		return
	}
	if !reflect.DeepEqual(derived, typeRules) {
		for i := range max(len(derived), len(typeRules)) {
			var a, b TypeRule
			if i < len(derived) {
				a = derived[i]
			}
			if i < len(typeRules) {
				b = typeRules[i]
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("rule %d differs:\nschema: %+v\ntable:  %+v", i, a, b)
			}
		}
		t.Fatal("rules_table.go is out of step with the schemas; run go test ./internal/xarf -run TestRulesMatchSchemas -update")
	}
	if !slices.Equal(core.required, coreRequired) {
		t.Errorf("core required = %q, table %q", core.required, coreRequired)
	}
	if !slices.Equal(core.categories, Categories) {
		t.Errorf("core categories = %q, table %q", core.categories, Categories)
	}
	if !slices.Equal(core.contactRequired, []string{"org", "contact", "domain"}) || !slices.Equal(core.evidenceRequired, []string{"content_type", "payload"}) {
		t.Errorf("contact/evidence required = %q %q", core.contactRequired, core.evidenceRequired)
	}
	t.Logf("%d category/type pairs checked against %s", len(derived), dir)
}

type schema map[string]any

func load(t *testing.T, path string) schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func (s schema) obj(k string) schema {
	m, _ := s[k].(map[string]any)
	return m
}

func (s schema) list(k string) []any {
	l, _ := s[k].([]any)
	return l
}

func (s schema) strs(k string) []string {
	var out []string
	for _, v := range s.list(k) {
		if x, ok := v.(string); ok {
			out = append(out, x)
		}
	}
	return out
}

func (s schema) str(k string) string {
	x, _ := s[k].(string)
	return x
}

type coreFacts struct {
	required, categories, contactRequired, evidenceRequired []string
}

func deriveRules(t *testing.T, dir string) ([]TypeRule, coreFacts) {
	core := load(t, filepath.Join(dir, "xarf-core.json"))
	facts := coreFacts{
		required:         core.strs("required"),
		categories:       core.obj("properties").obj("category").strs("enum"),
		contactRequired:  core.obj("$defs").obj("contact_info").strs("required"),
		evidenceRequired: core.obj("$defs").obj("evidence_item").strs("required"),
	}
	master := load(t, filepath.Join(dir, "xarf-v4-master.json"))
	// The pairs the master schema allows.
	allowed := map[string]bool{}
	var out []TypeRule
	for _, item := range master.list("allOf") {
		it := schema(item.(map[string]any))
		for _, alt := range it.list("anyOf") {
			p := schema(alt.(map[string]any)).obj("properties")
			c := p.obj("category")["const"].(string)
			for _, ty := range p.obj("type").strs("enum") {
				allowed[c+"/"+ty] = true
			}
		}
	}
	for _, item := range master.list("allOf") {
		it := schema(item.(map[string]any))
		cond := it.obj("if").obj("properties")
		ref := it.obj("then").str("$ref")
		if cond == nil || ref == "" {
			continue
		}
		c, _ := cond.obj("category")["const"].(string)
		ty, _ := cond.obj("type")["const"].(string)
		if !allowed[c+"/"+ty] {
			t.Errorf("master: %s/%s has a type schema but is not an allowed pair", c, ty)
		}
		delete(allowed, c+"/"+ty)
		out = append(out, deriveType(t, dir, filepath.Join(dir, ref), c, ty))
	}
	for p := range allowed {
		t.Errorf("master: allowed pair %s has no type schema", p)
	}
	return out, facts
}

func deriveType(t *testing.T, dir, path, category, typ string) TypeRule {
	r := TypeRule{Category: category, Type: typ, Fields: map[string]Field{}}
	s := load(t, path)
	var merge func(s schema)
	merge = func(s schema) {
		for _, item := range s.list("allOf") {
			it := schema(item.(map[string]any))
			if ref := it.str("$ref"); ref != "" {
				if !strings.HasSuffix(ref, "xarf-core.json") {
					merge(load(t, filepath.Join(filepath.Dir(path), ref)))
				}
				continue
			}
			for _, req := range it.strs("required") {
				if !slices.Contains(r.Required, req) {
					r.Required = append(r.Required, req)
				}
			}
			for name, v := range it.obj("properties") {
				if name == "category" || name == "type" {
					continue
				}
				r.Fields[name] = deriveField(schema(v.(map[string]any)))
			}
			if cond := it.obj("if").obj("properties"); cond != nil {
				then := it.obj("then").strs("required")
				switch {
				case cond.obj("protocol")["const"] == "smtp":
					r.IfSMTP = then
				case cond.obj("source_identifier") != nil:
					r.IfIPSource = then
				default:
					t.Errorf("%s: a condition the validator does not know: %v", path, cond)
				}
			}
			if alts := it.list("anyOf"); len(alts) > 0 && typ != "p2p" && typ != "usenet" {
				t.Errorf("%s: an anyOf the validator does not know", path)
			}
		}
	}
	merge(s)
	return r
}

func num(v any) *float64 {
	if x, ok := v.(float64); ok {
		return &x
	}
	return nil
}

func deriveField(p schema) Field {
	f := Field{Kind: p.str("type"), Enum: p.strs("enum"), Format: p.str("format"), Pattern: p.str("pattern"),
		Min: num(p["minimum"]), Max: num(p["maximum"])}
	if n := num(p["maxLength"]); n != nil {
		f.MaxLength = int(*n)
	}
	if n := num(p["minItems"]); n != nil {
		f.MinItems = int(*n)
	}
	if n := num(p["maxItems"]); n != nil {
		f.MaxItems = int(*n)
	}
	if items := p.obj("items"); items != nil && items.str("type") == "string" {
		if f.Enum == nil {
			f.Enum = items.strs("enum")
		}
		if f.Format == "" {
			f.Format = items.str("format")
		}
		if f.Pattern == "" {
			f.Pattern = items.str("pattern")
		}
	}
	return f
}

func writeTable(t *testing.T, rules []TypeRule) {
	var b bytes.Buffer
	b.WriteString("// Code generated by go test ./internal/xarf -run TestRulesMatchSchemas -update; DO NOT EDIT.\n\n")
	b.WriteString("// The rules of the X-ARF v4 type schemas (xarf/xarf-spec schemas/v4,\n// MIT licence), as facts for the validator; TestRulesMatchSchemas checks\n// them against the schema files.\n\npackage xarf\n\n")
	b.WriteString("var typeRules = []TypeRule{\n")
	q := func(l []string) string {
		if l == nil {
			return "nil"
		}
		parts := make([]string, len(l))
		for i, s := range l {
			parts[i] = fmt.Sprintf("%q", s)
		}
		return "[]string{" + strings.Join(parts, ", ") + "}"
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "{Category: %q, Type: %q, Required: %s, IfSMTP: %s, IfIPSource: %s, Fields: map[string]Field{\n", r.Category, r.Type, q(r.Required), q(r.IfSMTP), q(r.IfIPSource))
		names := make([]string, 0, len(r.Fields))
		for n := range r.Fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			f := r.Fields[n]
			var parts []string
			if f.Kind != "" {
				parts = append(parts, fmt.Sprintf("Kind: %q", f.Kind))
			}
			if f.Enum != nil {
				parts = append(parts, "Enum: "+q(f.Enum))
			}
			if f.Format != "" {
				parts = append(parts, fmt.Sprintf("Format: %q", f.Format))
			}
			if f.Pattern != "" {
				parts = append(parts, fmt.Sprintf("Pattern: %q", f.Pattern))
			}
			if f.Min != nil {
				parts = append(parts, fmt.Sprintf("Min: f64(%v)", *f.Min))
			}
			if f.Max != nil {
				parts = append(parts, fmt.Sprintf("Max: f64(%v)", *f.Max))
			}
			if f.MaxLength != 0 {
				parts = append(parts, fmt.Sprintf("MaxLength: %d", f.MaxLength))
			}
			if f.MinItems != 0 {
				parts = append(parts, fmt.Sprintf("MinItems: %d", f.MinItems))
			}
			if f.MaxItems != 0 {
				parts = append(parts, fmt.Sprintf("MaxItems: %d", f.MaxItems))
			}
			fmt.Fprintf(&b, "%q: {%s},\n", n, strings.Join(parts, ", "))
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("format: %v\n%s", err, b.Bytes())
	}
	if err := os.WriteFile("rules_table.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
}
