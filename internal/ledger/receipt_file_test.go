package ledger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

func TestCheckedReceiptAndFetchEntries(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob)
	ref, salt := "PP-2026-7KQ3-M9TX", []byte("sixteen byte salt")
	ev := citizenEvent("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	ob.add(testLeaves(0, 300)...)
	ob.addEvent(ev.ID, casefile.NewLeaf(salt, ref, ev).MarshalCanonical())
	if _, _, err := l.CheckedReceipt(t.Context(), ob, ref, salt, ev); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("before sequencing: %v, want ErrNotFound", err)
	}
	ob.add(testLeaves(300, 20)...)
	drain(t, l)

	r, res, err := l.CheckedReceipt(t.Context(), ob, ref, salt, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != 300 || res.TreeSize != 321 || res.Ref != ref {
		t.Fatalf("result %+v", res)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseReceipt(b)
	if err != nil || !bytes.HasSuffix(b, []byte("}\n")) {
		t.Fatalf("marshalled receipt does not read back: %v", err)
	}
	if _, err := VerifyReceipt(back, l.VerifierKey()); err != nil {
		t.Fatal(err)
	}
	// Another case's salt gives another leaf: refused, not proved.
	if _, _, err := l.CheckedReceipt(t.Context(), ob, ref, []byte("another salt"), ev); err == nil {
		t.Fatal("a receipt with the wrong salt was built")
	}

	srv := serveTest(t, l)
	entries, err := FetchEntries(t.Context(), HTTPFetcher(nil, srv.URL+"/log"), l.Size())
	if err != nil {
		t.Fatal(err)
	}
	want := ob.byIndex(t)
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for i := range want {
		if !bytes.Equal(entries[i], want[i]) {
			t.Fatalf("entry %d differs", i)
		}
	}
	if _, err := FetchEntries(t.Context(), HTTPFetcher(nil, srv.URL+"/log"), l.Size()+1); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("entries beyond the checkpoint: %v, want ErrNotFound", err)
	}
}
