package complaint

import "slices"

// StepEligibility is the page of questions asked before a draft opens
// (see Eligibility). It is not one of Steps: it has no Index.
const StepEligibility Step = "eligibility"

// FieldRule names one input of the pre-complaint form and every message
// key that may be shown beside it when the input is refused, so that the
// pages can word each refusal for that input (see the web package).
type FieldRule struct {
	// Name is the input's name, as in validation errors; the inputs of an
	// item row are named with N for the row: "items.N.kind".
	Name string
	// Keys are the message keys of the rules broken, "err.required" and
	// the like. "err.text" (a value that is not text, refused before any
	// rule is read) is left out: every input may have it.
	Keys []string
}

// fieldRules are the inputs of every page of the form, in page order, with
// what ValidateStep, Eligibility and Submit may say of each. A test keeps
// it whole: every input of Form is listed, and every key listed is one
// the rules produce and the reverse.
var fieldRules = map[Step][]FieldRule{
	StepEligibility: {
		{"emergency", []string{"err.choose"}},
		{"violence", []string{"err.choose"}},
		{"author_known", []string{"err.choose"}},
		{"category", []string{"err.choose"}},
	},
	StepIdentity: {
		{"civility", []string{"err.invalid"}},
		{"last_name", []string{"err.required", "err.too_long"}},
		{"first_name", []string{"err.required", "err.too_long"}},
		{"birth_date", []string{"err.required", "err.date", "err.date_range"}},
		{"birth_place", []string{"err.too_long"}},
		{"email", []string{"err.email"}},
		{"phone", []string{"err.phone"}},
		{"country", []string{"err.invalid"}},
		{"address", []string{"err.required", "err.too_long"}},
		{"postcode", []string{"err.required", "err.postcode", "err.too_long"}},
		{"city", []string{"err.required", "err.too_long"}},
	},
	StepFacts: {
		{"facts_from", []string{"err.required", "err.datetime", "err.future", "err.date_range"}},
		{"facts_to", []string{"err.datetime", "err.future", "err.before_start"}},
		{"place_kind", []string{"err.choose"}},
		{"place_address", []string{"err.too_long"}},
		{"place_postcode", []string{"err.required", "err.postcode"}},
		{"place_city", []string{"err.required", "err.too_long"}},
		{"place_details", []string{"err.required", "err.too_long"}},
		{"place_near", []string{"err.too_long"}},
		{"description", []string{"err.required", "err.too_short", "err.too_long"}},
	},
	StepItems: {
		{"items", []string{"err.items.count", "err.items.required", "err.items.vehicle"}},
		{"items.N.kind", []string{"err.choose"}},
		{"items.N.description", []string{"err.required", "err.too_long"}},
		{"items.N.value", []string{"err.amount"}},
		{"items.N.serial", []string{"err.too_long", "err.imei"}},
		{"items.N.plate", []string{"err.plate"}},
		{"items.N.plate_country", []string{"err.invalid"}},
	},
	StepEvidence: {
		{"evidence", []string{"err.evidence.count", "err.evidence.empty", "err.evidence.size", "err.evidence.type"}},
	},
	StepStation: {
		{"unit_id", []string{"err.choose"}},
		// A slot taken or gone meanwhile is said when the review is sent.
		{"slot_id", []string{"err.choose", "err.slot.gone", "err.slot.full"}},
	},
	StepReview: {
		{"consent", []string{"err.consent"}},
	},
}

// Fields returns the inputs of a page of the form (StepEligibility or one
// of Steps) with the message keys each may be refused with; nil for an
// unknown step. The slice is the caller's.
func Fields(step Step) []FieldRule {
	rules := slices.Clone(fieldRules[step])
	for i := range rules {
		rules[i].Keys = slices.Clone(rules[i].Keys)
	}
	return rules
}
