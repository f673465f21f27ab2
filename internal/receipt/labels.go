package receipt

import (
	"fmt"
	"strings"
	"time"
)

// labels is every fixed string of the receipt in one language.
type labels struct {
	service       string
	keep          string
	title         string
	submittedLine string // fmt: date
	refLabel      string
	caseHeading   string
	category      string
	submitted     string
	station       string
	appointment   string
	noAppointment string
	noticeTitle   string
	noticeBody    string
	bringHeading  string
	bring         []string
	followHeading string
	scan          string
	logHeading    string
	logIndex      string // fmt: index
	logPending    string
	checkpoint    string
	footer        string // fmt: reference
	page          string // fmt: page, total alias
	parisTime     string
	date          func(time.Time) string
}

var catalogue = map[string]*labels{
	"fr": {
		service:       "PRÉ-PLAINTE EN LIGNE",
		keep:          "Document à conserver",
		title:         "Récépissé de pré-plainte en ligne",
		submittedLine: "Déposée le %s (heure de Paris)",
		refLabel:      "RÉFÉRENCE DU DOSSIER",
		caseHeading:   "Votre démarche",
		category:      "Nature des faits",
		submitted:     "Déposée le",
		station:       "Service choisi",
		appointment:   "Rendez-vous",
		noAppointment: "Aucun rendez-vous réservé\u00a0: présentez-vous au service aux heures d’ouverture.",
		noticeTitle:   "Ceci n’est pas une plainte",
		noticeBody: "Votre déclaration ne deviendra une plainte qu’après avoir été relue et signée par vous " +
			"au service choisi. Sans présentation dans les 30 jours, elle sera supprimée avec vos données personnelles.",
		bringHeading: "À apporter au rendez-vous",
		bring: []string{
			"une pièce d’identité en cours de validité (carte nationale d’identité, passeport ou titre de séjour)\u00a0;",
			"ce récépissé, imprimé ou affiché sur votre téléphone\u00a0;",
			"les justificatifs de propriété et les factures des biens volés ou endommagés\u00a0;",
			"les numéros de série des objets (IMEI d’un téléphone, numéro de cadre d’un vélo…)\u00a0;",
			"tout autre élément utile\u00a0: photos, relevés bancaires, coordonnées de témoins.",
		},
		followHeading: "Suivre votre dossier",
		scan:          "Scannez ce code ou ouvrez l’adresse suivante\u00a0:",
		logHeading:    "Journal de transparence",
		logIndex:      "Le dépôt de votre pré-plainte est inscrit au journal public sous le numéro %d. Ce journal ne contient aucune donnée personnelle.",
		logPending:    "L’inscription du dépôt au journal public est en cours\u00a0; son numéro figurera sur la page de suivi.",
		checkpoint:    "Point de contrôle signé du journal\u00a0:",
		footer:        "Récépissé de la pré-plainte %s",
		page:          "Page %d/%s",
		parisTime:     "Heures exprimées à l’heure de Paris.",
		date:          frenchDate,
	},
	"en": {
		service:       "ONLINE PRE-COMPLAINT",
		keep:          "Keep this document",
		title:         "Online pre-complaint receipt",
		submittedLine: "Submitted on %s (Paris time)",
		refLabel:      "CASE REFERENCE",
		caseHeading:   "Your request",
		category:      "Type of offence",
		submitted:     "Submitted on",
		station:       "Chosen station",
		appointment:   "Appointment",
		noAppointment: "No appointment booked: go to the station during its opening hours.",
		noticeTitle:   "This is not a complaint",
		noticeBody: "Your statement becomes a complaint only once you have read and signed it " +
			"at the chosen station. If you do not attend within 30 days, it will be deleted along with your personal data.",
		bringHeading: "What to bring to the appointment",
		bring: []string{
			"a valid identity document (national identity card, passport or residence permit);",
			"this receipt, printed or on your phone;",
			"proofs of ownership and invoices for the stolen or damaged goods;",
			"the serial numbers of the items (a phone's IMEI, a bicycle's frame number…);",
			"any other useful evidence: photos, bank statements, witnesses' contact details.",
		},
		followHeading: "Follow your case",
		scan:          "Scan this code or open the following address:",
		logHeading:    "Transparency log",
		logIndex:      "The submission of your pre-complaint is recorded in the public log at index %d. The log holds no personal data.",
		logPending:    "The submission is being recorded in the public log; its index will appear on the status page.",
		checkpoint:    "Signed log checkpoint:",
		footer:        "Receipt for pre-complaint %s",
		page:          "Page %d/%s",
		parisTime:     "Times are Paris time.",
		date:          englishDate,
	},
}

// labelsFor returns the labels for lang: English for "en" and its regional
// variants ("en-GB"), French for anything else.
func labelsFor(lang string) (*labels, string) {
	l := strings.ToLower(lang)
	if l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_") {
		return catalogue["en"], "en"
	}
	return catalogue["fr"], "fr"
}

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// frenchDate formats t as "jeudi 12 mars 2026 à 14 h 05" (1er for the first
// of the month, as French usage wants).
func frenchDate(t time.Time) string {
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	// No-break spaces keep "14 h 05" on one line.
	return fmt.Sprintf("%s %s %s %d à %d\u00a0h\u00a0%02d",
		frDays[t.Weekday()], day, frMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// englishDate formats t as "Thursday 12 March 2026 at 14:05".
func englishDate(t time.Time) string {
	return t.Format("Monday 2 January 2006 at 15:04")
}
