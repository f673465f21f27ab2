package notify

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNewSMTP: any URL and From address give a sender or an error, never a
// panic, and an error never repeats the URL's password.
func FuzzNewSMTP(f *testing.F) {
	f.Add("smtp://user:s3cret-pass@mail.example:587", "ne-pas-repondre@guichet.example")
	f.Add("smtps://mail.example", "Guichet <guichet@example.org>")
	f.Add("ftp://user:s3cret-pass@host", "x@y")
	f.Add("smtp://user:s3cret-pass@/", "x@y")
	f.Add("smtp://user:s3cret-pass@host", "not an address")
	f.Add("%zz", "")
	f.Fuzz(func(t *testing.T, raw, from string) {
		s, err := NewSMTP(raw, from)
		if err == nil {
			if s.host == "" || s.addr == "" || s.from == nil {
				t.Fatalf("NewSMTP(%q, %q) gave an incomplete sender %+v", raw, from, s)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || u.User == nil {
			return
		}
		pass, ok := u.User.Password()
		if ok && len(pass) >= 8 && !strings.Contains(from, pass) && !strings.Contains(u.Scheme, pass) && strings.Contains(err.Error(), pass) {
			t.Fatalf("NewSMTP(%q): error %q repeats the password", raw, err)
		}
	})
}
