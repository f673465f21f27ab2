package web

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

// LogState is what the /log/ page reads of the transparency log;
// *ledger.Log has it. The page verifies what it shows with these keys, so
// it never shows figures the log's key did not sign.
type LogState interface {
	// Checkpoint MUST return the latest published signed checkpoint, with
	// the witnesses' cosignatures, as /log/checkpoint serves it.
	Checkpoint() []byte
	// VerifierKeys MUST return the keys that sign every checkpoint, the
	// primary first, as /log/key serves them.
	VerifierKeys() []string
	// WitnessKeys returns the cosignature/v1 verifier keys of the
	// witnesses the log asks to cosign; empty when there are none.
	WitnessKeys() []string
}

// tileWidth is the number of hashes in a full tile and of entries in a
// full entry bundle (c2sp.org/tlog-tiles).
const tileWidth = 256

// logPageData is the data of the /log/ page.
type logPageData struct {
	Size       int64
	Origin     string
	RootBase64 string
	RootHex    string
	// ReadAt is when the page read the checkpoint: a checkpoint holds no
	// time of its own.
	ReadAt time.Time
	// Keys are the log's signing keys, the primary first.
	Keys []logKey
	// Witnesses are the configured witnesses, with their cosignature of
	// this checkpoint when they gave one.
	Witnesses []logWitness
	Cosigned  int
	// URL is the log's absolute prefix, for `guichet verify log --url`.
	URL string
	// ReceiptCmd and LogCmd are the verification commands, filled in.
	ReceiptCmd, LogCmd logCommand
	// Tiles are the first and the latest hash tiles and entry bundles.
	Tiles []logTile
	// Note is the signed checkpoint as served.
	Note string
}

// logCommand is a command line to copy; ID names its element. Args are
// its words, already quoted for a shell, so that the page can keep short
// words whole and break only long ones (keys, URLs) on narrow screens.
type logCommand struct {
	ID   string
	Args []string
}

// Long reports whether a word is long enough to be broken anywhere.
func (logCommand) Long(arg string) bool { return len(arg) > 24 }

// logKey is a signed-note verifier key, with its parts shown apart.
type logKey struct {
	Name string
	ID   string // 8 hex digits
	VKey string
}

// logWitness is one configured witness.
type logWitness struct {
	logKey
	Cosigned bool
	At       time.Time // the time in its cosignature
}

// logTile is one tile or entry bundle of the read API.
type logTile struct {
	Path    string // absolute path on this site
	Bundle  bool   // an entry bundle, not hashes
	From    int64  // first entry it covers
	To      int64  // last entry it covers
	Partial bool
}

// logPage shows the transparency log: what it is, its latest checkpoint
// verified with its own key, its witnesses, and how to check it oneself.
func (s *Server) logPage(w http.ResponseWriter, r *http.Request) error {
	if s.d.LogState == nil {
		return errNotFound
	}
	keys := s.d.LogState.VerifierKeys()
	if len(keys) == 0 {
		return fmt.Errorf("log page: the log has no verifier key")
	}
	wkeys := s.d.LogState.WitnessKeys()
	pol, err := checkpoint.NewPolicy(keys[0], wkeys, 0)
	if err != nil {
		return fmt.Errorf("log page: keys: %w", err)
	}
	note := s.d.LogState.Checkpoint()
	v, err := pol.Open(note)
	if err != nil {
		return fmt.Errorf("log page: served checkpoint: %w", err)
	}
	d := logPageData{
		Size:       v.Size,
		Origin:     v.Origin,
		RootBase64: base64.StdEncoding.EncodeToString(v.Hash[:]),
		RootHex:    hex.EncodeToString(v.Hash[:]),
		ReadAt:     s.now(),
		URL:        s.absURL(r, "/log"),
		Note:       string(note),
	}
	for _, k := range keys {
		lk, err := parseLogKey(k)
		if err != nil {
			return fmt.Errorf("log page: log key: %w", err)
		}
		d.Keys = append(d.Keys, lk)
	}
	cosigned := make(map[string]time.Time, len(v.Cosigned))
	for _, c := range v.Cosigned {
		cosigned[c.Name] = c.Time
	}
	for _, k := range wkeys {
		lk, err := parseLogKey(k)
		if err != nil {
			return fmt.Errorf("log page: witness key: %w", err)
		}
		at, ok := cosigned[lk.Name]
		d.Witnesses = append(d.Witnesses, logWitness{logKey: lk, Cosigned: ok, At: at})
		if ok {
			d.Cosigned++
		}
	}
	vkey := shellQuote(d.Keys[0].VKey)
	d.ReceiptCmd = logCommand{ID: "cmd-receipt", Args: []string{"guichet", "verify", "receipt", "recu.json", "--key", vkey}}
	d.LogCmd = logCommand{ID: "cmd-log", Args: []string{"guichet", "verify", "log", "--url", shellQuote(d.URL), "--key", vkey, "--state", "journal.state"}}
	d.Tiles = logTiles(v.Size)
	p := s.newPage(r)
	p.Data = d
	return s.render(w, r, http.StatusOK, "log", p)
}

// parseLogKey splits a verifier key into its name and key ID.
func parseLogKey(vkey string) (logKey, error) {
	k, err := checkpoint.ParseVerifierKey(vkey)
	if err != nil {
		return logKey{}, err
	}
	return logKey{Name: k.Name, ID: fmt.Sprintf("%08x", k.ID), VKey: strings.TrimSpace(vkey)}, nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and the few punctuation marks a shell leaves alone.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// logTiles lists the first and the latest level-0 hash tile and entry
// bundle of a tree of size leaves (one of each while the tree fits in a
// tile); none for an empty tree.
func logTiles(size int64) []logTile {
	if size == 0 {
		return nil
	}
	last := (size - 1) / tileWidth
	ns := []int64{0}
	if last > 0 {
		ns = append(ns, last)
	}
	var out []logTile
	for _, bundle := range []bool{false, true} {
		for _, n := range ns {
			w := min(size-n*tileWidth, tileWidth)
			out = append(out, logTile{
				Path: "/log/" + tilePath(bundle, n, w), Bundle: bundle,
				From: n * tileWidth, To: n*tileWidth + w - 1, Partial: w < tileWidth,
			})
		}
	}
	return out
}

// tilePath is the c2sp.org/tlog-tiles path of the level-0 hash tile (or
// entry bundle) n of width w, relative to the log prefix:
// "tile/0/x001/234.p/5", "tile/entries/067".
func tilePath(bundle bool, n, w int64) string {
	var b strings.Builder
	b.WriteString("tile/")
	if bundle {
		b.WriteString("entries/")
	} else {
		b.WriteString("0/")
	}
	var groups []string
	for {
		groups = append(groups, fmt.Sprintf("%03d", n%1000))
		if n /= 1000; n == 0 {
			break
		}
	}
	for i := len(groups) - 1; i > 0; i-- {
		b.WriteString("x" + groups[i] + "/")
	}
	b.WriteString(groups[0])
	if w < tileWidth {
		b.WriteString(".p/" + strconv.FormatInt(w, 10))
	}
	return b.String()
}

// groupDigits writes n with its digits in groups of three: "1 234 567"
// with narrow no-break spaces in French, "1,234,567" in English.
func groupDigits(lang string, n int64) string {
	sep := ","
	if lang == "fr" {
		sep = "\u202f"
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}
