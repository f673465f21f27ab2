package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/station"
)

var errNotFound = fmt.Errorf("page: %w", guichet.ErrNotFound)

// routes registers every page. Paths are French, as the service is.
func (s *Server) routes() {
	s.handle("GET /{$}", s.home)
	s.handle("GET /langue/{code}", s.switchLang)
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.handle("GET /static/", s.assets.serve)
	s.handle("GET /commissariats", s.units)
	s.problemRoutes()

	s.handle("GET /preplainte", s.eligibilityForm)
	s.handle("POST /preplainte", s.eligibilitySubmit)
	s.handle("GET /preplainte/code", s.draftCodePage)
	s.handle("GET "+kindPath, s.kindForm)
	s.handle("POST "+kindPath, s.kindSubmit)
	s.handle("GET /preplainte/reprendre", s.resumeForm)
	s.handle("POST /preplainte/reprendre", s.resumeSubmit)
	s.handle("GET /preplainte/{etape}", s.stepForm)
	s.handle("POST /preplainte/{etape}", s.stepSubmit)
	s.handle("POST /preplainte/envoyer", s.submit)
	s.handle("GET /preplainte/envoyee", s.confirmationPage)
	s.handle("POST /preplainte/envoyee/oublier", s.forgetSent)
	s.handle("POST /preplainte/envoyee/courriel", s.emailCode)
	s.reportRoutes()
	s.reportDeskRoutes()
	s.dispatchRoutes()
	s.campaignRoutes()
	s.partnerRoutes()
	s.victimRoutes()
	s.alertRoutes()
	s.verifierRoutes()
	s.statsRoutes()
	s.avisRoutes()
	// The upload handler bounds its body itself (see evidenceAdd).
	s.handleLimit("POST /preplainte/preuves/ajouter", 0, s.evidenceAdd)
	// The evidence step's form carries its file input (see
	// evidenceStepSubmit), bounded like an upload.
	s.handleLimit("POST /preplainte/preuves", 0, s.evidenceStepSubmit)
	s.handle("POST /preplainte/preuves/{id}/supprimer", s.evidenceRemove)

	s.handle("GET /suivi", s.trackForm)
	s.handle("POST /suivi", s.trackSubmit)
	s.handle("POST /suivi/quitter", s.trackLeave)
	s.handle("GET /suivi/{ref}", s.status)
	s.handle("GET /suivi/{ref}/recu", s.receiptPage)
	s.handle("GET /suivi/{ref}/recu.pdf", s.receiptPDF)
	s.handle("GET /suivi/{ref}/recu.json", s.receiptJSON)
	s.handle("POST /suivi/{ref}/preuve", s.refreshProof)
	s.handle("POST /suivi/{ref}/rendez-vous", s.reschedule)
	s.handle("GET /suivi/{ref}/rendez-vous/annuler", s.cancelForm)
	s.handle("POST /suivi/{ref}/rendez-vous/annuler", s.cancel)

	if s.d.Agents != nil {
		s.authRoutes()
	}
	if s.d.Cases != nil {
		s.caseRoutes()
	}

	// The page explaining the log; the rest of /log/ is the log's own.
	s.handle("GET /log/{$}", s.logPage)
	if s.d.Log != nil {
		log := s.d.Log
		s.mux.Handle("/log/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if info := infoFrom(r.Context()); info != nil {
				info.route = "/log/"
			}
			log.ServeHTTP(w, r)
		}))
	}
	s.handle("/", func(http.ResponseWriter, *http.Request) error { return errNotFound })
}

// homeData is the home page's data: whether the silent alert, the
// public warnings and the checker are offered.
type homeData struct{ Alert, Avis, Verifier bool }

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r)
	p.Data = homeData{Alert: s.d.Alerts != nil, Avis: s.d.Bulletins != nil, Verifier: s.d.Verifier != nil}
	return s.render(w, r, http.StatusOK, "home", p)
}

// switchLang remembers the chosen language for a year and goes back to
// the page the citizen was on.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if !validLang(code) {
		return errNotFound
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteLaxMode,
	})
	return redirect(w, r, localPath(r.URL.Query().Get("retour")))
}

// localPath returns p when it is a path on this site, and "/" otherwise,
// so that no link can send the citizen elsewhere (open redirect).
func localPath(p string) string {
	if len(p) == 0 || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return p
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.d.Ready != nil {
		if err := s.d.Ready(r.Context()); err != nil {
			s.d.Logger.WarnContext(r.Context(), "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return nil
		}
	}
	_, _ = w.Write([]byte("ok\n"))
	return nil
}

// unitsData is the list of units near a place.
type unitsData struct {
	Query string
	Units []station.Ranked
	More  bool
}

// maxUnitsShown bounds a list of units; a search narrows it.
const maxUnitsShown = 10

// units lists police stations and gendarmerie brigades near a postcode or
// town, for citizens who must go there in person.
func (s *Server) units(w http.ResponseWriter, r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("units: %w: %w", guichet.ErrInvalid, err)
	}
	q := cutText(strings.TrimSpace(r.Form.Get("q")), 100)
	p := s.newPage(r)
	p.Values = map[string]string{"q": q}
	if bad != nil {
		p.setErrors(bad)
		p.Data = unitsData{Query: q}
		return s.render(w, r, http.StatusUnprocessableEntity, "units", p)
	}
	ranked, err := s.d.Complaints.Stations(r.Context(), q, 0, 0, false)
	if err != nil {
		return err
	}
	d := unitsData{Query: q, Units: ranked}
	if len(d.Units) > maxUnitsShown {
		d.Units, d.More = d.Units[:maxUnitsShown], true
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "units", p)
}
