package web

import (
	"embed"
	"errors"
	"fmt"
	"github.com/guichet/guichet/internal/bulletin"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// Listed by pattern so that the shared files, named with a leading "_",
// are embedded too.
//
//go:embed templates/*.html
var templateFS embed.FS

// Shared templates (layout and partials) are named with a leading "_";
// every other file is one page defining "title" and "main".
func (s *Server) parseTemplates(fsys fs.FS) (map[string]map[string]*template.Template, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]*template.Template, len(langCodes))
	for _, lang := range langCodes {
		base, err := template.New("").Funcs(s.funcs(lang)).ParseFS(fsys, "templates/_*.html")
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		out[lang] = make(map[string]*template.Template)
		for _, n := range names {
			file := strings.TrimPrefix(n, "templates/")
			if strings.HasPrefix(file, "_") {
				continue
			}
			t, err := base.Clone()
			if err == nil {
				t, err = t.ParseFS(fsys, n)
			}
			if err != nil {
				return nil, fmt.Errorf("web: template %s: %w", file, err)
			}
			for _, need := range []string{"layout", "title", "main"} {
				if t.Lookup(need) == nil {
					return nil, fmt.Errorf("web: template %s: no %q", file, need)
				}
			}
			out[lang][strings.TrimSuffix(file, ".html")] = t
		}
	}
	return out, nil
}

// funcs are the template functions of one language.
func (s *Server) funcs(lang string) template.FuncMap {
	cat := s.cats[lang]
	d := dates{lang: lang, loc: complaint.Paris}
	return template.FuncMap{
		"t":        cat.T,
		"static":   s.assets.url,
		"day":      d.Day,
		"clock":    d.Clock,
		"datetime": d.DateTime,
		"iso":      d.ISO,
		"isoday":   d.ISODay,
		"add":      func(a, b int) int { return a + b },
		// inlang picks, of a text kept in both languages, the page's.
		"inlang": func(fr, en string) string {
			if lang == "fr" {
				return fr
			}
			return en
		},
		"num":     func(n int64) string { return groupDigits(lang, n) },
		"tel":     telURI,
		"codebox": codeBox,
		"hours":   func(h station.Hours) []string { return h.Lines(lang) },
		"coord":   Coord,
		"kmToM":   func(km float64) float64 { return km * 1000 },
		"percent": func(f float64) int { return int(f*100 + 0.5) },
		// markup renders a catalogue text written in the bulletins' safe
		// markup (lists, emphasis), escaped like any text.
		"markup": bulletin.Render,
	}
}

// page is the data of every template: what the layout needs, the form
// being edited with its errors, and the page's own data.
type page struct {
	cat *catalogue

	Lang  string
	Other string // the language the switch offers
	// Path is the local address the language switch returns to.
	Path string
	// Errors are the form's errors, in the order of the form.
	Errors []fieldError
	// Notice is a catalogue key shown as a success message.
	Notice string
	// Form is the pre-complaint being edited, if any.
	Form *complaint.Form
	// Values holds the values of other forms (tracking, resume).
	Values map[string]string
	// Step is where the page stands in the pre-complaint journey.
	Step *stepView
	// Data is the page's own data.
	Data any
	// Agent is the signed-in agent on back-office pages, nil elsewhere.
	Agent *account.Principal
}

// fieldError is one error as shown: beside its field and in the summary.
type fieldError struct {
	Field   string
	ID      string // id of the field's input
	Label   string // the field's name in the summary, if it has one
	Message string
}

func (s *Server) newPage(r *http.Request) *page {
	lang := chooseLang(r, s.matcher)
	path := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		path = r.URL.RequestURI()
	}
	p := &page{cat: s.cats[lang], Lang: lang, Other: otherLang(lang), Path: path}
	if a, ok := principalFrom(r.Context()); ok {
		p.Agent = &a
	}
	return p
}

// SwitchURL is the address of the language switch, returning here.
func (p *page) SwitchURL() string {
	return "/langue/" + p.Other + "?retour=" + url.QueryEscape(p.Path)
}

// setErrors shows err's field errors; it returns false when err holds none.
func (p *page) setErrors(err error) bool {
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	seen := make(map[string]bool)
	for _, f := range v.Fields {
		if seen[f.Field] {
			continue
		}
		seen[f.Field] = true
		p.Errors = append(p.Errors, fieldError{Field: f.Field, ID: fieldID(f.Field), Label: p.summaryLabel(f.Field), Message: p.fieldMessage(f.Field, f.Key, f.Args...)})
	}
	return len(p.Errors) > 0
}

// fieldMessage words the refusal key of the input named name for that
// input, saying what to do there ("Indiquez votre nom de famille."): the
// catalogue's message fieldKey(name, key) when it has one, else key's own
// message, generic ("Ce champ est obligatoire."), as a last resort. A
// test keeps a message for every input of the form and every key it may
// be refused with (see complaint.Fields).
//
// Those messages speak to the citizen ("votre nom"): back-office pages
// showing a citizen's form (the desk's corrections) keep the generic ones,
// beside the field and after its name in the summary.
func (p *page) fieldMessage(name, key string, args ...any) string {
	if p.Agent != nil && citizenInputs[baseName(name)] {
		return p.cat.T(key, args...)
	}
	if k := fieldKey(name, key); k != "" && p.cat.Has(k) {
		return p.cat.T(k, args...)
	}
	return p.cat.T(key, args...)
}

// citizenInputs are the base names of the pre-complaint form's inputs.
var citizenInputs = func() map[string]bool {
	m := map[string]bool{}
	for _, st := range append([]complaint.Step{complaint.StepEligibility}, complaint.Steps...) {
		for _, r := range complaint.Fields(st) {
			m[baseName(r.Name)] = true
		}
	}
	return m
}()

// fieldKey is the catalogue key of the message of the refusal key on the
// input named name: "fielderr." + the input's base name + "." + key
// without its "err." ("items.2.description", "err.required" →
// "fielderr.item.description.required"); "" for keys not of the "err."
// family.
func fieldKey(name, key string) string {
	rule, ok := strings.CutPrefix(key, "err.")
	if !ok {
		return ""
	}
	return "fielderr." + baseName(name) + "." + rule
}

// summaryLabel names a field in the error summary: a short name when the
// label is a question, the row for an item field.
func (p *page) summaryLabel(name string) string {
	base := baseName(name)
	label := ""
	switch {
	case p.cat.Has("summary." + base):
		label = p.cat.T("summary." + base)
	case p.cat.Has("field." + base):
		label = p.cat.T("field." + base)
	}
	if rest, ok := strings.CutPrefix(name, "items."); ok && label != "" {
		if n, _, ok := strings.Cut(rest, "."); ok {
			if i, err := strconv.Atoi(n); err == nil {
				label = p.cat.T("items.row", i+1) + " – " + label
			}
		}
	}
	return label
}

// addError shows one error on field.
func (p *page) addError(field, key string, args ...any) {
	var v guichet.ValidationError
	v.Add(field, key, args...)
	p.setErrors(&v)
}

// Err returns the message of field's error, or "".
func (p *page) Err(name string) string {
	for _, e := range p.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// fieldID is the HTML id of the input named name.
func fieldID(name string) string {
	return "f-" + strings.ReplaceAll(name, ".", "-")
}

// field is everything a template needs to draw one input with its label,
// hint and error.
type field struct {
	Name, ID     string
	Type         string
	Autocomplete string
	Inputmode    string
	Class        string
	Value        string
	Label        string
	Hint         string
	Error        string
	Optional     bool
	Options      []option
	// Prompt is the label of a select's empty first option, the generic
	// "choose" when empty; NoPrompt leaves that option out (a select with
	// a default, such as the country).
	Prompt   string
	NoPrompt bool
}

// option is one choice of a radio group or a select.
type option struct {
	Value, ID, Label, Hint string
	Checked                bool
}

// DescribedBy lists the ids describing the input (hint, error).
func (f field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// attrs are the fixed attributes of a form field, by base name (item
// fields without their "items.N." prefix).
type attrs struct {
	typ, auto, mode, class string
	optional               bool
}

var fieldAttrs = map[string]attrs{
	"last_name":        {typ: "text", auto: "family-name", class: "w-20"},
	"first_name":       {typ: "text", auto: "given-name", class: "w-20"},
	"birth_date":       {typ: "date", auto: "bday", class: "w-10"},
	"birth_place":      {typ: "text", class: "w-20", optional: true},
	"email":            {typ: "email", auto: "email", class: "w-30", optional: true},
	"phone":            {typ: "tel", auto: "tel", class: "w-20", optional: true},
	"address":          {typ: "text", auto: "street-address", class: "w-30"},
	"postcode":         {typ: "text", auto: "postal-code", class: "w-10"},
	"city":             {typ: "text", auto: "address-level2", class: "w-20"},
	"facts_from":       {typ: "datetime-local", class: "w-20"},
	"facts_to":         {typ: "datetime-local", class: "w-20", optional: true},
	"place_address":    {typ: "text", class: "w-30", optional: true},
	"place_postcode":   {typ: "text", mode: "numeric", class: "w-5"},
	"place_city":       {typ: "text", class: "w-20"},
	"description":      {typ: "textarea"},
	"item.kind":        {typ: "select"},
	"item.description": {typ: "text", class: "w-30"},
	"item.value":       {typ: "text", mode: "decimal", class: "w-10", optional: true},
	"item.serial":      {typ: "text", class: "w-20", optional: true},
	"item.plate":       {typ: "text", class: "w-10", optional: true},
	"civility":         {typ: "radio", optional: true},
	"ref":              {typ: "text", class: "w-20 code-input"},
	"code":             {typ: "text", auto: "off", class: "w-20 code-input"},
	"draft_code":       {typ: "text", auto: "off", class: "w-20 code-input"},
	"q":                {typ: "search", class: "w-20", optional: true},
}

// baseName strips the row of an item field: "items.3.kind" → "item.kind".
func baseName(name string) string {
	if rest, ok := strings.CutPrefix(name, "items."); ok {
		if _, f, ok := strings.Cut(rest, "."); ok {
			return "item." + f
		}
	}
	return name
}

// Input describes the field name for the "input" partial.
func (p *page) Input(name string) field {
	base := baseName(name)
	a, ok := fieldAttrs[base]
	if !ok {
		a = journeyFieldAttrs[base]
	}
	if a.typ == "" {
		a.typ = "text"
	}
	f := field{
		Name: name, ID: fieldID(name), Type: a.typ, Autocomplete: a.auto, Inputmode: a.mode, Class: a.class,
		Value: p.value(name), Label: p.cat.T("field." + base), Error: p.Err(name), Optional: a.optional,
	}
	if p.cat.Has("hint." + base) {
		f.Hint = p.cat.T("hint." + base)
	}
	return f
}

// Choice describes a radio group or select on field name, whose options
// are labelled by the catalogue keys prefix+value.
func (p *page) Choice(name, prefix string, values ...string) field {
	f := p.Input(name)
	cur := f.Value
	for i, v := range values {
		// The first option bears the field's id, which error links target.
		o := option{Value: v, ID: f.ID, Label: p.cat.T(p.labelKey(prefix + v)), Checked: v == cur}
		if i > 0 {
			o.ID = f.ID + "-" + v
		}
		if k := p.labelKey(prefix+v) + ".hint"; p.cat.Has(k) {
			o.Hint = p.cat.T(k)
		} else if p.cat.Has(prefix + v + ".hint") {
			o.Hint = p.cat.T(prefix + v + ".hint")
		}
		f.Options = append(f.Options, o)
	}
	return f
}

// value is the current value of the input named name.
func (p *page) value(name string) string {
	if v, ok := p.Values[name]; ok {
		return v
	}
	if p.Form == nil {
		return ""
	}
	return formValue(p.Form, name)
}

// telURI turns a phone number as displayed into a tel: link.
func telURI(phone string) template.URL {
	b := make([]byte, 0, len(phone))
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; (c >= '0' && c <= '9') || (c == '+' && len(b) == 0) {
			b = append(b, c)
		}
	}
	return template.URL("tel:" + string(b))
}
