package account_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/vault"
)

// softKey is a software authenticator: one ECDSA P-256 credential, with
// the byte layouts of WebAuthn Level 2 §6.1 (authenticator data) and a
// "none" attestation.
type softKey struct {
	key     *ecdsa.PrivateKey
	id      []byte
	counter uint32
}

var b64u = base64.RawURLEncoding

const origin = "https://guichet.example"

func newSoftKey(t *testing.T) *softKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id}
}

func challengeOf(t *testing.T, opts []byte) string {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options %s: %v", opts, err)
	}
	return o.PublicKey.Challenge
}

func (k *softKey) authData(flags byte, attested bool, t *testing.T) []byte {
	rp := sha256.Sum256([]byte("guichet.example"))
	out := append([]byte{}, rp[:]...)
	out = append(out, flags)
	k.counter++
	out = binary.BigEndian.AppendUint32(out, k.counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
		out = append(out, k.id...)
		pub, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
			PublicKeyData: webauthncose.PublicKeyData{KeyType: 2, Algorithm: -7},
			Curve:         1,
			XCoord:        k.key.X.FillBytes(make([]byte, 32)),
			YCoord:        k.key.Y.FillBytes(make([]byte, 32)),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pub...)
	}
	return out
}

func clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers a registration ceremony.
func (k *softKey) create(t *testing.T, opts []byte) []byte {
	cd := clientData("webauthn.create", challengeOf(t, opts))
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(0x45, true, t)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att)},
	})
	return b
}

// get answers a sign-in ceremony for the agent whose ID is user.
func (k *softKey) get(t *testing.T, opts []byte, user string) []byte {
	cd := clientData("webauthn.get", challengeOf(t, opts))
	ad := k.authData(0x05, false, t)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]string{
			"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString([]byte(user)),
		},
	})
	return b
}

func TestPasskeys(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	a := e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	p, err := e.svc.Authenticate(ctx, e.signIn(t, "AGT-1"))
	if err != nil {
		t.Fatal(err)
	}
	k := newSoftKey(t)

	// Registration; an answer without a ceremony under way is refused.
	_, err = e.svc.FinishPasskeyRegistration(ctx, p, "Clé USB", k.create(t, []byte(`{"publicKey":{"challenge":"AAAA"}}`)))
	isKind(t, err, guichet.ErrConflict)
	opts, err := e.svc.BeginPasskeyRegistration(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong challenge fails the ceremony (and uses it up).
	if _, err := e.svc.FinishPasskeyRegistration(ctx, p, "x", k.create(t, []byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`))); !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("wrong challenge: %v", err)
	}
	opts, _ = e.svc.BeginPasskeyRegistration(ctx, p)
	pk, err := e.svc.FinishPasskeyRegistration(ctx, p, "Clé USB", k.create(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	if pk.Name != "Clé USB" || string(pk.ID) != string(k.id) {
		t.Errorf("passkey %+v", pk)
	}

	// Sign-in with password + passkey instead of a code.
	pre, err := e.svc.Login(ctx, "AGT-1", password)
	if err != nil {
		t.Fatal(err)
	}
	pa, _ := e.svc.PreAuth(ctx, pre)
	if pa.Passkeys != 1 {
		t.Errorf("PreAuth.Passkeys = %d", pa.Passkeys)
	}
	opts, err = e.svc.BeginPasskeyLogin(ctx, pre)
	if err != nil {
		t.Fatal(err)
	}
	assertion := k.get(t, opts, a.ID)
	full, err := e.svc.FinishPasskeyLogin(ctx, pre, assertion)
	if err != nil {
		t.Fatal(err)
	}
	if full == pre {
		t.Error("token not renewed")
	}
	if _, err := e.svc.Authenticate(ctx, full); err != nil {
		t.Fatal(err)
	}

	// A replayed assertion fails: the new ceremony has another challenge.
	pre2, _ := e.svc.Login(ctx, "AGT-1", password)
	_, _ = e.svc.BeginPasskeyLogin(ctx, pre2)
	_, err = e.svc.FinishPasskeyLogin(ctx, pre2, assertion)
	isKind(t, err, guichet.ErrInvalid)
	// A forged signature fails too.
	opts, _ = e.svc.BeginPasskeyLogin(ctx, pre2)
	forged := newSoftKey(t)
	forged.id = k.id
	_, err = e.svc.FinishPasskeyLogin(ctx, pre2, forged.get(t, opts, a.ID))
	isKind(t, err, guichet.ErrInvalid)
	row, _ := e.store.AgentByServiceNumber(ctx, "AGT-1")
	if row.Failures != 2 {
		t.Errorf("refused assertions counted %d failures, want 2", row.Failures)
	}

	if err := e.svc.RemovePasskey(ctx, p, k.id); err != nil {
		t.Fatal(err)
	}
	pre3, _ := e.svc.Login(ctx, "AGT-1", password)
	_, err = e.svc.BeginPasskeyLogin(ctx, pre3)
	isKind(t, err, guichet.ErrNotFound)
}

// FuzzParseAssertion: the JSON a browser posts to sign in with a passkey.
func FuzzParseAssertion(f *testing.F) {
	f.Add([]byte(`{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = account.ParseAssertion(b)
		_, _ = account.ParseCreation(b)
	})
}

// On an IP address passkeys are off: one kept from a former domain name
// is not offered at sign-in, and every ceremony answers not found.
func TestPasskeysOffOnIP(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	a := e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	if err := e.store.AddPasskey(ctx, account.Passkey{ID: []byte("old"), AgentID: a.ID, Name: "Clé", Data: []byte(`{}`), CreatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, vault.KeySize)
	v, _ := vault.New(key, "t1", nil)
	cfg := account.DefaultConfig("http://127.0.0.1:8080")
	cfg.Argon2 = cheap
	svc, err := account.New(cfg, account.Deps{Store: e.store, Vault: v, Clock: e.clk, IDs: e.ids})
	if err != nil {
		t.Fatal(err)
	}
	if svc.PasskeysEnabled() {
		t.Fatal("passkeys on for an IP address")
	}
	pre, err := svc.Login(ctx, "AGT-1", password)
	if err != nil {
		t.Fatal(err)
	}
	if pa, err := svc.PreAuth(ctx, pre); err != nil || pa.Passkeys != 0 {
		t.Errorf("PreAuth = %d passkeys, %v; want none offered", pa.Passkeys, err)
	}
	_, err = svc.BeginPasskeyLogin(ctx, pre)
	isKind(t, err, guichet.ErrNotFound)
	p, err := e.svc.Authenticate(ctx, e.signIn(t, "AGT-1"))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := svc.Security(ctx, p); err != nil || v.PasskeysEnabled || len(v.Passkeys) != 1 {
		t.Errorf("Security = enabled %v, %d passkeys, %v; want off, the kept one listed (removable)", v.PasskeysEnabled, len(v.Passkeys), err)
	}
}
