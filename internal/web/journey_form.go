package web

import (
	"strings"

	"github.com/guichet/guichet/internal/complaint"
)

// The fields of the journey that take an address abroad, a place without
// a postcode and a plate of any country.

// journeyFieldAttrs are the attributes of these fields (see fieldAttrs).
var journeyFieldAttrs = map[string]attrs{
	"country":            {typ: "select", auto: "country"},
	"place_details":      {typ: "text", class: "w-30"},
	"place_near":         {typ: "text", class: "w-20", optional: true},
	"item.plate_country": {typ: "select", optional: true},
}

// Country describes the select of the home address's country: every
// country by its name in the page's language, France first and chosen
// when none was.
func (p *page) Country() field {
	f := p.Input("country")
	f.NoPrompt = true
	cur := strings.ToUpper(strings.TrimSpace(f.Value))
	if cur == "" {
		cur = complaint.France
	}
	for _, c := range complaint.CountriesIn(p.Lang) {
		f.Options = append(f.Options, option{Value: c.Code, Label: c.Name(p.Lang), Checked: c.Code == cur})
	}
	return f
}

// PlateCountry describes the select of the country of an item's plate
// (name is "items.N.plate_country"): empty for France or not known, which
// reads French plates as French and keeps others as typed.
func (p *page) PlateCountry(name string) field {
	f := p.Input(name)
	f.Prompt = p.cat.T("plate_country.france")
	cur := strings.ToUpper(strings.TrimSpace(f.Value))
	for _, c := range complaint.CountriesIn(p.Lang)[1:] { // France is the prompt
		f.Options = append(f.Options, option{Value: c.Code, Label: c.Name(p.Lang), Checked: c.Code == cur})
	}
	return f
}

// PlaceKind describes the question of how the place of the facts is
// given; an address is chosen when nothing was.
func (p *page) PlaceKind() field {
	f := p.Choice("place_kind", "place_kind.", complaint.PlaceAtAddress, complaint.PlaceElsewhere)
	chosen := false
	for _, o := range f.Options {
		chosen = chosen || o.Checked
	}
	if !chosen {
		f.Options[0].Checked = true
	}
	return f
}

// CountryName names the country of code in the page's language.
func (p *page) CountryName(code string) string { return complaint.CountryName(code, p.Lang) }
