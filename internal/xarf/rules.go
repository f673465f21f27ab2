package xarf

// Field is the rule of one top-level field of a type schema.
type Field struct {
	// Kind is the JSON type: "string", "integer", "number", "boolean",
	// "array" or "object"; empty when the schema does not say.
	Kind string
	// Enum lists the allowed values of a string, or of each string item of
	// an array.
	Enum []string
	// Format is the schema's format of the value or of its items
	// ("email", "uri", "date-time", "ipv4", "ipv6", "hostname", "date").
	Format string
	// Pattern is the regular expression a string (or string item) matches.
	Pattern string
	// Min and Max bound a number; nil when unbounded.
	Min, Max *float64
	// MaxLength bounds a string's length in characters, 0 for none.
	MaxLength int
	// MinItems and MaxItems bound an array, 0 for none.
	MinItems, MaxItems int
}

// TypeRule is what the type schema of one category/type pair requires, its
// base schema (content-base.json for the content category) merged in; the
// core fields are checked by checkCore.
type TypeRule struct {
	Category, Type string
	// Required lists the fields that MUST be present.
	Required []string
	// Fields gives the rule of every field the schema defines.
	Fields map[string]Field
	// IfSMTP lists the fields required when protocol is "smtp".
	IfSMTP []string
	// IfIPSource lists the fields required when source_identifier is an
	// IP address.
	IfIPSource []string
}

func f64(v float64) *float64 { return &v }

// rule returns the rule of a category/type pair.
func rule(category, typ string) (*TypeRule, bool) {
	for i := range typeRules {
		if typeRules[i].Category == category && typeRules[i].Type == typ {
			return &typeRules[i], true
		}
	}
	return nil, false
}

// Categories lists the v4 categories, in the order of xarf-core.json.
var Categories = []string{"messaging", "content", "copyright", "connection", "vulnerability", "infrastructure", "reputation"}

// Pairs lists every valid category/type pair, as "category/type".
func Pairs() []string {
	out := make([]string, len(typeRules))
	for i, r := range typeRules {
		out[i] = r.Category + "/" + r.Type
	}
	return out
}
