package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// SMTP sends messages through a mail server with the standard library. It
// upgrades the connection with STARTTLS whenever the server offers it (or
// speaks TLS from the start with an smtps:// URL), and authenticates with
// PLAIN when the URL holds a user — which net/smtp refuses to do over an
// unencrypted connection except to localhost.
type SMTP struct {
	addr     string // host:port
	host     string
	implicit bool // smtps://: TLS from the first byte
	user     string
	pass     string
	from     *mail.Address
	// TLS is the client TLS configuration (nil: the system roots, the
	// URL's host as server name). Tests set their own roots.
	TLS *tls.Config
	// Timeout bounds one whole delivery (default 30 s).
	Timeout time.Duration
	// Hello is the name given in EHLO (default "localhost").
	Hello string
}

// NewSMTP returns a sender for rawURL — smtp://user:pass@host:587 (STARTTLS
// when offered; port 587 by default) or smtps://user:pass@host:465 — with
// from as the From address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("notify: smtp: malformed URL") // never repeat a URL holding a password
	}
	s := &SMTP{Timeout: 30 * time.Second, Hello: "localhost"}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicit, port = true, "465"
	default:
		return nil, fmt.Errorf("notify: smtp: scheme %q: want smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("notify: smtp: URL without host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("notify: smtp: From address %q: %w", from, err)
	}
	return s, nil
}

// Send delivers m. A 5xx answer from the server wraps ErrPermanent.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("notify: smtp: recipient unparsable: %w", ErrPermanent)
	}
	raw, err := s.format(m, to)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("notify: smtp: dial %s: %w", s.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.implicit {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("notify: smtp: tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return wrapSMTP("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.Hello); err != nil {
		return wrapSMTP("ehlo", err)
	}
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return wrapSMTP("starttls", err)
			}
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return wrapSMTP("auth", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return wrapSMTP("mail from", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return wrapSMTP("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return wrapSMTP("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		return wrapSMTP("data", err)
	}
	if err := w.Close(); err != nil {
		return wrapSMTP("data", err)
	}
	return wrapSMTP("quit", c.Quit())
}

func (s *SMTP) tlsConfig() *tls.Config {
	if s.TLS != nil {
		c := s.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = s.host
		}
		return c
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}

// format builds the RFC 5322 message: UTF-8 text, quoted-printable.
func (s *SMTP) format(m Message, to *mail.Address) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", s.from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", at.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// wrapSMTP classifies a server's answer: 5xx is permanent. The server's
// text is kept out of the error: it often quotes the recipient.
func wrapSMTP(step string, err error) error {
	if err == nil {
		return nil
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return fmt.Errorf("notify: smtp: %s: code %d: %w", step, te.Code, ErrPermanent)
		}
		return fmt.Errorf("notify: smtp: %s: code %d", step, te.Code)
	}
	return fmt.Errorf("notify: smtp: %s: %w", step, err)
}
