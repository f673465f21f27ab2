package casework

import (
	"context"
	"fmt"

	"github.com/guichet/guichet/internal/vault"
)

// Rewrapper re-wraps a data key under the current master key (see
// vault.Vault.Rewrap); it MUST also unwrap keys of retired master keys.
type Rewrapper interface {
	Rewrap(wrapped []byte) ([]byte, error)
}

// RewrapCount is what a rotation did to one kind of wrapped key.
type RewrapCount struct {
	Kind      string
	Seen      int // keys listed
	Current   int // already under the new master key, left alone
	Rewrapped int // re-wrapped and stored
	// Changed were re-wrapped but replaced meanwhile by someone else (a
	// draft saved during the rotation); run again to catch them.
	Changed int
}

// RewrapAll re-wraps, kind by kind and in batches of batch, every data key
// the store keeps that is not already under the master key keyID, which
// MUST be r's current key. Contents are never re-encrypted: a data key
// keeps opening what it sealed. Keys already under keyID are skipped, so a
// rotation stopped midway (crash, Ctrl-C) resumes where it was when run
// again with the same keyID. Each batch is replaced in one transaction,
// compare-and-swap, so a key changed concurrently is never overwritten.
func RewrapAll(ctx context.Context, ks KeyStore, r Rewrapper, keyID string, batch int) ([]RewrapCount, error) {
	if batch <= 0 {
		batch = 500
	}
	var out []RewrapCount
	for _, kind := range ks.WrappedKeyKinds() {
		c := RewrapCount{Kind: kind}
		after := ""
		for {
			keys, err := ks.WrappedKeys(ctx, kind, after, batch)
			if err != nil {
				return out, fmt.Errorf("rewrap %s: %w", kind, err)
			}
			if len(keys) == 0 {
				break
			}
			after = keys[len(keys)-1].ID
			var repl []KeyReplacement
			for _, k := range keys {
				c.Seen++
				id, err := vault.KeyID(k.Key)
				if err != nil {
					return out, fmt.Errorf("rewrap %s %s: %w", kind, k.ID, err)
				}
				if id == keyID {
					c.Current++
					continue
				}
				nk, err := r.Rewrap(k.Key)
				if err != nil {
					return out, fmt.Errorf("rewrap %s %s: %w", kind, k.ID, err)
				}
				if got, _ := vault.KeyID(nk); got != keyID {
					return out, fmt.Errorf("rewrap %s: the vault wraps under %q, not %q", kind, got, keyID)
				}
				repl = append(repl, KeyReplacement{ID: k.ID, Old: k.Key, New: nk})
			}
			if len(repl) > 0 {
				n, err := ks.ReplaceWrappedKeys(ctx, kind, repl)
				if err != nil {
					return out, fmt.Errorf("rewrap %s: %w", kind, err)
				}
				c.Rewrapped += n
				c.Changed += len(repl) - n
			}
		}
		out = append(out, c)
	}
	return out, nil
}
