package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Client submits checkpoints to one witness and checks its cosignatures.
type Client struct {
	// URL is the witness's submission prefix; the client POSTs to
	// URL + "/add-checkpoint".
	URL string
	// Verifier checks the witness's cosignatures (from its vkey).
	Verifier note.Verifier
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

// NewClient returns a Client for the witness at url with verifier key vkey
// (type cosignature/v1).
func NewClient(url, vkey string, hc *http.Client) (*Client, error) {
	k, err := checkpoint.ParseVerifierKey(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", url, err)
	}
	if k.Type != checkpoint.TypeCosignatureV1 {
		return nil, fmt.Errorf("witness %s: key type 0x%02x is not cosignature/v1", url, k.Type)
	}
	v, err := checkpoint.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Client{URL: strings.TrimSuffix(url, "/"), Verifier: v, HTTP: hc}, nil
}

// Name returns the witness's key name.
func (c *Client) Name() string { return c.Verifier.Name() }

// AddCheckpoint asks the witness to cosign signedCheckpoint, proving it
// consistent with the witness's latest checkpoint of size oldSize. It
// returns the witness's verified cosignature line ("— name base64\n"),
// ready to append to the note. A 409 with the witness's size is returned
// as a *SizeConflictError so the caller can retry with a proof from that
// size.
func (c *Client) AddCheckpoint(ctx context.Context, oldSize int64, proof tlog.TreeProof, signedCheckpoint []byte) ([]byte, error) {
	body := MarshalAddCheckpoint(oldSize, proof, signedCheckpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.Name(), err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.Name(), err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("witness %s: read response: %w", c.Name(), err)
	}
	if resp.StatusCode == http.StatusConflict && resp.Header.Get("Content-Type") == "text/x.tlog.size" {
		n, err := parseSize(rb)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", c.Name(), err)
		}
		return nil, &SizeConflictError{Size: n}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("witness %s: %s: %s", c.Name(), resp.Status, strings.TrimSpace(string(rb)))
	}
	return c.pickCosignature(signedCheckpoint, rb)
}

// pickCosignature returns the response line that is a valid cosignature by
// the witness's key; other lines (other keys of the witness) are ignored,
// as the protocol requires.
func (c *Client) pickCosignature(signedCheckpoint, resp []byte) ([]byte, error) {
	if !bytes.HasSuffix(signedCheckpoint, []byte("\n")) {
		return nil, errors.New("witness: checkpoint does not end in a newline")
	}
	for _, line := range bytes.SplitAfter(resp, []byte("\n")) {
		if len(line) == 0 || !bytes.HasPrefix(line, []byte("— ")) || !bytes.HasSuffix(line, []byte("\n")) {
			continue
		}
		msg := append(bytes.Clone(signedCheckpoint), line...)
		n, err := note.Open(msg, note.VerifierList(c.Verifier))
		if err != nil {
			continue
		}
		for _, s := range n.Sigs {
			if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
				return line, nil
			}
		}
	}
	return nil, fmt.Errorf("witness %s: response holds no valid cosignature by its key", c.Name())
}
