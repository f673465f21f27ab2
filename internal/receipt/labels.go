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
	station       string
	phone         string // fmt: number
	hours         string
	appointment   string
	noAppointment string
	noticeTitle   string
	noticeBody    string
	bringHeading  string
	bring         []string
	followHeading string
	scan          string
	logHeading    string
	sealed        string
	logPending    string
	technical     string // labels the log entry and checkpoint
	logIndex      string // fmt: index
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
		station:       "Service choisi",
		phone:         "Tél.\u00a0%s",
		hours:         "Horaires",
		appointment:   "Rendez-vous",
		noAppointment: "Aucun rendez-vous réservé\u202f: présentez-vous au service aux heures d’ouverture.",
		noticeTitle:   "Ceci n’est pas une plainte",
		noticeBody: "Votre déclaration ne deviendra une plainte qu’après avoir été relue et signée par vous " +
			"au service choisi. Sans présentation dans les 30 jours, elle sera supprimée avec vos données personnelles.",
		bringHeading: "À apporter au rendez-vous",
		bring: []string{
			"une pièce d’identité en cours de validité (carte nationale d’identité, passeport ou titre de séjour)\u202f;",
			"ce récépissé, imprimé ou affiché sur votre téléphone\u202f;",
			"les justificatifs de propriété et les factures des biens volés ou endommagés\u202f;",
			"les numéros de série des objets (IMEI d’un téléphone, numéro de cadre d’un vélo…)\u202f;",
			"tout autre élément utile\u202f: photos, relevés bancaires, coordonnées de témoins.",
		},
		followHeading: "Suivre votre dossier",
		scan:          "Scannez ce code ou ouvrez l’adresse suivante\u202f:",
		logHeading:    "Dépôt scellé",
		sealed: "Votre dépôt est scellé dans un registre public\u202f: personne ne peut le modifier ou le supprimer sans que cela se voie. " +
			"Ce registre ne contient aucune donnée personnelle.",
		logPending: "Votre dépôt est en cours de scellement dans un registre public, qui ne contient aucune donnée personnelle\u202f; " +
			"la page de suivi le confirmera.",
		technical:  "Pour vérification technique\u202f:",
		logIndex:   "dépôt inscrit au journal de transparence sous le numéro %d.",
		checkpoint: "Point de contrôle signé du journal qui le couvre\u202f:",
		footer:     "Récépissé de la pré-plainte %s",
		page:       "Page %d/%s",
		parisTime:  "Heures exprimées à l’heure de Paris.",
		date:       frenchDate,
	},
	"en": {
		service:       "ONLINE PRE-COMPLAINT",
		keep:          "Keep this document",
		title:         "Online pre-complaint receipt",
		submittedLine: "Submitted on %s (Paris time)",
		refLabel:      "CASE REFERENCE",
		caseHeading:   "Your request",
		category:      "Type of offence",
		station:       "Chosen station",
		phone:         "Tel.\u00a0%s",
		hours:         "Opening hours",
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
		logHeading:    "Sealed filing",
		sealed: "Your filing is sealed in a public register: nobody can change or delete it without it showing. " +
			"The register holds no personal data.",
		logPending: "Your filing is being sealed in a public register, which holds no personal data; " +
			"the status page will confirm it.",
		technical:  "For technical verification:",
		logIndex:   "filing recorded in the transparency log at index %d.",
		checkpoint: "Signed checkpoint of the log covering it:",
		footer:     "Receipt for pre-complaint %s",
		page:       "Page %d/%s",
		parisTime:  "Times are Paris time.",
		date:       englishDate,
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

// englishDate formats t as English pages do: "Thursday 12 March 2026,
// 2:05 pm" (no-break spaces keep "12 March" and "2:05 pm" whole).
func englishDate(t time.Time) string {
	return t.Format("Monday 2\u00a0January 2006, 3:04\u00a0pm")
}
