package web

// CaseDesk is what the back-office needs from the case-handling service.
type CaseDesk interface{}

// caseRoutes registers the back-office case pages.
func (s *Server) caseRoutes() {}
