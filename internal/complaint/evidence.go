package complaint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// AddEvidence seals and stores one uploaded file for the draft. The type is
// sniffed from the content; too large, too many or refused types fail with
// a *guichet.ValidationError on field "evidence" and store nothing.
func (s *Service) AddEvidence(ctx context.Context, code caseref.Code, name string, r io.Reader) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	var v guichet.ValidationError
	if len(st.Form.Evidence) >= s.cfg.MaxFiles {
		v.Add("evidence", "err.evidence.count", s.cfg.MaxFiles)
		return st, v.Err()
	}
	data, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxFileSize+1))
	if err != nil {
		return st, fmt.Errorf("draft %s: read upload: %w", d.ID, err)
	}
	switch {
	case len(data) == 0:
		v.Add("evidence", "err.evidence.empty")
	case int64(len(data)) > s.cfg.MaxFileSize:
		v.Add("evidence", "err.evidence.size", s.cfg.MaxFileSize>>20)
	}
	if err := v.Err(); err != nil {
		return st, err
	}
	ctype, err := s.d.Sniff(data)
	if err != nil {
		v.Add("evidence", "err.evidence.type")
		return st, v.Err()
	}
	id := s.d.IDs.New()
	sealed, err := s.d.Vault.SealWith(d.Sealed.WrappedKey, data, casefile.EvidenceAAD(d.ID, id))
	if err != nil {
		return st, fmt.Errorf("draft %s: seal evidence: %w", d.ID, err)
	}
	key := "evidence/" + id
	if err := s.d.Blobs.Put(ctx, key, sealed.Ciphertext); err != nil {
		return st, fmt.Errorf("draft %s: store evidence: %w", d.ID, err)
	}
	sum := sha256.Sum256(data)
	rec := casefile.Evidence{ID: id, OwnerID: d.ID, BlobKey: key, ContentType: ctype, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.d.Clock.Now()}
	if err := s.d.Store.AddEvidence(ctx, rec); err != nil {
		_ = s.d.Blobs.Delete(ctx, key)
		return st, fmt.Errorf("draft %s: record evidence: %w", d.ID, err)
	}
	st.Form.Evidence = append(st.Form.Evidence, EvidenceFile{ID: id, Name: cleanName(name), ContentType: ctype, Size: rec.Size})
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	s.d.Logger.InfoContext(ctx, "evidence added", "draft", d.ID, "evidence", id, "type", ctype, "size", rec.Size)
	return st, nil
}

// cleanName keeps a file name displayable: base name only, bounded.
func cleanName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' || name[i] == '\\' {
			name = name[i+1:]
			break
		}
	}
	r := []rune(name)
	if len(r) > 120 {
		r = r[:120]
	}
	if len(r) == 0 {
		return "fichier"
	}
	return string(r)
}

// RemoveEvidence deletes one file from the draft.
func (s *Service) RemoveEvidence(ctx context.Context, code caseref.Code, id string) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, e := range st.Form.Evidence {
		if e.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return st, fmt.Errorf("draft %s: evidence %s: %w", d.ID, id, guichet.ErrNotFound)
	}
	if err := s.d.Store.DeleteEvidence(ctx, d.ID, id); err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return st, err
	}
	st.Form.Evidence = append(st.Form.Evidence[:idx], st.Form.Evidence[idx+1:]...)
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	if err := s.d.Blobs.Delete(ctx, "evidence/"+id); err != nil {
		s.d.Logger.WarnContext(ctx, "evidence blob not deleted", "draft", d.ID, "evidence", id, "err", err)
	}
	return st, nil
}
