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

// AgentSignIn is what the sign-in, activation and security pages need
// (*account.Service satisfies it). When Deps.Agents implements it, those
// pages are served; otherwise only Authenticate is used.
type AgentSignIn interface {
	AgentAuth
	Login(ctx context.Context, serviceNumber, password string) (string, error)
	PreAuth(ctx context.Context, token string) (account.PreAuth, error)
	VerifyCode(ctx context.Context, token, code string) (string, error)
	BeginPasskeyLogin(ctx context.Context, token string) ([]byte, error)
	FinishPasskeyLogin(ctx context.Context, token string, body []byte) (string, error)
	Logout(ctx context.Context, token string) error
	LogoutEverywhere(ctx context.Context, p account.Principal) (int, error)

	Enrolment(ctx context.Context, token string) (account.EnrolmentView, error)
	EnrolPassword(ctx context.Context, token, password, confirm string) error
	EnrolTOTP(ctx context.Context, token, code string) ([]string, string, error)

	Security(ctx context.Context, p account.Principal) (account.SecurityView, error)
	RegenerateRecoveryCodes(ctx context.Context, p account.Principal) ([]string, error)
	BeginPasskeyRegistration(ctx context.Context, p account.Principal) ([]byte, error)
	FinishPasskeyRegistration(ctx context.Context, p account.Principal, name string, body []byte) (account.Passkey, error)
	RemovePasskey(ctx context.Context, p account.Principal, id []byte) error
}

var _ AgentSignIn = (*account.Service)(nil)

// authRoutes registers the back-office sign-in pages.
func (s *Server) authRoutes() {}
