package web

import (
	"fmt"
	"html/template"
	"strings"
)

// secretCode is a secret code (draft or tracking) as pages show it: in
// groups of four that never break inside, selectable, with a copy button
// where JavaScript runs. See the "code" template.
type secretCode struct {
	ID     string // the element's id, which the copy button names
	Groups []string
}

// codeBox makes the "code" template's data from a grouped code
// ("N92X-QA1W-2F0Z-Q9MJ", as caseref.Code.String writes it) or anything
// that prints so.
func codeBox(id string, code any) secretCode {
	return secretCode{ID: id, Groups: strings.Split(fmt.Sprint(code), "-")}
}

// HTML is the code's groups, each a no-wrap span, with a break
// opportunity after each hyphen only: "N92X-QA1W-2F0Z-Q9 / MJ" cannot
// happen, and the text copied or selected is the code as typed.
func (c secretCode) HTML() template.HTML {
	var b strings.Builder
	for i, g := range c.Groups {
		if i > 0 {
			b.WriteString("-<wbr>")
		}
		b.WriteString(`<span class="code-group">`)
		b.WriteString(template.HTMLEscapeString(g))
		b.WriteString(`</span>`)
	}
	return template.HTML(b.String())
}
