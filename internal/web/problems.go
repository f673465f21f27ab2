package web

import (
	"net/http"
	"strings"

	"github.com/guichet/guichet/internal/problem"
)

// problemRoutes serves the page describing each problem type at its type
// URI (RFC 9457 asks that a dereferenceable type URI lead to
// documentation), and the list of them all.
func (s *Server) problemRoutes() {
	s.handle("GET /problemes", s.problemList)
	s.handle("GET /problemes/{slug}", s.problemPage)
}

// problemView is one problem type as its page describes it.
type problemView struct {
	Slug   string
	Key    string // catalogue prefix of its title
	About  string // catalogue key of its description
	URI    string
	Path   string
	Status int
}

type problemsData struct {
	Current *problemView // nil on the list
	All     []problemView
}

func (s *Server) problemViews() []problemView {
	var out []problemView
	for _, pt := range problem.Types() {
		out = append(out, problemView{
			Slug: pt.Slug, Key: pt.Key, About: problemAboutKey(pt), URI: s.problems.URI(pt),
			Path: pt.Path(), Status: pt.Status,
		})
	}
	return out
}

// problemAboutKey is the catalogue key describing pt to developers.
func problemAboutKey(pt *problem.Type) string {
	return "problem.about." + strings.ReplaceAll(pt.Slug, "-", "_")
}

func (s *Server) problemList(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(r)
	p.Data = problemsData{All: s.problemViews()}
	return s.render(w, r, http.StatusOK, "problems", p)
}

func (s *Server) problemPage(w http.ResponseWriter, r *http.Request) error {
	d := problemsData{All: s.problemViews()}
	for i := range d.All {
		if d.All[i].Slug == r.PathValue("slug") {
			d.Current = &d.All[i]
		}
	}
	if d.Current == nil {
		return errNotFound
	}
	p := s.newPage(r)
	p.Data = d
	return s.render(w, r, http.StatusOK, "problems", p)
}
