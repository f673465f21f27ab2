package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/complaint"
)

// readForm parses the request's form (r.ParseForm: the query, and the body
// of a POST) for a handler that shows it again with its errors. It is the
// one place where every form's values are checked to be text, so that no
// value is stored garbled in silence: a value that is not valid UTF-8 or
// holds a NUL character makes it return a *guichet.ValidationError with
// "err.text" on that input (see textOnly). Handlers MUST then not act on
// the form but show it again with those errors; the values in r.Form and
// r.PostForm were made showable.
//
// err is ParseForm's error (a malformed or too large body), for the
// caller to wrap; bad is nil when every value is text.
func readForm(r *http.Request) (bad, err error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	v := textOnly(r.Form)
	textOnly(r.PostForm) // the same values, copied by ParseForm
	return v.Err(), nil
}

// textOnly checks that every value of v is text: valid UTF-8 without NUL.
// It returns the inputs holding a value that is not, in name order, each
// with "err.text"; their values are made showable in place, every invalid
// byte sequence and every NUL becoming U+FFFD (�), so a page shows what was
// typed as far as it can be, and the message says where. Inputs whose
// names are not text are removed from v: no form has such an input.
func textOnly(v url.Values) *guichet.ValidationError {
	var bad []string
	for name, vals := range v {
		if !isText(name) {
			delete(v, name)
			continue
		}
		found := false
		for i, s := range vals {
			if !isText(s) {
				vals[i] = showable(s)
				found = true
			}
		}
		if found {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	var verr guichet.ValidationError
	for _, name := range bad {
		verr.Add(name, "err.text")
	}
	return &verr
}

// cutText returns s cut to at most n bytes, between two characters.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isText reports whether s is valid UTF-8 without NUL.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// showable returns s with every invalid UTF-8 sequence and every NUL
// replaced by U+FFFD.
func showable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// maxItemRows bounds the item rows a form may carry; indices beyond are
// ignored, so a crafted post cannot make the server allocate much.
const maxItemRows = 20

// stringFields returns the form's text fields by input name.
func stringFields(f *complaint.Form) map[string]*string {
	return map[string]*string{
		"emergency": &f.Emergency, "violence": &f.Violence, "author_known": &f.AuthorKnown,
		"civility": &f.Civility, "last_name": &f.LastName, "first_name": &f.FirstName,
		"birth_date": &f.BirthDate, "birth_place": &f.BirthPlace, "email": &f.Email,
		"phone": &f.Phone, "address": &f.Address, "postcode": &f.Postcode, "city": &f.City, "country": &f.Country,
		"facts_from": &f.FactsFrom, "facts_to": &f.FactsTo, "place_kind": &f.PlaceKind, "place_address": &f.PlaceAddress,
		"place_postcode": &f.PlacePostcode, "place_city": &f.PlaceCity, "place_details": &f.PlaceDetails,
		"place_near": &f.PlaceNear, "description": &f.Description,
		"unit_id": &f.UnitID, "slot_id": &f.SlotID,
	}
}

// itemField returns the field of it named by an item input suffix.
func itemField(it *complaint.Item, name string) *string {
	switch name {
	case "kind":
		return &it.Kind
	case "description":
		return &it.Description
	case "value":
		return &it.Value
	case "serial":
		return &it.Serial
	case "plate":
		return &it.Plate
	case "plate_country":
		return &it.PlateCountry
	}
	return nil
}

// decodeForm reads a posted form into a complaint.Form. Unknown inputs are
// ignored; values are kept as typed, except dates typed the French way
// (27/03/1985) where the browser has no date picker, which are put in the
// ISO form the date inputs send. Item rows are items.N.field with
// 0 ≤ N < maxItemRows, returned in order of N; rows absent from the post
// are skipped and blank rows are kept (see compactItems).
func decodeForm(v url.Values) complaint.Form {
	var f complaint.Form
	for name, p := range stringFields(&f) {
		*p = v.Get(name)
	}
	f.Category = complaint.Category(v.Get("category"))
	f.BirthDate = isoDate(f.BirthDate)
	f.FactsFrom = isoDateTime(f.FactsFrom)
	f.FactsTo = isoDateTime(f.FactsTo)
	f.Consent = v.Get("consent") == "yes"

	rows := make(map[int]*complaint.Item)
	for key, vals := range v {
		rest, ok := strings.CutPrefix(key, "items.")
		if !ok || len(vals) == 0 {
			continue
		}
		idx, name, ok := strings.Cut(rest, ".")
		if !ok || len(idx) == 0 || len(idx) > 2 {
			continue
		}
		n := 0
		for i := 0; i < len(idx); i++ {
			if idx[i] < '0' || idx[i] > '9' {
				n = -1
				break
			}
			n = n*10 + int(idx[i]-'0')
		}
		if n < 0 || n >= maxItemRows {
			continue
		}
		it := rows[n]
		if it == nil {
			it = new(complaint.Item)
		}
		p := itemField(it, name)
		if p == nil {
			continue
		}
		rows[n] = it
		*p = vals[0]
	}
	idxs := make([]int, 0, len(rows))
	for n := range rows {
		idxs = append(idxs, n)
	}
	sort.Ints(idxs)
	for _, n := range idxs {
		f.Items = append(f.Items, *rows[n])
	}
	return f
}

// compactItems drops the rows where nothing was typed.
func compactItems(items []complaint.Item) []complaint.Item {
	out := items[:0:0]
	for _, it := range items {
		if strings.TrimSpace(it.Kind+it.Description+it.Value+it.Serial+it.Plate+it.PlateCountry) != "" {
			out = append(out, it)
		}
	}
	return out
}

// formValue returns the value of the input named name in f.
func formValue(f *complaint.Form, name string) string {
	if p, ok := stringFields(f)[name]; ok {
		return *p
	}
	switch name {
	case "category":
		return string(f.Category)
	case "consent":
		if f.Consent {
			return "yes"
		}
		return ""
	}
	if rest, ok := strings.CutPrefix(name, "items."); ok {
		idx, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if ok && err == nil && n >= 0 && n < len(f.Items) {
			if p := itemField(&f.Items[n], field); p != nil {
				return *p
			}
		}
	}
	return ""
}

var (
	frDate     = regexp.MustCompile(`^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$`)
	frDateTime = regexp.MustCompile(`^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ T,àa]+(\d{1,2})\s*[:h]\s*(\d{2})\s*$`)
)

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// isoDate turns "27/03/1985" into "1985-03-27"; other text is returned as is.
func isoDate(s string) string {
	if m := frDate.FindStringSubmatch(s); m != nil {
		return m[3] + "-" + pad2(m[2]) + "-" + pad2(m[1])
	}
	return s
}

// isoDateTime turns "27/03/2026 14:30" into "2026-03-27T14:30"; other text
// is returned as is.
func isoDateTime(s string) string {
	if m := frDateTime.FindStringSubmatch(s); m != nil {
		return m[3] + "-" + pad2(m[2]) + "-" + pad2(m[1]) + "T" + pad2(m[4]) + ":" + m[5]
	}
	return s
}
