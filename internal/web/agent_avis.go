package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
)

// The back-office of public warnings, for analysts and supervisors: the
// list, a form to write a draft (errors beside the fields, what was typed
// kept), its preview, publication, updates and withdrawal. The service
// checks the role on every call; the pages are not offered to others.

func (s *Server) agentAvisRoutes() {
	if s.d.Agents == nil {
		return
	}
	s.handle("GET /agent/avis", s.agentOnly(s.agentAvisList))
	s.handle("GET /agent/avis/nouveau", s.agentOnly(s.agentAvisNew))
	s.handle("POST /agent/avis/nouveau", s.agentOnly(s.agentAvisCreate))
	s.handle("GET /agent/avis/{ref}", s.agentOnly(s.agentAvisEdit))
	s.handle("POST /agent/avis/{ref}", s.agentOnly(s.agentAvisSave))
	s.handle("POST /agent/avis/{ref}/publier", s.agentOnly(s.agentAvisPublish))
	s.handle("POST /agent/avis/{ref}/retirer", s.agentOnly(s.agentAvisWithdraw))
}

type agentAvisRow struct {
	Ref, Title string
	Status     string
	Version    int
	Draft      bool
	Changed    time.Time
}

type agentAvisListData struct {
	Rows []agentAvisRow
}

func (s *Server) agentAvisList(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bs, err := s.d.Bulletins.List(r.Context(), pr)
	if err != nil {
		return err
	}
	d := &agentAvisListData{}
	for _, b := range bs {
		row := agentAvisRow{Ref: b.Ref(), Status: string(b.Case.Status), Draft: b.Draft != nil, Changed: b.Case.UpdatedAt}
		if b.Published != nil {
			row.Version, row.Title = b.Published.N, b.Published.Content.Text(s.newPage(r).Lang).Title
		}
		if b.Draft != nil && row.Title == "" {
			row.Title = b.Draft.Text(s.newPage(r).Lang).Title
		}
		d.Rows = append(d.Rows, row)
	}
	p := s.newPage(r)
	p.Data = d
	return s.render(w, r, http.StatusOK, "agent_avis_list", p)
}

// agentAvisFormData is the form of a bulletin, with its preview.
type agentAvisFormData struct {
	Ref       string // "" for a new bulletin
	Status    string
	Published bool // a version is published: the slug is fixed
	Withdrawn bool
	HasDraft  bool
	Levels    []bulletin.Level
	Audiences []bulletin.Audience
	Cats      []report.Category
	Preview   map[string]avisView // "fr", "en": the draft as it will read
	Versions  []bulletin.Version
	Done      string
	Slug      string
	// Langs are the texts' fields, per language.
	Langs                  []avisLangFields
	DateFields, ListFields []string
}

type avisLangFields struct {
	Lang, LegendKey string
	Fields          []avisTextField
}

type avisTextField struct {
	Name, ID, LabelKey string
	Textarea, Markup   bool
}

func avisTextFields() []avisLangFields {
	var out []avisLangFields
	for _, lang := range bulletin.Langs {
		lf := avisLangFields{Lang: lang, LegendKey: "aavis.f.lang_" + lang}
		for _, f := range []struct {
			name     string
			textarea bool
		}{{"title", false}, {"summary", true}, {"looks", true}, {"do", true}} {
			n := lang + "." + f.name
			lf.Fields = append(lf.Fields, avisTextField{Name: n, ID: fieldID(n), LabelKey: "aavis.f." + f.name,
				Textarea: f.textarea, Markup: f.name == "looks" || f.name == "do"})
		}
		out = append(out, lf)
	}
	return out
}

const avisDateLayout = "2006-01-02"

// avisValues are the form's values from a content.
func avisValues(c *bulletin.Content) map[string]string {
	v := map[string]string{"slug": c.Slug, "level": string(c.Level), "category": string(c.Category),
		"campaigns": strings.Join(c.Campaigns, "\n"), "keys": strings.Join(c.Keys, "\n")}
	for lang, t := range map[string]bulletin.Text{"fr": c.FR, "en": c.EN} {
		v[lang+".title"], v[lang+".summary"], v[lang+".looks"], v[lang+".do"] = t.Title, t.Summary, t.Looks, t.Do
	}
	if !c.ValidFrom.IsZero() {
		v["valid_from"] = c.ValidFrom.In(complaint.Paris).Format(avisDateLayout)
	}
	if !c.ValidUntil.IsZero() {
		v["valid_until"] = c.ValidUntil.In(complaint.Paris).Format(avisDateLayout)
	}
	for _, a := range c.Audiences {
		v["aud."+string(a)] = "on"
	}
	return v
}

// avisFromForm reads the form; dates it cannot read are field errors.
func avisFromForm(f url.Values) (bulletin.Content, *guichet.ValidationError) {
	var v guichet.ValidationError
	c := bulletin.Content{Slug: f.Get("slug"), Level: bulletin.Level(f.Get("level")), Category: report.Category(f.Get("category")),
		FR:        bulletin.Text{Title: f.Get("fr.title"), Summary: f.Get("fr.summary"), Looks: f.Get("fr.looks"), Do: f.Get("fr.do")},
		EN:        bulletin.Text{Title: f.Get("en.title"), Summary: f.Get("en.summary"), Looks: f.Get("en.looks"), Do: f.Get("en.do")},
		Campaigns: strings.Fields(f.Get("campaigns")), Keys: strings.Fields(f.Get("keys"))}
	for _, a := range f["audiences"] {
		c.Audiences = append(c.Audiences, bulletin.Audience(a))
	}
	if s := strings.TrimSpace(f.Get("valid_from")); s != "" {
		t, err := time.ParseInLocation(avisDateLayout, s, complaint.Paris)
		if err != nil {
			v.Add("valid_from", "avis.err.valid_from")
		}
		c.ValidFrom = t
	}
	if s := strings.TrimSpace(f.Get("valid_until")); s != "" {
		t, err := time.ParseInLocation(avisDateLayout, s, complaint.Paris)
		if err != nil {
			v.Add("valid_until", "avis.err.valid_until")
		}
		c.ValidUntil = t
	}
	return c, &v
}

func (s *Server) avisFormPage(r *http.Request, pr account.Principal, ref string) (*page, *agentAvisFormData, error) {
	p := s.newPage(r)
	d := &agentAvisFormData{Ref: ref, Levels: bulletin.Levels, Audiences: bulletin.Audiences, Cats: report.Categories, Langs: avisTextFields(),
		DateFields: []string{"valid_from", "valid_until"}, ListFields: []string{"campaigns", "keys"}}
	p.Values = map[string]string{}
	if ref == "" {
		p.Path = "/agent/avis/nouveau"
		p.Values["valid_from"] = s.now().In(complaint.Paris).Format(avisDateLayout)
		p.Values["level"] = string(bulletin.LevelWarning)
		p.Data = d
		return p, d, nil
	}
	b, err := s.d.Bulletins.Get(r.Context(), pr, ref)
	if err != nil {
		return nil, nil, err
	}
	d.Ref, d.Status, d.Published, d.Withdrawn, d.HasDraft, d.Slug = b.Ref(), string(b.Case.Status), b.Published != nil, b.Withdrawn(), b.Draft != nil, b.Slug
	p.Path = "/agent/avis/" + b.Ref()
	shown := b.Draft
	if shown == nil && b.Published != nil {
		shown = &b.Published.Content
	}
	if shown != nil {
		p.Values = avisValues(shown)
	}
	if b.Draft != nil {
		preview := b
		preview.Published = &bulletin.Version{N: 0, Content: *b.Draft}
		d.Preview = map[string]avisView{}
		for _, lang := range bulletin.Langs {
			d.Preview[lang] = newAvisView(&preview, lang, s.now())
		}
	}
	if b.Published != nil {
		if d.Versions, err = s.d.Bulletins.Versions(r.Context(), b); err != nil {
			return nil, nil, err
		}
	}
	p.Data = d
	return p, d, nil
}

func (s *Server) agentAvisNew(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if !bulletin.CanWrite(pr) {
		return fmt.Errorf("bulletins: role %q: %w", pr.Role, guichet.ErrForbidden)
	}
	p, _, err := s.avisFormPage(r, pr, "")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "agent_avis_form", p)
}

func (s *Server) agentAvisEdit(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, d, err := s.avisFormPage(r, pr, r.PathValue("ref"))
	if err != nil {
		return err
	}
	switch done := r.URL.Query().Get("fait"); done {
	case "created", "saved", "published", "withdrawn":
		d.Done = done
	}
	return s.render(w, r, http.StatusOK, "agent_avis_form", p)
}

// avisRefused shows the form again with err's field errors and what was
// typed; an error that is not about fields is returned as is.
func (s *Server) avisRefused(w http.ResponseWriter, r *http.Request, pr account.Principal, ref string, err error) error {
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	p, d, perr := s.avisFormPage(r, pr, ref)
	if perr != nil {
		return perr
	}
	c, _ := avisFromForm(r.PostForm)
	p.Values = avisValues(&c)
	// What was typed, exactly, even where it did not parse.
	for _, k := range []string{"valid_from", "valid_until", "slug", "campaigns", "keys"} {
		p.Values[k] = r.PostForm.Get(k)
	}
	if d.Published {
		p.Values["slug"] = d.Slug
	}
	p.setErrors(err)
	return s.render(w, r, http.StatusUnprocessableEntity, "agent_avis_form", p)
}

func (s *Server) readAvisForm(r *http.Request) (bulletin.Content, error) {
	bad, err := readForm(r)
	if err != nil {
		return bulletin.Content{}, fmt.Errorf("bulletins: %w: %w", guichet.ErrInvalid, err)
	}
	if bad != nil {
		return bulletin.Content{}, bad
	}
	c, v := avisFromForm(r.PostForm)
	return c, v.Err()
}

// mergeErrors adds the form's own errors (dates it could not read) to the
// service's, the form's first.
func mergeErrors(form, svc error) error {
	var fv, sv *guichet.ValidationError
	if !errors.As(form, &fv) {
		return svc
	}
	if errors.As(svc, &sv) {
		for _, f := range sv.Fields {
			if _, dup := fv.For(f.Field); !dup {
				fv.Fields = append(fv.Fields, f)
			}
		}
	}
	return fv
}

func (s *Server) agentAvisCreate(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	c, ferr := s.readAvisForm(r)
	if ferr != nil && !errors.As(ferr, new(*guichet.ValidationError)) {
		return ferr
	}
	if ferr != nil {
		if !bulletin.CanWrite(pr) {
			return fmt.Errorf("bulletins: role %q: %w", pr.Role, guichet.ErrForbidden)
		}
		// Check the rest too, so that every error shows at once.
		bulletin.Normalize(&c)
		verr := s.d.Bulletins.Check(r.Context(), &c)
		return s.avisRefused(w, r, pr, "", mergeErrors(ferr, verr))
	}
	ref, err := s.d.Bulletins.Create(r.Context(), pr, c)
	if err != nil {
		return s.avisRefused(w, r, pr, "", err)
	}
	return redirect(w, r, "/agent/avis/"+ref+"?fait=created")
}

func (s *Server) agentAvisSave(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	c, ferr := s.readAvisForm(r)
	if ferr != nil && !errors.As(ferr, new(*guichet.ValidationError)) {
		return ferr
	}
	if ferr != nil {
		if _, err := s.d.Bulletins.Get(r.Context(), pr, ref); err != nil {
			return err
		}
		bulletin.Normalize(&c)
		return s.avisRefused(w, r, pr, ref, mergeErrors(ferr, s.d.Bulletins.Check(r.Context(), &c)))
	}
	if err := s.d.Bulletins.SaveDraft(r.Context(), pr, ref, c); err != nil {
		return s.avisRefused(w, r, pr, ref, err)
	}
	return redirect(w, r, "/agent/avis/"+ref+"?fait=saved")
}

func (s *Server) agentAvisPublish(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("bulletins: %w: %w", guichet.ErrInvalid, err)
	}
	if _, err := s.d.Bulletins.Publish(r.Context(), pr, ref); err != nil {
		var v *guichet.ValidationError
		if errors.As(err, &v) {
			// A cited key unpublished since the draft was saved: show
			// the draft with the error beside the field.
			p, _, perr := s.avisFormPage(r, pr, ref)
			if perr != nil {
				return perr
			}
			p.setErrors(err)
			return s.render(w, r, http.StatusUnprocessableEntity, "agent_avis_form", p)
		}
		return err
	}
	return redirect(w, r, "/agent/avis/"+ref+"?fait=published")
}

func (s *Server) agentAvisWithdraw(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if _, err := readForm(r); err != nil {
		return fmt.Errorf("bulletins: %w: %w", guichet.ErrInvalid, err)
	}
	if err := s.d.Bulletins.Withdraw(r.Context(), pr, ref); err != nil {
		return err
	}
	return redirect(w, r, "/agent/avis/"+ref+"?fait=withdrawn")
}
