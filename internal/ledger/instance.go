package ledger

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/guichet/guichet"
)

// InstancePath is the TileStore path of the log's instance ID: random,
// written once with the log's first claim, so that a database can tell
// its own log from another one.
const InstancePath = "instance"

// InstanceRegistry is the application database's record of which log it
// belongs with. ClaimLogInstance MUST run decide under a lock serializing
// every claim on the database, with the instance ID recorded ("" if
// none), and record the ID decide returns when none was recorded; an
// error from decide records nothing and is returned.
type InstanceRegistry interface {
	ClaimLogInstance(ctx context.Context, decide func(recorded string) (string, error)) error
}

// ClaimInstance ties the database reg to the log in st: the first claim
// gives the store a random instance ID (unless it has one) and records it
// in the database; later claims succeed only with a store holding that
// ID. A node whose store is not the database's log — typically a second
// node keeping its tiles in its own data directory — fails with an error
// wrapping guichet.ErrConflict, so that two logs never sequence one
// outbox. where names st for the error (e.g. the directory).
func ClaimInstance(ctx context.Context, st TileStore, reg InstanceRegistry, where string, rnd io.Reader) error {
	return reg.ClaimLogInstance(ctx, func(recorded string) (string, error) {
		raw, err := st.Get(ctx, InstancePath)
		if err != nil && !errors.Is(err, guichet.ErrNotFound) {
			return "", fmt.Errorf("ledger: read the log's instance ID: %w", err)
		}
		have := strings.TrimSpace(string(raw))
		switch {
		case have == recorded && have != "":
			return have, nil
		case recorded == "" && have != "":
			return have, nil
		case recorded == "":
			var b [16]byte
			if _, err := io.ReadFull(rnd, b[:]); err != nil {
				return "", fmt.Errorf("ledger: instance ID: %w", err)
			}
			id := hex.EncodeToString(b[:])
			if err := st.Put(ctx, []Object{{InstancePath, []byte(id + "\n")}}); err != nil {
				return "", fmt.Errorf("ledger: write the log's instance ID: %w", err)
			}
			return id, nil
		case have == "":
			return "", fmt.Errorf("ledger: the database belongs to the transparency log %s, which is not in %s (a log store of its own: another node's data directory?); nodes sharing a database MUST share the log's bucket: give every node the same --log-blob s3://…: %w", recorded, where, guichet.ErrConflict)
		default:
			return "", fmt.Errorf("ledger: %s holds the transparency log %s, but the database belongs to the log %s; nodes sharing a database MUST share the log's bucket (--log-blob s3://…): %w", where, have, recorded, guichet.ErrConflict)
		}
	})
}
