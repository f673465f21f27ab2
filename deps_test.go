package guichet_test

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/mod/modfile"
)

// allowedDeps are the direct dependencies the project agreed on (see
// HOUSE_STYLE.md), each for a job the standard library does not do. Adding
// one is a conscious choice: justify it in the commit that edits this list.
var allowedDeps = map[string]string{
	"modernc.org/sqlite":              "embedded SQL store, pure Go",
	"github.com/jackc/pgx/v5":         "PostgreSQL store",
	"golang.org/x/crypto":             "argon2id password hashing; Keccak-256 (sha3) for EIP-55 addresses",
	"golang.org/x/mod":                "signed notes and Merkle proofs (sumdb/note, sumdb/tlog)",
	"golang.org/x/text":               "language matching",
	"golang.org/x/net":                "indicator normalisation: IDNA (UTS #46) and the Public Suffix List",
	"github.com/nyaruka/phonenumbers": "phone number normalisation",
	"github.com/pquerna/otp":          "TOTP second factor",
	"github.com/go-webauthn/webauthn": "passkeys as a second factor",
	"gocloud.dev":                     "evidence blob storage (file, S3)",
	"rsc.io/qr":                       "QR codes on receipts and TOTP enrolment",
	"github.com/go-pdf/fpdf":          "PDF receipts and complaint records",
	"github.com/coreos/go-oidc/v3":    "citizen strong identity (OIDC), when built",
	// Tests only (internal/evidence/s3fake): an in-process S3 server, so
	// the s3:// driver is tested over the real protocol without a cloud
	// account or a MinIO binary. Not linked into the guichet binary.
	"github.com/johannesboyne/gofakes3": "in-process S3 server for the tests of s3:// storage",
}

// TestDirectDependencies fails when go.mod requires a module directly that
// the list above does not allow.
func TestDirectDependencies(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var direct []string
	for _, r := range f.Require {
		if r.Indirect {
			continue
		}
		direct = append(direct, r.Mod.Path)
		if _, ok := allowedDeps[r.Mod.Path]; !ok {
			t.Errorf("go.mod requires %s directly, which is not an agreed dependency: justify it and add it to allowedDeps", r.Mod.Path)
		}
	}
	if !slices.Contains(direct, "modernc.org/sqlite") {
		t.Errorf("go.mod was not read right: direct requirements %v", direct)
	}
}
