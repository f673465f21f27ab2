package complaint

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Country is a country or territory of ISO 3166-1, with its name in the
// languages of the site.
type Country struct {
	Code string // ISO 3166-1 alpha-2, upper case
	FR   string
	EN   string
}

// Name returns the country's name in lang ("fr" or "en"; French otherwise).
func (c Country) Name(lang string) string {
	if lang == "en" {
		return c.EN
	}
	return c.FR
}

// France is the country of an address when none was chosen: forms made
// before addresses had a country hold "".
const France = "FR"

// countries lists ISO 3166-1 alpha-2 (2024), and XK (Kosovo, user-assigned
// but in common use on travel documents), by code. The names follow CLDR,
// with the formal short names where CLDR abbreviates ("St.", "&").
var countries = []Country{
	{"AD", "Andorre", "Andorra"},
	{"AE", "Émirats arabes unis", "United Arab Emirates"},
	{"AF", "Afghanistan", "Afghanistan"},
	{"AG", "Antigua-et-Barbuda", "Antigua and Barbuda"},
	{"AI", "Anguilla", "Anguilla"},
	{"AL", "Albanie", "Albania"},
	{"AM", "Arménie", "Armenia"},
	{"AO", "Angola", "Angola"},
	{"AQ", "Antarctique", "Antarctica"},
	{"AR", "Argentine", "Argentina"},
	{"AS", "Samoa américaines", "American Samoa"},
	{"AT", "Autriche", "Austria"},
	{"AU", "Australie", "Australia"},
	{"AW", "Aruba", "Aruba"},
	{"AX", "Îles Åland", "Åland Islands"},
	{"AZ", "Azerbaïdjan", "Azerbaijan"},
	{"BA", "Bosnie-Herzégovine", "Bosnia and Herzegovina"},
	{"BB", "Barbade", "Barbados"},
	{"BD", "Bangladesh", "Bangladesh"},
	{"BE", "Belgique", "Belgium"},
	{"BF", "Burkina Faso", "Burkina Faso"},
	{"BG", "Bulgarie", "Bulgaria"},
	{"BH", "Bahreïn", "Bahrain"},
	{"BI", "Burundi", "Burundi"},
	{"BJ", "Bénin", "Benin"},
	{"BL", "Saint-Barthélemy", "Saint Barthélemy"},
	{"BM", "Bermudes", "Bermuda"},
	{"BN", "Brunei", "Brunei"},
	{"BO", "Bolivie", "Bolivia"},
	{"BQ", "Pays-Bas caribéens", "Caribbean Netherlands"},
	{"BR", "Brésil", "Brazil"},
	{"BS", "Bahamas", "Bahamas"},
	{"BT", "Bhoutan", "Bhutan"},
	{"BV", "Île Bouvet", "Bouvet Island"},
	{"BW", "Botswana", "Botswana"},
	{"BY", "Biélorussie", "Belarus"},
	{"BZ", "Belize", "Belize"},
	{"CA", "Canada", "Canada"},
	{"CC", "Îles Cocos", "Cocos (Keeling) Islands"},
	{"CD", "République démocratique du Congo", "Democratic Republic of the Congo"},
	{"CF", "République centrafricaine", "Central African Republic"},
	{"CG", "République du Congo", "Republic of the Congo"},
	{"CH", "Suisse", "Switzerland"},
	{"CI", "Côte d’Ivoire", "Côte d’Ivoire"},
	{"CK", "Îles Cook", "Cook Islands"},
	{"CL", "Chili", "Chile"},
	{"CM", "Cameroun", "Cameroon"},
	{"CN", "Chine", "China"},
	{"CO", "Colombie", "Colombia"},
	{"CR", "Costa Rica", "Costa Rica"},
	{"CU", "Cuba", "Cuba"},
	{"CV", "Cap-Vert", "Cabo Verde"},
	{"CW", "Curaçao", "Curaçao"},
	{"CX", "Île Christmas", "Christmas Island"},
	{"CY", "Chypre", "Cyprus"},
	{"CZ", "Tchéquie", "Czechia"},
	{"DE", "Allemagne", "Germany"},
	{"DJ", "Djibouti", "Djibouti"},
	{"DK", "Danemark", "Denmark"},
	{"DM", "Dominique", "Dominica"},
	{"DO", "République dominicaine", "Dominican Republic"},
	{"DZ", "Algérie", "Algeria"},
	{"EC", "Équateur", "Ecuador"},
	{"EE", "Estonie", "Estonia"},
	{"EG", "Égypte", "Egypt"},
	{"EH", "Sahara occidental", "Western Sahara"},
	{"ER", "Érythrée", "Eritrea"},
	{"ES", "Espagne", "Spain"},
	{"ET", "Éthiopie", "Ethiopia"},
	{"FI", "Finlande", "Finland"},
	{"FJ", "Fidji", "Fiji"},
	{"FK", "Îles Malouines", "Falkland Islands"},
	{"FM", "États fédérés de Micronésie", "Micronesia"},
	{"FO", "Îles Féroé", "Faroe Islands"},
	{"FR", "France", "France"},
	{"GA", "Gabon", "Gabon"},
	{"GB", "Royaume-Uni", "United Kingdom"},
	{"GD", "Grenade", "Grenada"},
	{"GE", "Géorgie", "Georgia"},
	{"GF", "Guyane française", "French Guiana"},
	{"GG", "Guernesey", "Guernsey"},
	{"GH", "Ghana", "Ghana"},
	{"GI", "Gibraltar", "Gibraltar"},
	{"GL", "Groenland", "Greenland"},
	{"GM", "Gambie", "Gambia"},
	{"GN", "Guinée", "Guinea"},
	{"GP", "Guadeloupe", "Guadeloupe"},
	{"GQ", "Guinée équatoriale", "Equatorial Guinea"},
	{"GR", "Grèce", "Greece"},
	{"GS", "Géorgie du Sud et îles Sandwich du Sud", "South Georgia and South Sandwich Islands"},
	{"GT", "Guatemala", "Guatemala"},
	{"GU", "Guam", "Guam"},
	{"GW", "Guinée-Bissau", "Guinea-Bissau"},
	{"GY", "Guyana", "Guyana"},
	{"HK", "Hong Kong", "Hong Kong"},
	{"HM", "Îles Heard et McDonald", "Heard and McDonald Islands"},
	{"HN", "Honduras", "Honduras"},
	{"HR", "Croatie", "Croatia"},
	{"HT", "Haïti", "Haiti"},
	{"HU", "Hongrie", "Hungary"},
	{"ID", "Indonésie", "Indonesia"},
	{"IE", "Irlande", "Ireland"},
	{"IL", "Israël", "Israel"},
	{"IM", "Île de Man", "Isle of Man"},
	{"IN", "Inde", "India"},
	{"IO", "Territoire britannique de l’océan Indien", "British Indian Ocean Territory"},
	{"IQ", "Irak", "Iraq"},
	{"IR", "Iran", "Iran"},
	{"IS", "Islande", "Iceland"},
	{"IT", "Italie", "Italy"},
	{"JE", "Jersey", "Jersey"},
	{"JM", "Jamaïque", "Jamaica"},
	{"JO", "Jordanie", "Jordan"},
	{"JP", "Japon", "Japan"},
	{"KE", "Kenya", "Kenya"},
	{"KG", "Kirghizistan", "Kyrgyzstan"},
	{"KH", "Cambodge", "Cambodia"},
	{"KI", "Kiribati", "Kiribati"},
	{"KM", "Comores", "Comoros"},
	{"KN", "Saint-Christophe-et-Niévès", "Saint Kitts and Nevis"},
	{"KP", "Corée du Nord", "North Korea"},
	{"KR", "Corée du Sud", "South Korea"},
	{"KW", "Koweït", "Kuwait"},
	{"KY", "Îles Caïmans", "Cayman Islands"},
	{"KZ", "Kazakhstan", "Kazakhstan"},
	{"LA", "Laos", "Laos"},
	{"LB", "Liban", "Lebanon"},
	{"LC", "Sainte-Lucie", "Saint Lucia"},
	{"LI", "Liechtenstein", "Liechtenstein"},
	{"LK", "Sri Lanka", "Sri Lanka"},
	{"LR", "Libéria", "Liberia"},
	{"LS", "Lesotho", "Lesotho"},
	{"LT", "Lituanie", "Lithuania"},
	{"LU", "Luxembourg", "Luxembourg"},
	{"LV", "Lettonie", "Latvia"},
	{"LY", "Libye", "Libya"},
	{"MA", "Maroc", "Morocco"},
	{"MC", "Monaco", "Monaco"},
	{"MD", "Moldavie", "Moldova"},
	{"ME", "Monténégro", "Montenegro"},
	{"MF", "Saint-Martin", "Saint Martin (French part)"},
	{"MG", "Madagascar", "Madagascar"},
	{"MH", "Îles Marshall", "Marshall Islands"},
	{"MK", "Macédoine du Nord", "North Macedonia"},
	{"ML", "Mali", "Mali"},
	{"MM", "Myanmar (Birmanie)", "Myanmar (Burma)"},
	{"MN", "Mongolie", "Mongolia"},
	{"MO", "Macao", "Macao"},
	{"MP", "Îles Mariannes du Nord", "Northern Mariana Islands"},
	{"MQ", "Martinique", "Martinique"},
	{"MR", "Mauritanie", "Mauritania"},
	{"MS", "Montserrat", "Montserrat"},
	{"MT", "Malte", "Malta"},
	{"MU", "Maurice", "Mauritius"},
	{"MV", "Maldives", "Maldives"},
	{"MW", "Malawi", "Malawi"},
	{"MX", "Mexique", "Mexico"},
	{"MY", "Malaisie", "Malaysia"},
	{"MZ", "Mozambique", "Mozambique"},
	{"NA", "Namibie", "Namibia"},
	{"NC", "Nouvelle-Calédonie", "New Caledonia"},
	{"NE", "Niger", "Niger"},
	{"NF", "Île Norfolk", "Norfolk Island"},
	{"NG", "Nigéria", "Nigeria"},
	{"NI", "Nicaragua", "Nicaragua"},
	{"NL", "Pays-Bas", "Netherlands"},
	{"NO", "Norvège", "Norway"},
	{"NP", "Népal", "Nepal"},
	{"NR", "Nauru", "Nauru"},
	{"NU", "Niue", "Niue"},
	{"NZ", "Nouvelle-Zélande", "New Zealand"},
	{"OM", "Oman", "Oman"},
	{"PA", "Panama", "Panama"},
	{"PE", "Pérou", "Peru"},
	{"PF", "Polynésie française", "French Polynesia"},
	{"PG", "Papouasie-Nouvelle-Guinée", "Papua New Guinea"},
	{"PH", "Philippines", "Philippines"},
	{"PK", "Pakistan", "Pakistan"},
	{"PL", "Pologne", "Poland"},
	{"PM", "Saint-Pierre-et-Miquelon", "Saint Pierre and Miquelon"},
	{"PN", "Îles Pitcairn", "Pitcairn Islands"},
	{"PR", "Porto Rico", "Puerto Rico"},
	{"PS", "Palestine", "Palestine"},
	{"PT", "Portugal", "Portugal"},
	{"PW", "Palaos", "Palau"},
	{"PY", "Paraguay", "Paraguay"},
	{"QA", "Qatar", "Qatar"},
	{"RE", "La Réunion", "Réunion"},
	{"RO", "Roumanie", "Romania"},
	{"RS", "Serbie", "Serbia"},
	{"RU", "Russie", "Russia"},
	{"RW", "Rwanda", "Rwanda"},
	{"SA", "Arabie saoudite", "Saudi Arabia"},
	{"SB", "Îles Salomon", "Solomon Islands"},
	{"SC", "Seychelles", "Seychelles"},
	{"SD", "Soudan", "Sudan"},
	{"SE", "Suède", "Sweden"},
	{"SG", "Singapour", "Singapore"},
	{"SH", "Sainte-Hélène", "Saint Helena"},
	{"SI", "Slovénie", "Slovenia"},
	{"SJ", "Svalbard et Jan Mayen", "Svalbard and Jan Mayen"},
	{"SK", "Slovaquie", "Slovakia"},
	{"SL", "Sierra Leone", "Sierra Leone"},
	{"SM", "Saint-Marin", "San Marino"},
	{"SN", "Sénégal", "Senegal"},
	{"SO", "Somalie", "Somalia"},
	{"SR", "Suriname", "Suriname"},
	{"SS", "Soudan du Sud", "South Sudan"},
	{"ST", "Sao Tomé-et-Principe", "São Tomé and Príncipe"},
	{"SV", "Salvador", "El Salvador"},
	{"SX", "Saint-Martin (partie néerlandaise)", "Sint Maarten"},
	{"SY", "Syrie", "Syria"},
	{"SZ", "Eswatini", "Eswatini"},
	{"TC", "Îles Turques-et-Caïques", "Turks and Caicos Islands"},
	{"TD", "Tchad", "Chad"},
	{"TF", "Terres australes françaises", "French Southern Territories"},
	{"TG", "Togo", "Togo"},
	{"TH", "Thaïlande", "Thailand"},
	{"TJ", "Tadjikistan", "Tajikistan"},
	{"TK", "Tokélaou", "Tokelau"},
	{"TL", "Timor oriental", "Timor-Leste"},
	{"TM", "Turkménistan", "Turkmenistan"},
	{"TN", "Tunisie", "Tunisia"},
	{"TO", "Tonga", "Tonga"},
	{"TR", "Turquie", "Türkiye"},
	{"TT", "Trinité-et-Tobago", "Trinidad and Tobago"},
	{"TV", "Tuvalu", "Tuvalu"},
	{"TW", "Taïwan", "Taiwan"},
	{"TZ", "Tanzanie", "Tanzania"},
	{"UA", "Ukraine", "Ukraine"},
	{"UG", "Ouganda", "Uganda"},
	{"UM", "Îles mineures éloignées des États-Unis", "United States Minor Outlying Islands"},
	{"US", "États-Unis", "United States"},
	{"UY", "Uruguay", "Uruguay"},
	{"UZ", "Ouzbékistan", "Uzbekistan"},
	{"VA", "Vatican", "Vatican City"},
	{"VC", "Saint-Vincent-et-les-Grenadines", "Saint Vincent and the Grenadines"},
	{"VE", "Venezuela", "Venezuela"},
	{"VG", "Îles Vierges britanniques", "British Virgin Islands"},
	{"VI", "Îles Vierges des États-Unis", "United States Virgin Islands"},
	{"VN", "Vietnam", "Vietnam"},
	{"VU", "Vanuatu", "Vanuatu"},
	{"WF", "Wallis-et-Futuna", "Wallis and Futuna"},
	{"WS", "Samoa", "Samoa"},
	{"XK", "Kosovo", "Kosovo"},
	{"YE", "Yémen", "Yemen"},
	{"YT", "Mayotte", "Mayotte"},
	{"ZA", "Afrique du Sud", "South Africa"},
	{"ZM", "Zambie", "Zambia"},
	{"ZW", "Zimbabwe", "Zimbabwe"},
}

var countryByCode = func() map[string]Country {
	m := make(map[string]Country, len(countries))
	for _, c := range countries {
		m[c.Code] = c
	}
	return m
}()

// LookupCountry returns the country of an ISO 3166-1 alpha-2 code, in any
// case; "" stands for France.
func LookupCountry(code string) (Country, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		code = France
	}
	c, ok := countryByCode[code]
	return c, ok
}

// IsFrance reports whether code names France, "" included.
func IsFrance(code string) bool {
	code = strings.ToUpper(strings.TrimSpace(code))
	return code == "" || code == France
}

// CountryName returns the name of the country of code in lang, or code
// itself when it names none.
func CountryName(code, lang string) string {
	if c, ok := LookupCountry(code); ok {
		return c.Name(lang)
	}
	return code
}

// CountriesIn returns every country sorted by its name in lang as a
// dictionary sorts it (accents and case ignored, so "Égypte" comes between
// "Danemark" and "Espagne"), France first.
func CountriesIn(lang string) []Country {
	out := make([]Country, 0, len(countries))
	for _, c := range countries {
		if c.Code != France {
			out = append(out, c)
		}
	}
	keys := make(map[string]string, len(out))
	for _, c := range out {
		keys[c.Code] = sortKey(c.Name(lang))
	}
	sort.SliceStable(out, func(i, j int) bool { return keys[out[i].Code] < keys[out[j].Code] })
	return append([]Country{countryByCode[France]}, out...)
}

// sortKey folds s for a dictionary order: letters without their accents,
// in lower case; "Åland" sorts as "aland".
func sortKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
