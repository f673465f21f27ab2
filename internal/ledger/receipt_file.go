package ledger

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/guichet/guichet/internal/casefile"
)

// CheckedReceipt builds the receipt of event e of the case ref (as
// ReceiptForEvent, against the latest published checkpoint) and verifies
// it with the log's own primary key before returning it, so a receipt
// handed to a citizen is known to pass `guichet verify receipt`. It fails
// with guichet.ErrNotFound while the event is not yet sequenced and
// published.
func (l *Log) CheckedReceipt(ctx context.Context, idx EventIndexer, ref string, salt []byte, e casefile.Event) (*Receipt, *ReceiptResult, error) {
	r, err := l.ReceiptForEvent(ctx, idx, ref, salt, e)
	if err != nil {
		return nil, nil, err
	}
	res, err := VerifyReceipt(r, l.VerifierKey())
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: receipt for %s fails its own check: %w", ref, err)
	}
	return r, res, nil
}

// Marshal returns the receipt file as the citizen downloads it: indented
// JSON ending with a newline, which ParseReceipt reads back.
func (r *Receipt) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt for %s: %w", r.Ref, err)
	}
	return append(b, '\n'), nil
}
