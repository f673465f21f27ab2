package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/complaint"
)

// The small tables the seeded month draws its people and stories from.
// Everything here is invented; any likeness to real people is chance.

var (
	womenNames = []string{"Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Julie", "Nathalie", "Isabelle",
		"Sophie", "Aurélie", "Claire", "Fatima", "Amina", "Mélanie", "Élodie", "Sandrine", "Valérie", "Anne",
		"Lucie", "Océane", "Yasmine", "Marie", "Hélène", "Christine", "Nadia", "Laura", "Agnès", "Martine"}
	menNames = []string{"Thomas", "Nicolas", "Julien", "Maxime", "Lucas", "Hugo", "Karim", "Mehdi", "Antoine", "Pierre",
		"Laurent", "Stéphane", "Sébastien", "Olivier", "François", "Yann", "Mathieu", "Romain", "Alexandre", "David",
		"Philippe", "Bruno", "Youssef", "Kevin", "Jérôme", "Guillaume", "Éric", "Samuel", "Théo", "Bernard"}
	surnames = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
		"Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
		"Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
		"Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
		"Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Benali",
		"Haddad", "Nguyen", "Le Goff", "Le Gall", "Kerbrat", "Ferrand", "Da Silva", "Ben Salah", "Diallo", "Traoré"}
	birthPlaces = []string{"Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille", "Rennes", "Strasbourg",
		"Grenoble", "Dijon", "Brest", "Limoges", "Tours", "Amiens", "Metz", "Besançon", "Perpignan", "Orléans",
		"Rouen", "Caen", "Nancy", "Alger", "Casablanca", "Tunis", "Dakar", "Lisbonne", "Bruxelles", "Annecy", "Vannes"}
	mailDomains = []string{"example.fr", "example.com", "example.org", "example.net"}
)

// town is a postcode and commune near a unit.
type town struct{ postcode, city string }

// neighbourhood is where a unit's citizens live and where their facts
// happen: nearby towns and streets.
type neighbourhood struct {
	towns   []town
	streets []string
}

// neighbourhoods, by unit code: the towns near each seeded unit.
var neighbourhoods = map[string]neighbourhood{
	"CSP-PARIS05": {[]town{{"75005", "Paris"}, {"75005", "Paris"}, {"75006", "Paris"}, {"75013", "Paris"}, {"75014", "Paris"}},
		[]string{"rue Mouffetard", "rue Monge", "boulevard Saint-Michel", "rue Gay-Lussac", "rue Claude-Bernard", "rue des Écoles", "rue Censier", "avenue des Gobelins", "rue Lacépède"}},
	"CSP-PARIS11": {[]town{{"75011", "Paris"}, {"75011", "Paris"}, {"75012", "Paris"}, {"75020", "Paris"}, {"75003", "Paris"}},
		[]string{"rue Oberkampf", "rue de la Roquette", "boulevard Voltaire", "rue de Charonne", "avenue Parmentier", "rue du Faubourg-Saint-Antoine", "rue Saint-Maur", "rue Jean-Pierre-Timbaud"}},
	"CSP-PARIS18": {[]town{{"75018", "Paris"}, {"75018", "Paris"}, {"75017", "Paris"}, {"75019", "Paris"}, {"93400", "Saint-Ouen-sur-Seine"}},
		[]string{"rue Ordener", "rue Marcadet", "rue Championnet", "boulevard Barbès", "rue Caulaincourt", "rue Lepic", "rue Doudeauville", "rue du Poteau"}},
	"CSP-LYON01": {[]town{{"69001", "Lyon"}, {"69001", "Lyon"}, {"69004", "Lyon"}, {"69002", "Lyon"}, {"69009", "Lyon"}},
		[]string{"rue Burdeau", "rue d'Algérie", "quai Saint-Vincent", "rue de la Martinière", "boulevard de la Croix-Rousse", "rue Hénon", "rue Terme", "montée de la Grande-Côte"}},
	"CSP-LYON03": {[]town{{"69003", "Lyon"}, {"69003", "Lyon"}, {"69007", "Lyon"}, {"69008", "Lyon"}, {"69100", "Villeurbanne"}},
		[]string{"cours Lafayette", "rue Paul-Bert", "avenue Félix-Faure", "rue Garibaldi", "cours Gambetta", "rue de la Villette", "rue Moncey", "avenue Lacassagne", "rue Duguesclin"}},
	"CSP-MARSEILLE": {[]town{{"13001", "Marseille"}, {"13002", "Marseille"}, {"13003", "Marseille"}, {"13006", "Marseille"}, {"13005", "Marseille"}},
		[]string{"La Canebière", "rue de la République", "boulevard National", "cours Belsunce", "rue Paradis", "rue d'Aubagne", "boulevard Longchamp", "rue de Rome"}},
	"CSP-BORDEAUX": {[]town{{"33000", "Bordeaux"}, {"33800", "Bordeaux"}, {"33100", "Bordeaux"}, {"33400", "Talence"}, {"33130", "Bègles"}},
		[]string{"cours de l'Intendance", "rue Sainte-Catherine", "cours Victor-Hugo", "quai des Chartrons", "rue Judaïque", "cours de la Marne", "rue du Palais-Gallien"}},
	"CSP-TOULOUSE": {[]town{{"31000", "Toulouse"}, {"31300", "Toulouse"}, {"31500", "Toulouse"}, {"31400", "Toulouse"}, {"31700", "Blagnac"}},
		[]string{"rue d'Alsace-Lorraine", "allées Jean-Jaurès", "rue de Metz", "boulevard de Strasbourg", "avenue de Muret", "rue Bayard", "rue des Filatiers"}},
	"CSP-LILLE": {[]town{{"59000", "Lille"}, {"59800", "Lille"}, {"59130", "Lambersart"}, {"59650", "Villeneuve-d'Ascq"}, {"59100", "Roubaix"}},
		[]string{"rue Nationale", "rue de Béthune", "boulevard de la Liberté", "rue Solférino", "rue Gambetta", "rue Esquermoise", "rue de Paris"}},
	"BTA-CHAMONIX": {[]town{{"74400", "Chamonix-Mont-Blanc"}, {"74400", "Chamonix-Mont-Blanc"}, {"74310", "Les Houches"}, {"74170", "Saint-Gervais-les-Bains"}, {"74190", "Passy"}},
		[]string{"avenue Michel-Croz", "rue du Docteur-Paccard", "route des Pècles", "chemin des Cristalliers", "route du Bouchet", "avenue de l'Aiguille-du-Midi"}},
	"BTA-VANNES": {[]town{{"56000", "Vannes"}, {"56000", "Vannes"}, {"56610", "Arradon"}, {"56860", "Séné"}, {"56890", "Saint-Avé"}},
		[]string{"rue du Mené", "avenue Victor-Hugo", "rue de la Fontaine", "boulevard de la Paix", "rue Thiers", "chemin de Kerbiquette"}},
	"BTA-STREMY": {[]town{{"13210", "Saint-Rémy-de-Provence"}, {"13210", "Saint-Rémy-de-Provence"}, {"13520", "Maussane-les-Alpilles"}, {"13690", "Graveson"}, {"13810", "Eygalières"}},
		[]string{"boulevard Mirabeau", "avenue de la Libération", "chemin de la Combette", "rue Carnot", "avenue Fauconnet", "chemin des Servières"}},
	"BTA-MACON": {[]town{{"71000", "Mâcon"}, {"71000", "Mâcon"}, {"71850", "Charnay-lès-Mâcon"}, {"01750", "Saint-Laurent-sur-Saône"}, {"71870", "Hurigny"}},
		[]string{"rue Carnot", "quai Lamartine", "rue Rambuteau", "avenue Édouard-Herriot", "rue de Lyon", "rue de la Barre"}},
}

// story is one kind of facts of a category: a description with %s for
// the place (the street) and the goods it concerns.
type story struct {
	text  string
	items func(r *rand.Rand) []complaint.Item
}

// stories, by category: what citizens write, in their words.
var stories = map[complaint.Category][]story{
	complaint.Theft: {
		{"On m'a volé mon téléphone dans le bus, vers %s, alors qu'il était dans la poche de ma veste. Je ne me suis aperçu de rien avant de descendre.", phoneItem},
		{"Mon sac à main a été pris sur le dossier de ma chaise à la terrasse d'un café, %s. Il contenait mes papiers et mes clés.", bagItems},
		{"Vol de mon portefeuille au marché, %s, pendant que je payais mes courses. Ma carte bancaire était dedans ; j'ai fait opposition.", walletItems},
		{"Mon vélo, attaché avec un antivol en U devant mon immeuble %s, a disparu dans la nuit. L'antivol a été coupé et laissé sur place.", bikeItem},
		{"Pendant ma séance à la salle de sport, %s, mon casier a été forcé ; on m'a pris ma montre et mes écouteurs.", jewelItems},
		{"Mon ordinateur portable a été volé dans le train, dans le porte-bagages au-dessus de mon siège, entre deux gares. Je l'ai vu disparaître au moment de descendre %s.", laptopItem},
		{"Deux personnes m'ont bousculé à la sortie du métro, %s ; quelques minutes plus tard je me suis rendu compte que mon téléphone n'était plus dans mon sac.", phoneItem},
	},
	complaint.VehicleTheft: {
		{"Ma voiture, garée %s devant chez moi, a disparu pendant la nuit. Je l'avais fermée à clé et j'ai toujours les deux clés.", carItem},
		{"Mon scooter stationné %s a été volé entre 19 h et 7 h. Il reste des morceaux du neiman sur le trottoir.", scooterItem},
		{"Le véhicule de ma société, une camionnette blanche garée %s, a été volé pendant le week-end avec l'outillage qui était dedans.", vanItems},
		{"En revenant des courses, ma voiture n'était plus sur le parking, %s. La fourrière n'a aucune trace du véhicule.", carItem},
	},
	complaint.Burglary: {
		{"Cambriolage de mon appartement %s pendant mes vacances ; la porte a été forcée au pied-de-biche et plusieurs objets ont disparu.", burglaryItems},
		{"En rentrant du travail, j'ai trouvé la fenêtre de la cuisine brisée et la maison fouillée, %s. Des bijoux et un ordinateur manquent.", burglaryItems},
		{"Ma cave, %s, a été fracturée comme plusieurs autres de l'immeuble ; on m'a pris deux vélos et des outils.", cellarItems},
		{"Le cadenas de mon garage %s a été coupé ; ma tondeuse et une partie de mon outillage ont été emportés.", garageItems},
	},
	complaint.Damage: {
		{"Ma voiture stationnée %s a été rayée sur toute la longueur et un rétroviseur a été arraché.", carDamage},
		{"La vitre arrière de mon véhicule a été brisée pendant la nuit, %s ; rien n'a été pris mais la vitre est à remplacer.", carDamage},
		{"Les quatre pneus de ma voiture ont été crevés, %s, comme ceux de plusieurs véhicules de la rue.", carDamage},
		{"La vitrine de mon commerce, %s, a été taguée et une vitre fêlée par un jet de pierre.", shopDamage},
		{"Ma boîte aux lettres et l'interphone de l'immeuble, %s, ont été arrachés ; le syndic m'a demandé de déposer plainte.", otherDamage},
	},
	complaint.Fraud: {
		{"J'ai constaté sur mon relevé plusieurs paiements par carte que je n'ai pas faits, alors que ma carte ne m'a jamais quitté. J'habite %s.", cardFraud},
		{"Un homme se présentant comme conseiller de ma banque m'a appelé pour « sécuriser » mon compte ; j'ai validé des opérations sur mon application et des virements sont partis. J'habite %s.", noItems},
		{"J'ai versé un dépôt de garantie pour un appartement %s ; le prétendu propriétaire ne répond plus et l'annonce a disparu.", noItems},
		{"Un chèque que j'avais envoyé par la poste a été encaissé pour un montant modifié par une personne que je ne connais pas. J'habite %s.", noItems},
		{"Deux faux agents des eaux se sont présentés chez moi, %s, pour « vérifier les canalisations » ; après leur départ, mes bijoux et de l'argent liquide avaient disparu.", trickItems},
	},
}

func phoneItem(r *rand.Rand) []complaint.Item {
	models := []string{"Smartphone noir, coque transparente", "iPhone gris sidéral", "Samsung Galaxy bleu", "Smartphone Xiaomi, coque rouge", "Google Pixel vert"}
	return []complaint.Item{{Kind: "phone", Description: pick(r, models), Value: euros(r, 150, 1300), Serial: imei(r)}}
}

func bagItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "bag", Description: pick(r, []string{"Sac à main en cuir marron", "Sac besace noir", "Sac à dos gris"}), Value: euros(r, 40, 400)},
		{Kind: "documents", Description: "Carte d'identité et permis de conduire"}}
}

func walletItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "wallet", Description: pick(r, []string{"Portefeuille noir", "Porte-cartes en cuir", "Portefeuille rouge"}), Value: euros(r, 20, 90)},
		{Kind: "cash", Description: "Argent liquide", Value: euros(r, 20, 150)}, {Kind: "bank_card", Description: "Carte bancaire"}}
}

func bikeItem(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "bicycle", Description: pick(r, []string{"Vélo électrique noir", "Vélo de ville vert", "VTT rouge", "Vélo cargo"}), Value: euros(r, 250, 2800),
		Serial: fmt.Sprintf("BCY%08d", r.IntN(100000000))}}
}

func jewelItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "jewellery", Description: pick(r, []string{"Montre en acier", "Montre connectée", "Bracelet en or"}), Value: euros(r, 80, 900)},
		{Kind: "other", Description: "Écouteurs sans fil", Value: euros(r, 50, 280)}}
}

func laptopItem(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "computer", Description: pick(r, []string{"Ordinateur portable 14 pouces", "MacBook Air", "Ordinateur portable professionnel"}), Value: euros(r, 450, 2200),
		Serial: fmt.Sprintf("C02%07d", r.IntN(10000000))}}
}

func carItem(r *rand.Rand) []complaint.Item {
	cars := []string{"Renault Clio grise", "Peugeot 208 blanche", "Citroën C3 rouge", "Dacia Sandero bleue", "Volkswagen Golf noire", "Toyota Yaris grise", "Peugeot 3008 noire"}
	return []complaint.Item{{Kind: "vehicle", Description: pick(r, cars), Value: euros(r, 3000, 24000), Plate: plate(r)}}
}

func scooterItem(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "vehicle", Description: pick(r, []string{"Scooter 125 cm³ noir", "Scooter Yamaha gris", "Scooter électrique blanc"}), Value: euros(r, 900, 4500), Plate: plate(r)}}
}

func vanItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "vehicle", Description: "Renault Kangoo blanche", Value: euros(r, 6000, 15000), Plate: plate(r)},
		{Kind: "other", Description: "Caisses à outils et perceuse", Value: euros(r, 300, 1500)}}
}

func burglaryItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "jewellery", Description: pick(r, []string{"Bijoux de famille", "Alliance et colliers en or", "Boîte à bijoux"}), Value: euros(r, 300, 4000)},
		{Kind: "computer", Description: pick(r, []string{"Ordinateur portable", "Tablette", "Console de jeux"}), Value: euros(r, 200, 1500)},
		{Kind: "cash", Description: "Argent liquide", Value: euros(r, 50, 600)}}
}

func cellarItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "bicycle", Description: "Deux vélos de ville", Value: euros(r, 300, 1200)},
		{Kind: "other", Description: "Outils de bricolage", Value: euros(r, 80, 400)}}
}

func garageItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "other", Description: "Tondeuse thermique et taille-haie", Value: euros(r, 250, 900)}}
}

func carDamage(r *rand.Rand) []complaint.Item {
	it := carItem(r)
	it[0].Value = euros(r, 150, 1800) // the repair
	return it
}

func shopDamage(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "other", Description: "Vitrine du commerce", Value: euros(r, 400, 3000)}}
}

func otherDamage(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "other", Description: "Boîte aux lettres et interphone", Value: euros(r, 80, 600)}}
}

func cardFraud(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "bank_card", Description: pick(r, []string{"Carte Visa", "Carte Mastercard", "Carte bancaire de la banque postale"}), Value: euros(r, 60, 2400)}}
}

func trickItems(r *rand.Rand) []complaint.Item {
	return []complaint.Item{{Kind: "jewellery", Description: "Bijoux rangés dans la chambre", Value: euros(r, 500, 5000)},
		{Kind: "cash", Description: "Argent liquide", Value: euros(r, 100, 800)}}
}

func noItems(*rand.Rand) []complaint.Item { return nil }

// Notes agents write: for themselves, and to the citizen.
var (
	internalNotes = []string{
		"Victime recontactée par téléphone : elle confirme le rendez-vous.",
		"Vérifier la vidéoprotection du secteur avant le rendez-vous.",
		"Numéro de série à inscrire au fichier des objets volés.",
		"Préjudice à préciser au rendez-vous (factures attendues).",
		"Faits similaires signalés dans la même rue cette semaine : rapprocher les dossiers.",
		"Victime âgée, prévoir un accueil au rez-de-chaussée.",
		"Appel de la banque reçu : opérations contestées confirmées.",
		"Victime absente au rendez-vous ; message laissé sur son répondeur.",
		"Témoin possible : le gardien de l'immeuble.",
	}
	cancelledNote = "Rendez-vous annulé par la victime : la rappeler pour en fixer un autre."
	citizenNotes  = []string{
		"Merci d'apporter la facture d'achat et une pièce d'identité au rendez-vous.",
		"Pensez à faire opposition auprès de votre banque si ce n'est pas déjà fait.",
		"Votre rendez-vous est bien enregistré ; présentez-vous à l'accueil avec votre référence.",
		"Merci d'apporter le certificat d'immatriculation du véhicule.",
		"Apportez vos relevés bancaires où figurent les opérations contestées.",
		"Si vous avez des photos des dégâts ou des objets, apportez-les au rendez-vous.",
	}
)

// person draws a citizen living near the unit.
func person(r *rand.Rand, n neighbourhood, now time.Time) complaint.Form {
	var f complaint.Form
	switch r.IntN(20) {
	case 0:
		f.Civility, f.FirstName = "", pick(r, append(womenNames[:10:10], menNames[:10]...))
	case 1, 2, 3, 4, 5, 6, 7, 8, 9:
		f.Civility, f.FirstName = "mme", pick(r, womenNames)
	default:
		f.Civility, f.FirstName = "m", pick(r, menNames)
	}
	f.LastName = pick(r, surnames)
	birth := now.AddDate(-18-r.IntN(65), -r.IntN(12), -r.IntN(28))
	f.BirthDate, f.BirthPlace = birth.In(complaint.Paris).Format("2006-01-02"), pick(r, birthPlaces)
	home := pick(r, n.towns)
	f.Address = fmt.Sprintf("%d %s", 1+r.IntN(180), pick(r, n.streets))
	if r.IntN(5) == 0 {
		f.Address += fmt.Sprintf(", appartement %d", 1+r.IntN(60))
	}
	f.Postcode, f.City = home.postcode, home.city
	if r.IntN(8) != 0 {
		f.Email = fmt.Sprintf("%s%s%s@%s", ascii(f.FirstName), pick(r, []string{".", "-", ""}), ascii(f.LastName), pick(r, mailDomains))
		if r.IntN(3) == 0 {
			f.Email = strings.Replace(f.Email, "@", fmt.Sprint(r.IntN(99)+1)+"@", 1)
		}
	}
	if r.IntN(6) != 0 {
		// Mobile ranges in use: 06 0x–08x except 063x, and 073x–079x.
		lead := fmt.Sprintf("06 %c", "01245678"[r.IntN(8)])
		if r.IntN(3) == 0 {
			lead = fmt.Sprintf("07 %d", 3+r.IntN(7))
		}
		f.Phone = fmt.Sprintf("%s%d %02d %02d %02d", lead, r.IntN(10), r.IntN(100), r.IntN(100), r.IntN(100))
	}
	return f
}

// facts fills the facts and items of f: a story of category cat that
// happened near the unit, some hours to days before filed.
func facts(r *rand.Rand, f *complaint.Form, cat complaint.Category, n neighbourhood, filed time.Time) {
	st := pick(r, stories[cat])
	place := pick(r, n.towns)
	street := pick(r, n.streets)
	f.Emergency, f.Violence, f.AuthorKnown, f.Category = "no", "no", "no", cat
	f.Description = fmt.Sprintf(st.text, street)
	f.PlaceAddress, f.PlacePostcode, f.PlaceCity = street, place.postcode, place.city
	if r.IntN(4) == 0 {
		f.PlaceAddress = fmt.Sprintf("%d %s", 1+r.IntN(120), street)
	}
	from := filed.Add(-time.Duration(2+r.IntN(96)) * time.Hour).In(complaint.Paris).Truncate(15 * time.Minute)
	f.FactsFrom = from.Format("2006-01-02T15:04")
	if to := from.Add(time.Duration(1+r.IntN(12)) * time.Hour); r.IntN(2) == 0 && to.Before(filed) {
		f.FactsTo = to.Format("2006-01-02T15:04")
	}
	f.Items = st.items(r)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// euros draws an amount in [lo, hi) as a citizen types it: "1 234" or "89,90".
func euros(r *rand.Rand, lo, hi int) string {
	v := lo + r.IntN(hi-lo)
	s := fmt.Sprint(v)
	if v >= 1000 {
		s = s[:len(s)-3] + " " + s[len(s)-3:]
	}
	if r.IntN(3) == 0 {
		s += fmt.Sprintf(",%02d", r.IntN(100))
	}
	return s
}

// imei draws a 15-digit IMEI with a valid Luhn check digit.
func imei(r *rand.Rand) string {
	d := make([]int, 15)
	d[0], d[1] = 3, 5
	for i := 2; i < 14; i++ {
		d[i] = r.IntN(10)
	}
	sum := 0
	for i := 0; i < 14; i++ {
		x := d[i]
		if i%2 == 1 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	d[14] = (10 - sum%10) % 10
	var b strings.Builder
	for _, x := range d {
		b.WriteByte(byte('0' + x))
	}
	return b.String()
}

// plate draws a plate in the SIV form AB-123-CD.
func plate(r *rand.Rand) string {
	const letters = "ABCDEFGHJKLMNPQRSTVWXYZ" // no I, O, U
	l := func() byte { return letters[r.IntN(len(letters))] }
	return fmt.Sprintf("%c%c-%03d-%c%c", l(), l(), 1+r.IntN(998), l(), l())
}

// ascii lowers s and drops its accents and spaces, for e-mail addresses.
func ascii(s string) string {
	rep := strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ç", "c", "î", "i", "ï", "i",
		"ô", "o", "ù", "u", "û", "u", "ü", "u", "É", "e", "È", "e", " ", "", "'", "")
	return rep.Replace(strings.ToLower(s))
}
