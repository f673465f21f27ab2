package main

import (
	"context"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/web"
)

// logReceipt is the citizen's transparency-log receipt of event ev of the
// case ref, proved against the latest checkpoint and checked with the
// log's own key before it is handed out (web.LogReceiptFunc).
func (a *app) logReceipt(ctx context.Context, ref string, salt []byte, ev casefile.Event) (web.LogProof, error) {
	r, res, err := a.lg.CheckedReceipt(ctx, a.store, ref, salt, ev)
	if err != nil {
		return web.LogProof{}, err
	}
	b, err := r.Marshal()
	if err != nil {
		return web.LogProof{}, err
	}
	return web.LogProof{Index: res.Index, TreeSize: res.TreeSize, JSON: b}, nil
}
