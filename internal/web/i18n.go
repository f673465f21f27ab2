package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

//go:embed i18n/*.json
var catalogueFS embed.FS

// Languages offered, the default first.
var languages = []language.Tag{language.French, language.English}

// langCodes are the codes of languages, in the same order; they are the
// values of the lang cookie and of <html lang>.
var langCodes = []string{"fr", "en"}

const defaultLang = "fr"

// catalogue holds every user-visible string of one language, by key.
// Messages may hold numbered placeholders {0}, {1}… filled from arguments.
type catalogue struct {
	lang string
	msgs map[string]string
}

// loadCatalogues reads the embedded catalogues of every language. A
// language's messages may be split by area: i18n/<lang>.json and any
// i18n/<area>.<lang>.json are merged; a key defined twice is an error, so
// two areas cannot silently overwrite each other.
func loadCatalogues() (map[string]*catalogue, error) {
	names, err := fs.Glob(catalogueFS, "i18n/*.json")
	if err != nil {
		return nil, fmt.Errorf("web: catalogues: %w", err)
	}
	out := make(map[string]*catalogue, len(langCodes))
	for _, code := range langCodes {
		out[code] = &catalogue{lang: code, msgs: map[string]string{}}
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".json")
		code := base[strings.LastIndexByte(base, '.')+1:]
		cat, ok := out[code]
		if !ok {
			return nil, fmt.Errorf("web: catalogue %s: unknown language %q", n, code)
		}
		b, err := catalogueFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", n, err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", n, err)
		}
		for k, v := range msgs {
			if _, dup := cat.msgs[k]; dup {
				return nil, fmt.Errorf("web: catalogue %s: key %q defined twice", n, k)
			}
			cat.msgs[k] = v
		}
	}
	for _, code := range langCodes {
		if len(out[code].msgs) == 0 {
			return nil, fmt.Errorf("web: catalogue %s: missing", code)
		}
	}
	return out, nil
}

// T returns the message for key with args put in its placeholders. A
// missing key returns the key itself, so a gap shows rather than breaks
// the page; a test keeps catalogues complete.
func (c *catalogue) T(key string, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 || !strings.Contains(m, "{") {
		return m
	}
	pairs := make([]string, 0, 2*len(args))
	for i, a := range args {
		pairs = append(pairs, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return strings.NewReplacer(pairs...).Replace(m)
}

// Lang is the catalogue's language code.
func (c *catalogue) Lang() string { return c.lang }

// Has reports whether key is in the catalogue.
func (c *catalogue) Has(key string) bool {
	_, ok := c.msgs[key]
	return ok
}

// langCookie is the cookie holding an explicit choice of language.
const langCookie = "lang"

// chooseLang picks the language of a request: an explicit choice in the
// lang cookie, else the best match of Accept-Language, else French.
func chooseLang(r *http.Request, matcher language.Matcher) string {
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	accept := r.Header.Get("Accept-Language")
	if accept == "" || len(accept) > 512 {
		return defaultLang
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return defaultLang
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No || idx < 0 || idx >= len(langCodes) {
		return defaultLang
	}
	return langCodes[idx]
}

func validLang(code string) bool {
	for _, c := range langCodes {
		if c == code {
			return true
		}
	}
	return false
}

// otherLang is the language offered by the switch on a page in lang.
func otherLang(lang string) string {
	if lang == "fr" {
		return "en"
	}
	return "fr"
}

// Names for dates. French names are written in lower case, as French does.
var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// nbsp keeps "14 h 30" and "24 novembre" on one line.
const nbsp = "\u00a0"

// dates formats times for people, in one language and one time zone.
type dates struct {
	lang string
	loc  *time.Location
}

// Day formats the calendar day: "lundi 24 novembre 2026" or
// "Monday 24 November 2026".
func (d dates) Day(t time.Time) string {
	t = t.In(d.loc)
	if d.lang == "fr" {
		day := strconv.Itoa(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return frDays[t.Weekday()] + " " + day + nbsp + frMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("Monday 2" + nbsp + "January 2006")
}

// Clock formats the time of day: "14 h 30" or "2:30 pm".
func (d dates) Clock(t time.Time) string {
	t = t.In(d.loc)
	if d.lang == "fr" {
		return fmt.Sprintf("%d"+nbsp+"h"+nbsp+"%02d", t.Hour(), t.Minute())
	}
	return t.Format("3:04" + nbsp + "pm")
}

// DateTime formats a moment: "lundi 24 novembre 2026 à 14 h 30" or
// "Monday 24 November 2026, 2:30 pm".
func (d dates) DateTime(t time.Time) string {
	if d.lang == "fr" {
		return d.Day(t) + " à " + d.Clock(t)
	}
	return d.Day(t) + ", " + d.Clock(t)
}

// ISO formats t for the datetime attribute of <time>.
func (d dates) ISO(t time.Time) string {
	return t.In(d.loc).Format(time.RFC3339)
}

// ISODay formats t's calendar day in d's zone as YYYY-MM-DD.
func (d dates) ISODay(t time.Time) string {
	return t.In(d.loc).Format("2006-01-02")
}
