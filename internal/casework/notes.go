package casework

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

func noteAAD(caseID, noteID string) []byte {
	return []byte("guichet/note/v1/" + caseID + "/" + noteID)
}

func (s *Service) openNotes(ctx context.Context, c casefile.Case, wrapped []byte, citizenOnly bool) ([]Note, error) {
	stored, err := s.d.Store.CaseNotes(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	out := make([]Note, 0, len(stored))
	for _, n := range stored {
		if citizenOnly && !n.ToCitizen {
			continue
		}
		plain, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: wrapped, Ciphertext: n.Ciphertext}, noteAAD(c.ID, n.ID))
		if err != nil {
			return nil, fmt.Errorf("case %s: note %s: %w", c.Ref, n.ID, err)
		}
		out = append(out, Note{ID: n.ID, Text: string(plain), ToCitizen: n.ToCitizen, Author: n.Author, At: n.At})
	}
	return out, nil
}

// AddNote seals text with the case's data key and records "note.citizen"
// (visible; the citizen's status page shows it) or "note.internal" (not
// visible). Empty or too long text fails with a *guichet.ValidationError
// on field "note". It returns the note's ID.
func (s *Service) AddNote(ctx context.Context, p account.Principal, ref, text string, toCitizen bool) (string, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	var v guichet.ValidationError
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		v.Add("note", "err.required")
	case n > s.cfg.MaxNoteLen || !utf8.ValidString(text):
		v.Add("note", "err.too_long", s.cfg.MaxNoteLen)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if c.Erased() {
		return "", fmt.Errorf("case %s is erased: %w", c.Ref, guichet.ErrConflict)
	}
	personal, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("case %s: %w", c.Ref, err)
	}
	now := s.d.Clock.Now()
	id := s.d.IDs.New()
	sealed, err := s.d.Vault.SealWith(personal.WrappedKey, []byte(text), noteAAD(c.ID, id))
	if err != nil {
		return "", fmt.Errorf("case %s: seal note: %w", c.Ref, err)
	}
	typ := casefile.EventNoteInternal
	if toCitizen {
		typ = casefile.EventNoteToCitizen
	}
	err = s.d.Store.ChangeCase(ctx, Change{
		CaseID: c.ID, At: now,
		Note:   &StoredNote{ID: id, CaseID: c.ID, Ciphertext: sealed.Ciphertext, ToCitizen: toCitizen, AuthorID: p.AgentID, Author: p.Pseudonym, At: now},
		Events: []casefile.Event{s.event(c.ID, typ, p, now, toCitizen, map[string]string{"note": id})},
	})
	if err != nil {
		return "", fmt.Errorf("case %s: add note: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "note added", "ref", c.Ref, "agent", p.Pseudonym, "to_citizen", toCitizen)
	return id, nil
}

// CitizenNotes returns the notes addressed to the citizen on a case,
// decrypted, oldest first (none once erased). The caller MUST have
// authenticated the citizen for ref (complaint.Service.Authenticate) first.
func (s *Service) CitizenNotes(ctx context.Context, ref string) ([]Note, error) {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	if c.Erased() {
		return []Note{}, nil
	}
	personal, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	return s.openNotes(ctx, c, personal.WrappedKey, true)
}

// NoteAAD is the additional data sealing note noteID of case caseID under
// the case's data key, for writers that add notes without the service (the
// demo's seed).
func NoteAAD(caseID, noteID string) []byte { return noteAAD(caseID, noteID) }
