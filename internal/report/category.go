package report

import "slices"

// Category is what a report is about, in the reporter's words.
type Category string

// The categories, in the order the form shows them.
const (
	CatChildAbuse  Category = "child_abuse"  // child sexual abuse material
	CatTerrorism   Category = "terrorism"    // terrorism and its apology
	CatHate        Category = "hate"         // hate and discrimination
	CatThreats     Category = "threats"      // threats and harassment
	CatTrafficking Category = "trafficking"  // trafficking
	CatDefamation  Category = "defamation"   // insult and defamation
	CatPhishing    Category = "phishing"     // phishing
	CatFakeAdviser Category = "fake_adviser" // fake bank adviser
	CatInvestment  Category = "investment"   // investment or crypto scam
	CatRomance     Category = "romance"      // romance scam
	CatFakeShop    Category = "fake_shop"    // fake online shop
	CatExtortion   Category = "extortion"    // ransomware or sextortion
	CatSpam        Category = "spam"         // spam
	CatOther       Category = "other"        // anything else
)

// Categories lists every category in the form's order.
var Categories = []Category{
	CatChildAbuse, CatTerrorism, CatHate, CatThreats, CatTrafficking, CatDefamation,
	CatPhishing, CatFakeAdviser, CatInvestment, CatRomance, CatFakeShop, CatExtortion, CatSpam, CatOther,
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// AcceptsFiles reports whether screenshots may be attached. For child
// sexual abuse material no file is accepted, only where it was seen: such
// a file must never be copied, not even to report it.
func (c Category) AcceptsFiles() bool { return c != CatChildAbuse }

// Priority orders the analysts' queue: 0 first. Child sexual abuse and
// terrorism come first, then threats to people, then the rest.
func (c Category) Priority() int {
	switch c {
	case CatChildAbuse, CatTerrorism:
		return 0
	case CatThreats, CatTrafficking, CatExtortion:
		return 1
	case CatHate:
		return 2
	default:
		return 3
	}
}

// Scam reports whether a victim of c may have lost money, so that the
// confirmation offers the complaint path.
func (c Category) Scam() bool {
	switch c {
	case CatPhishing, CatFakeAdviser, CatInvestment, CatRomance, CatFakeShop, CatExtortion:
		return true
	}
	return false
}
