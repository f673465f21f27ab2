package web

import (
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/report"
)

// Public warnings (avis): the list of current bulletins, one bulletin's
// page, its A4 poster and CAP document, the Atom and CAP-in-Atom feeds,
// and the page for young people and their parents. Everything is read
// from published versions only; drafts never leave the back-office.

func (s *Server) avisRoutes() {
	if s.d.Bulletins == nil {
		return
	}
	s.handle("GET /avis", s.avisList)
	s.handle("GET /avis/jeunes", s.avisYoung)
	s.handle("GET /avis/flux.atom", s.avisAtom)
	s.handle("GET /avis/cap.atom", s.avisCAPIndex)
	s.handle("GET /avis/{key}", s.avisPage)
	s.handle("GET /avis/{key}/affiche.pdf", s.avisPoster)
	s.agentAvisRoutes()
}

// feedMaxAge is how long caches may keep a feed or a CAP document: short,
// so that a withdrawal reaches subscribers within minutes.
const feedMaxAge = "public, max-age=300"

// avisView is a bulletin as the public pages show it, in the page's
// language.
type avisView struct {
	Ref, Slug   string
	Text        bulletin.Text
	Level       bulletin.Level
	Audiences   []bulletin.Audience
	PublishedAt time.Time
	UpdatedAt   time.Time
	Version     int
	ValidUntil  time.Time
	Looks, Do   template.HTML
	Category    report.Category
	Withdrawn   time.Time
	Expired     bool
	// Cited are the published indicators the bulletin cites, as people
	// would see them (the key without its kind).
	Cited []string
}

func newAvisView(b *bulletin.Bulletin, lang string, now time.Time) avisView {
	c := &b.Published.Content
	t := c.Text(lang)
	return avisView{Ref: b.Ref(), Slug: b.Slug, Text: t, Level: c.Level, Audiences: c.Audiences,
		PublishedAt: b.PublishedAt, UpdatedAt: b.Published.At, Version: b.Published.N, ValidUntil: c.ValidUntil,
		Looks: bulletin.Render(t.Looks), Do: bulletin.Render(t.Do), Category: c.Category, Withdrawn: b.WithdrawnAt,
		Expired: !c.ValidUntil.IsZero() && !now.Before(c.ValidUntil), Cited: citedValues(c.Keys)}
}

// citedValues are keys ("phone:+33199001234") as values ("+33199001234").
func citedValues(keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, v, ok := strings.Cut(k, ":"); ok {
			out = append(out, v)
		}
	}
	return out
}

type avisListData struct {
	Bulletins []avisView
	Audience  bulletin.Audience
	Audiences []bulletin.Audience
	AtomURL   string
}

func (s *Server) avisAtomPath(lang string) string {
	if lang == "fr" {
		return "/avis/flux.atom"
	}
	return "/avis/flux.atom?lang=" + lang
}

func (s *Server) avisList(w http.ResponseWriter, r *http.Request) error {
	aud := bulletin.Audience(r.URL.Query().Get("pour"))
	if aud != "" && !slices.Contains(bulletin.Audiences, aud) {
		aud = ""
	}
	cur, err := s.d.Bulletins.Current(r.Context(), s.now(), aud)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	d := &avisListData{Audience: aud, Audiences: bulletin.Audiences, AtomURL: s.avisAtomPath(p.Lang)}
	for i := range cur {
		d.Bulletins = append(d.Bulletins, newAvisView(&cur[i], p.Lang, s.now()))
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "avis_list", p)
}

type avisPageData struct {
	B        avisView
	Versions []bulletin.Version
	AtomURL  string
}

func (s *Server) avisPage(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	if ref, ok := strings.CutSuffix(key, ".cap.xml"); ok {
		return s.avisCAP(w, r, ref)
	}
	b, err := s.d.Bulletins.Public(r.Context(), key)
	if err != nil {
		return err
	}
	vs, err := s.d.Bulletins.Versions(r.Context(), b)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Data = &avisPageData{B: newAvisView(&b, p.Lang, s.now()), Versions: vs, AtomURL: s.avisAtomPath(p.Lang)}
	status := http.StatusOK
	if b.Withdrawn() {
		// Still shown, so that a link in an old message or poster
		// explains itself, but said to be gone.
		status = http.StatusGone
	}
	return s.render(w, r, status, "avis_page", p)
}

type avisYoungData struct {
	Bulletins []avisView
}

func (s *Server) avisYoung(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.d.Bulletins.Current(r.Context(), s.now(), bulletin.AudienceYoung)
	if err != nil {
		return err
	}
	p := s.newPage(r)
	d := &avisYoungData{}
	for i := range cur {
		if slices.Contains(cur[i].Published.Content.Audiences, bulletin.AudienceYoung) {
			d.Bulletins = append(d.Bulletins, newAvisView(&cur[i], p.Lang, s.now()))
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "avis_young", p)
}

// avisSite is where the feeds are, with their words from the catalogues.
func (s *Server) avisSite(r *http.Request) bulletin.Site {
	site := bulletin.Site{Base: s.absURL(r, ""), Labels: map[string]bulletin.Labels{}}
	for _, lang := range bulletin.Langs {
		c := s.cats[lang]
		l := bulletin.Labels{FeedTitle: c.T("avis.feed.title"), FeedSubtitle: c.T("avis.feed.subtitle"), CAPTitle: c.T("avis.feed.cap_title"),
			Looks: c.T("avis.looks"), Do: c.T("avis.do"), SenderName: c.T("avis.feed.sender"), Contact: c.T("avis.feed.contact"),
			Area: c.T("avis.feed.area"), Audiences: map[bulletin.Audience]string{}}
		for _, a := range bulletin.Audiences {
			l.Audiences[a] = c.T("avis.audience." + string(a))
		}
		site.Labels[lang] = l
	}
	return site
}

// serveFeed writes a generated document with caching headers: an ETag of
// its bytes, Last-Modified of the latest change, a short max-age; a
// matching If-None-Match gets 304.
func serveFeed(w http.ResponseWriter, r *http.Request, typ string, body []byte, modified time.Time) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Cache-Control", feedMaxAge)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && r.Header.Get("If-None-Match") == "" &&
		!modified.IsZero() && !modified.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

func lastChange(bs []bulletin.Bulletin) time.Time {
	var t time.Time
	for _, b := range bs {
		for _, c := range []time.Time{b.Published.At, b.WithdrawnAt} {
			if c.After(t) {
				t = c
			}
		}
	}
	return t
}

func (s *Server) avisAtom(w http.ResponseWriter, r *http.Request) error {
	lang := "fr"
	if r.URL.Query().Get("lang") == "en" {
		lang = "en"
	}
	bs, err := s.d.Bulletins.Published(r.Context())
	if err != nil {
		return err
	}
	var live []bulletin.Bulletin
	for _, b := range bs {
		if !b.Withdrawn() {
			live = append(live, b)
		}
	}
	body, err := bulletin.Atom(s.avisSite(r), lang, live)
	if err != nil {
		return err
	}
	return serveFeed(w, r, "application/atom+xml; charset=utf-8", body, lastChange(live))
}

func (s *Server) avisCAPIndex(w http.ResponseWriter, r *http.Request) error {
	bs, err := s.d.Bulletins.Published(r.Context())
	if err != nil {
		return err
	}
	versions := make(map[string][]bulletin.Version, len(bs))
	for _, b := range bs {
		vs, err := s.d.Bulletins.Versions(r.Context(), b)
		if err != nil {
			return err
		}
		versions[b.Ref()] = vs
	}
	body, err := bulletin.CAPIndex(s.avisSite(r), bs, func(b *bulletin.Bulletin) []bulletin.Version { return versions[b.Ref()] })
	if err != nil {
		return err
	}
	return serveFeed(w, r, "application/atom+xml; charset=utf-8", body, lastChange(bs))
}

func (s *Server) avisCAP(w http.ResponseWriter, r *http.Request, ref string) error {
	b, err := s.d.Bulletins.Public(r.Context(), ref)
	if err != nil {
		return err
	}
	if b.Ref() != strings.ToUpper(ref) {
		return errNotFound // CAP documents are named by reference only
	}
	vs, err := s.d.Bulletins.Versions(r.Context(), b)
	if err != nil {
		return err
	}
	body, err := bulletin.CAP(s.avisSite(r), &b, vs, s.now())
	if err != nil {
		return err
	}
	return serveFeed(w, r, "application/cap+xml; charset=utf-8", body, lastChange([]bulletin.Bulletin{b}))
}

func (s *Server) avisPoster(w http.ResponseWriter, r *http.Request) error {
	b, err := s.d.Bulletins.Public(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	if b.Withdrawn() {
		return errGone
	}
	p := s.newPage(r)
	c := p.cat
	body, err := bulletin.Poster(&b, p.Lang, s.absURL(r, "/avis/"+b.Slug), bulletin.PosterLabels{
		Band: c.T("avis.poster.band"), Level: c.T("avis.level." + string(b.Published.Content.Level)),
		Looks: c.T("avis.looks"), Do: c.T("avis.do"), Scan: c.T("avis.poster.scan"), Emergency: c.T("avis.poster.emergency"),
		Footer: c.T("avis.poster.footer", b.Ref(), b.Published.N)})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `inline; filename="avis-`+b.Slug+`.pdf"`)
	w.Header().Add("Vary", "Accept-Language, Cookie")
	return serveFeed(w, r, "application/pdf", body, b.Published.At)
}

var errGone = &goneError{}

type goneError struct{}

func (*goneError) Error() string { return "bulletin withdrawn" }
func (*goneError) Unwrap() error { return guichet.ErrNotFound }
