package web

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/guichet/guichet"
)

// Abuse control of silent alerts (issue 13). Every limit is a token bucket
// in memory, keyed by the client's address, the device token's hash or the
// alert's reference; none is stored or logged. They are generous: a person
// in danger must never be refused a first alert, so
//   - a retry of an alert already raised (same key) never counts;
//   - only new alerts count against the address and the device;
//   - chat and position updates count per alert and key, at a rate no
//     phone reaches by hand (one a second, bursts of 30).
//
// A refused request answers 429 with Retry-After; the PWA keeps the alert
// queued and retries after it, and the page says to call 17 or 112.
type alertLimits struct {
	ip     *limiter // new alerts per client address (Config.AlertRateLimit)
	device *limiter // new alerts per registered device
	alert  *limiter // chat messages and positions per alert

	mu    sync.Mutex
	known map[[32]byte]time.Time // keys of alerts raised here, until when they bypass the limits
	now   func() time.Time
}

// Defaults of the limits not in Config.
var (
	alertDeviceLimit = Limit{Rate: 6.0 / 3600, Burst: 5}
	alertUpdateLimit = Limit{Rate: 1, Burst: 30}
)

// alertKnownFor is how long a key raised here bypasses the new-alert
// limits on retry; alertKnownMax bounds that memory.
const (
	alertKnownFor = 2 * time.Hour
	alertKnownMax = 50_000
)

func newAlertLimits(cfg Limit, now func() time.Time) *alertLimits {
	if cfg == (Limit{}) {
		cfg = Limit{Rate: 30.0 / 3600, Burst: 20}
	}
	return &alertLimits{
		ip: newLimiter(cfg, now), device: newLimiter(alertDeviceLimit, now), alert: newLimiter(alertUpdateLimit, now),
		known: make(map[[32]byte]time.Time), now: now,
	}
}

// isKnown reports whether key raised an alert here lately: its retry is
// answered without spending a token.
func (l *alertLimits) isKnown(key string) bool {
	h := sha256.Sum256([]byte(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.known[h]
	return ok && l.now().Before(until)
}

// remember records that key raised an alert.
func (l *alertLimits) remember(key string) {
	h := sha256.Sum256([]byte(key))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.known) >= alertKnownMax {
		for k, until := range l.known {
			if !now.Before(until) || len(l.known) >= alertKnownMax {
				delete(l.known, k)
			}
		}
	}
	l.known[h] = now.Add(alertKnownFor)
}

// allowRaise spends a new-alert token of the client's address and of its
// device (when it sent a token), unless key is a retry of an alert raised
// here.
func (s *Server) allowRaise(r *http.Request, key, device string) error {
	l := s.alertLim
	if key != "" && l.isKnown(key) {
		return nil
	}
	if ok, after := l.ip.allow(s.clientKey(r)); !ok {
		return guichet.RetryAfter(fmt.Errorf("alerts from this address: %w", guichet.ErrRateLimited), after)
	}
	if device != "" {
		h := sha256.Sum256([]byte(device))
		if ok, after := l.device.allow(string(h[:])); !ok {
			return guichet.RetryAfter(fmt.Errorf("alerts from this device: %w", guichet.ErrRateLimited), after)
		}
	}
	return nil
}

// allowUpdate spends one of alert ref's chat-and-position tokens. The
// bucket is the reference with the key's hash, so that someone who knows
// the reference but not the key cannot wear out the citizen's.
func (s *Server) allowUpdate(ref, key string) error {
	h := sha256.Sum256([]byte(key))
	if ok, after := s.alertLim.alert.allow(ref + "\x00" + string(h[:16])); !ok {
		return guichet.RetryAfter(fmt.Errorf("alert updates: %w", guichet.ErrRateLimited), after)
	}
	return nil
}
