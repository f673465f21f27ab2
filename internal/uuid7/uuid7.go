// Package uuid7 makes time-ordered UUIDs (RFC 9562 version 7), the internal
// primary keys of guichet. They are never shown to citizens.
package uuid7

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"sync"
	"time"
)

// Generator makes UUIDv7 strings from a clock and a random source. It is
// safe for concurrent use and its output is strictly increasing within one
// process even when the clock stalls.
type Generator struct {
	mu    sync.Mutex
	now   func() time.Time
	rand  io.Reader
	lastM int64
	seq   uint16 // 12-bit counter in rand_a for ordering within a millisecond
}

// New returns a generator; nil arguments mean the wall clock and crypto/rand.
func New(now func() time.Time, r io.Reader) *Generator {
	if now == nil {
		now = time.Now
	}
	if r == nil {
		r = rand.Reader
	}
	return &Generator{now: now, rand: r}
}

// New returns a fresh UUIDv7 in its canonical 36-character form.
func (g *Generator) New() string {
	var u [16]byte
	if _, err := io.ReadFull(g.rand, u[6:]); err != nil {
		panic("uuid7: random source failed: " + err.Error())
	}
	g.mu.Lock()
	ms := g.now().UnixMilli()
	if ms <= g.lastM {
		ms = g.lastM
		g.seq++
		if g.seq > 0x0fff {
			ms++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.lastM = ms
	seq := g.seq
	g.mu.Unlock()

	u[0] = byte(ms >> 40)
	u[1] = byte(ms >> 32)
	u[2] = byte(ms >> 24)
	u[3] = byte(ms >> 16)
	u[4] = byte(ms >> 8)
	u[5] = byte(ms)
	u[6] = 0x70 | byte(seq>>8)&0x0f
	u[7] = byte(seq)
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}
