package web

import (
	"context"

	"github.com/guichet/guichet/internal/account"
)

// AgentAuth is what the back-office needs from the account service.
type AgentAuth interface {
	// Authenticate returns the principal of a live session token. It MUST
	// fail with an error wrapping guichet.ErrUnauthenticated for an unknown,
	// expired (idle or absolute) or revoked session.
	Authenticate(ctx context.Context, token string) (account.Principal, error)
}

// authRoutes registers the back-office sign-in pages.
func (s *Server) authRoutes() {}
