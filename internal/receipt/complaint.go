package receipt

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
)

// Complaint is what the récépissé de dépôt de plainte shows: the official
// record a complainant receives when an agent takes their complaint at the
// desk (code de procédure pénale, art. 15-3). It is in French only, the
// language of the procedure. Codes (category, item kinds, identity
// document, civility) are given as codes and printed from this package's
// French table.
type Complaint struct {
	Ref             string    // the complaint, PL-…; required
	PreComplaintRef string    // the pre-complaint it comes from, PP-…
	At              time.Time // when it was taken; required
	UnitName        string
	UnitAddress     string

	Civility, LastName, FirstName string
	BirthDate, BirthPlace         string // YYYY-MM-DD, town
	Address, Postcode, City       string
	Country                       string // in French; "" for France
	Email, Phone                  string
	IDDocument                    string // code: cni, passport, …

	Category           string // code: theft, burglary, …
	FactsFrom, FactsTo string // YYYY-MM-DDTHH:MM, Paris time
	Place              string
	Description        string
	Items              []ComplaintItem
	AgentPseudonym     string
	AgentServiceNumber string
	// LogIndex is the transparency-log index of the conversion event, or
	// -1 while not sequenced.
	LogIndex int64
}

// ComplaintItem is one stolen or damaged good on the record.
type ComplaintItem struct {
	Kind, Description, Value, Serial, Plate string
	ForeignPlate                            bool
}

// complaintLabels is every fixed string of the complaint record.
var complaintLabels = struct {
	service, keep, title, takenLine, refLabel, ppRef              string
	unitHeading, unit, taken                                      string
	personHeading, name, born, address, contact, idDoc, idChecked string
	factsHeading, category, period, from, to, place, description  string
	itemsHeading, noItems, value, serial, plate, foreignPlate     string
	agentHeading, agent, legalTitle, legal, logHeading, logIndex  string
	logPending, footer, page, parisTime                           string
	categories, items, documents, civilities                      map[string]string
}{
	service:       "POLICE NATIONALE · GENDARMERIE NATIONALE",
	keep:          "Document à conserver",
	title:         "Récépissé de dépôt de plainte",
	takenLine:     "Plainte reçue le %s (heure de Paris)",
	refLabel:      "NUMÉRO DE LA PLAINTE",
	ppRef:         "Suite à la pré-plainte en ligne %s",
	unitHeading:   "Service ayant reçu la plainte",
	unit:          "Service",
	taken:         "Date et heure",
	personHeading: "Plaignant",
	name:          "Nom et prénom",
	born:          "Né(e) le",
	address:       "Adresse",
	contact:       "Contact",
	idDoc:         "Pièce d’identité",
	idChecked:     "%s, vérifiée par l’agent",
	factsHeading:  "Faits déclarés",
	category:      "Nature des faits",
	period:        "Date des faits",
	from:          "du %s au %s",
	to:            "le %s",
	place:         "Lieu",
	description:   "Déclaration",
	itemsHeading:  "Biens volés ou endommagés",
	noItems:       "Aucun bien déclaré.",
	value:         "valeur",
	serial:        "n° de série",
	plate:         "immatriculation",
	foreignPlate:  "étrangère",
	agentHeading:  "Agent ayant reçu la plainte",
	agent:         "Agent %s, matricule %s",
	legalTitle:    "Mentions légales",
	legal: "Conformément à l’article 15-3 du code de procédure pénale, les officiers et agents de police judiciaire " +
		"sont tenus de recevoir les plaintes déposées par les victimes d’infractions à la loi pénale. Le présent récépissé " +
		"atteste du dépôt de la plainte. Une copie du procès-verbal de la plainte est remise à la victime si elle en fait " +
		"la demande. Pour être aidée dans ses démarches, la victime peut appeler France Victimes au 116\u00a0006 (appel gratuit).",
	logHeading: "Journal de transparence",
	logIndex:   "La conversion de la pré-plainte en plainte est inscrite au journal public sous le numéro %d. Ce journal ne contient aucune donnée personnelle.",
	logPending: "L’inscription au journal public est en cours.",
	footer:     "Récépissé de dépôt de la plainte %s",
	page:       "Page %d/%s",
	parisTime:  "Heures exprimées à l’heure de Paris.",
	categories: map[string]string{
		"theft": "Vol simple", "vehicle_theft": "Vol de véhicule", "burglary": "Cambriolage",
		"damage": "Dégradation ou destruction", "fraud": "Escroquerie",
	},
	items: map[string]string{
		"phone": "Téléphone", "computer": "Ordinateur", "bag": "Sac", "wallet": "Portefeuille",
		"jewellery": "Bijoux", "vehicle": "Véhicule", "bicycle": "Vélo", "bank_card": "Carte bancaire",
		"documents": "Papiers", "cash": "Espèces", "other": "Autre",
	},
	documents: map[string]string{
		"cni": "Carte nationale d’identité", "passport": "Passeport", "residence_permit": "Titre de séjour",
		"driving_licence": "Permis de conduire", "other": "Autre pièce officielle",
	},
	civilities: map[string]string{"mr": "M.", "mrs": "Mme", "mx": ""},
}

// label returns the French label of code, or the code itself.
func label(table map[string]string, code string) string {
	if l, ok := table[code]; ok {
		return l
	}
	return code
}

// ComplaintPDF renders the récépissé de dépôt de plainte. It fails with a
// *guichet.ValidationError when Ref or At is missing. The output depends
// only on c.
func ComplaintPDF(c Complaint) ([]byte, error) {
	var v guichet.ValidationError
	if c.Ref == "" {
		v.Add("Ref", "err.required")
	}
	if c.At.IsZero() {
		v.Add("At", "err.required")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("complaint record %s: %w", c.Ref, err)
	}
	lb := &complaintLabels
	pdf, t := newDocument(frame{
		title: lb.title, ref: c.Ref, lang: "fr-FR", created: c.At,
		service: lb.service, keep: lb.keep, serviceShare: 0.65,
		footer: fmt.Sprintf(lb.footer, c.Ref) + " · " + lb.parisTime, page: lb.page,
	})
	pdf.AddPage()

	at := c.At.In(paris)
	pdf.SetXY(margin, 25)
	setColor(pdf.SetTextColor, navy)
	pdf.SetFont("Helvetica", "B", 19)
	pdf.CellFormat(contentW, 9, t(lb.title), "", 1, "L", false, 0, "")
	setColor(pdf.SetTextColor, muted)
	pdf.SetFont("Helvetica", "", 10.5)
	pdf.CellFormat(contentW, 6, t(fmt.Sprintf(lb.takenLine, frenchDate(at))), "", 1, "L", false, 0, "")

	y := referenceBox(pdf, t, lb.refLabel, c.Ref, 28)
	if c.PreComplaintRef != "" {
		setColor(pdf.SetTextColor, muted)
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(contentW-16, 4.5, t(fmt.Sprintf(lb.ppRef, c.PreComplaintRef)), "", 1, "L", false, 0, "")
	}
	pdf.SetY(y + 28)

	heading(pdf, t(lb.unitHeading))
	row(pdf, t(lb.unit), t(strings.TrimSpace(c.UnitName+"\n"+c.UnitAddress)), "B")
	row(pdf, t(lb.taken), t(frenchDate(at)), "")

	heading(pdf, t(lb.personHeading))
	name := strings.TrimSpace(label(lb.civilities, c.Civility) + " " + strings.ToUpper(c.LastName) + " " + c.FirstName)
	row(pdf, t(lb.name), t(name), "B")
	if c.BirthDate != "" {
		born := frenchDay(c.BirthDate)
		if c.BirthPlace != "" {
			born += " à " + c.BirthPlace
		}
		row(pdf, t(lb.born), t(born), "")
	}
	row(pdf, t(lb.address), t(strings.TrimSpace(c.Address+"\n"+strings.TrimSpace(c.Postcode+" "+c.City)+"\n"+c.Country)), "")
	if contact := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{c.Email, c.Phone}, isEmpty), " · ")); contact != "" {
		row(pdf, t(lb.contact), t(contact), "")
	}
	row(pdf, t(lb.idDoc), t(fmt.Sprintf(lb.idChecked, label(lb.documents, c.IDDocument))), "")

	heading(pdf, t(lb.factsHeading))
	row(pdf, t(lb.category), t(label(lb.categories, c.Category)), "B")
	if c.FactsFrom != "" {
		period := fmt.Sprintf(lb.to, localTime(c.FactsFrom))
		if c.FactsTo != "" && c.FactsTo != c.FactsFrom {
			period = fmt.Sprintf(lb.from, localTime(c.FactsFrom), localTime(c.FactsTo))
		}
		row(pdf, t(lb.period), t(period), "")
	}
	if c.Place != "" {
		row(pdf, t(lb.place), t(c.Place), "")
	}
	row(pdf, t(lb.description), t(c.Description), "")

	heading(pdf, t(lb.itemsHeading))
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 10)
	if len(c.Items) == 0 {
		pdf.MultiCell(contentW, 5.2, t(lb.noItems), "", "L", false)
	}
	for _, it := range c.Items {
		parts := []string{label(lb.items, it.Kind)}
		if it.Description != "" {
			parts[0] += " — " + it.Description
		}
		if it.Value != "" {
			parts = append(parts, lb.value+" "+it.Value+" €")
		}
		if it.Serial != "" {
			parts = append(parts, lb.serial+" "+it.Serial)
		}
		if it.Plate != "" && it.ForeignPlate {
			parts = append(parts, lb.plate+" "+it.Plate+" ("+lb.foreignPlate+")")
		} else if it.Plate != "" {
			parts = append(parts, lb.plate+" "+it.Plate)
		}
		pdf.SetX(margin + 2)
		pdf.CellFormat(5, 5.2, t("•"), "", 0, "L", false, 0, "")
		pdf.MultiCell(contentW-7, 5.2, t(strings.Join(parts, "\u202f; ")), "", "L", false)
	}

	heading(pdf, t(lb.agentHeading))
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(contentW, 5.2, t(fmt.Sprintf(lb.agent, c.AgentPseudonym, c.AgentServiceNumber)), "", "L", false)

	pdf.Ln(4)
	notice(pdf, t(lb.legalTitle), t(lb.legal))

	heading(pdf, t(lb.logHeading))
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 9)
	if c.LogIndex >= 0 {
		pdf.MultiCell(contentW, 4.6, t(fmt.Sprintf(lb.logIndex, c.LogIndex)), "", "L", false)
	} else {
		pdf.MultiCell(contentW, 4.6, t(lb.logPending), "", "L", false)
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("complaint record %s: render: %w", c.Ref, err)
	}
	return buf.Bytes(), nil
}

func isEmpty(s string) bool { return s == "" }

// frenchDay formats a YYYY-MM-DD date as "12 mars 1985", or returns it as
// typed when it is not one.
func frenchDay(s string) string {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	day := fmt.Sprint(d.Day())
	if d.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %d", day, frMonths[d.Month()-1], d.Year())
}

// localTime formats a YYYY-MM-DDTHH:MM Paris time as a French date.
func localTime(s string) string {
	d, err := time.ParseInLocation("2006-01-02T15:04", s, paris)
	if err != nil {
		return s
	}
	return frenchDate(d)
}
