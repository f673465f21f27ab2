package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Anonymous reports are held back by a proof of work that the browser
// solves while the reporter types: find a nonce such that
// SHA-256(challenge ":" nonce) starts with powBits zero bits (some 65,000
// hashes on average, about a second in a phone's browser while the form is
// filled in, a cost that adds up for a script sending thousands). A report without a solved
// challenge is accepted all the same, in the slower review lane: a browser
// without JavaScript is never refused.
//
// A challenge is stateless — issue time and randomness under an HMAC of the
// cookie key — and spent once: spent challenges are remembered in memory
// until they expire (per node: on several nodes a challenge may be spent
// once on each, which the per-IP windows bound).
const (
	powBits    = 16
	powMaxAge  = 30 * time.Minute
	powMaxKept = 200_000 // spent challenges remembered at most
)

// powState remembers spent challenges until they expire.
type powState struct {
	mu    sync.Mutex
	spent map[string]time.Time // challenge → expiry
}

func (s *Server) powMAC(body string) string {
	m := hmac.New(sha256.New, s.cfg.CookieKey)
	m.Write([]byte("guichet/pow/v1/"))
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// newChallenge returns a fresh challenge: "v1.<unix>.<random>.<mac>".
func (s *Server) newChallenge() string {
	var r [12]byte
	rand.Read(r[:])
	body := "v1." + strconv.FormatInt(s.now().Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(r[:])
	return body + "." + s.powMAC(body)
}

// powSolved reports whether nonce solves challenge, a challenge this server
// issued less than powMaxAge ago and not spent before; a solved challenge
// is spent.
func (s *Server) powSolved(challenge, nonce string) bool {
	if len(challenge) > 100 || len(nonce) == 0 || len(nonce) > 20 {
		return false
	}
	i := strings.LastIndexByte(challenge, '.')
	if i < 0 || !hmac.Equal([]byte(challenge[i+1:]), []byte(s.powMAC(challenge[:i]))) {
		return false
	}
	parts := strings.Split(challenge[:i], ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	now := s.now()
	if err != nil || now.Sub(time.Unix(issued, 0)) > powMaxAge || time.Unix(issued, 0).After(now.Add(time.Minute)) {
		return false
	}
	if leadingZeroBits(sha256.Sum256([]byte(challenge+":"+nonce))) < powBits {
		return false
	}
	s.pow.mu.Lock()
	defer s.pow.mu.Unlock()
	if s.pow.spent == nil {
		s.pow.spent = make(map[string]time.Time)
	}
	if _, dup := s.pow.spent[challenge]; dup {
		return false
	}
	if len(s.pow.spent) >= powMaxKept {
		for c, exp := range s.pow.spent {
			if now.After(exp) {
				delete(s.pow.spent, c)
			}
		}
		if len(s.pow.spent) >= powMaxKept {
			return false // under a flood: the review lane
		}
	}
	s.pow.spent[challenge] = time.Unix(issued, 0).Add(powMaxAge)
	return true
}

func leadingZeroBits(sum [32]byte) int {
	n := 0
	for i := 0; i < len(sum); i += 8 {
		w := binary.BigEndian.Uint64(sum[i:])
		if w != 0 {
			return n + bits.LeadingZeros64(w)
		}
		n += 64
	}
	return n
}
