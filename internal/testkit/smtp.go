package testkit

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message the sink received.
type Mail struct {
	From string
	To   []string
	Data string
}

// SMTPSink is a real SMTP server on loopback that keeps what it receives.
type SMTPSink struct {
	Addr string
	mu   sync.Mutex
	got  []Mail
	recv chan struct{}
}

// NewSMTPSink starts a sink for the duration of the test.
func NewSMTPSink(t testing.TB) *SMTPSink {
	t.Helper()
	sink := &SMTPSink{recv: make(chan struct{}, 100)}
	srv := smtp.NewServer(&smtpBackend{sink})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

// Messages returns what was received so far.
func (s *SMTPSink) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.got...)
}

// Wait returns the n-th message (from 1), waiting up to 10 s for it.
func (s *SMTPSink) Wait(t testing.TB, n int) Mail {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := s.Messages(); len(got) >= n {
			return got[n-1]
		}
		select {
		case <-s.recv:
		case <-deadline:
			t.Fatalf("SMTP sink: message %d never arrived", n)
		}
	}
}

type smtpBackend struct{ sink *SMTPSink }

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{sink: b.sink}, nil
}

type smtpSession struct {
	sink *SMTPSink
	m    Mail
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.m.From = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.To = append(s.m.To, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.Data = string(b)
	s.sink.mu.Lock()
	s.sink.got = append(s.sink.got, s.m)
	s.sink.mu.Unlock()
	// A signal for Wait; when nobody waits and the buffer is full, the mail is
	// still kept, and the sender never blocks.
	select {
	case s.sink.recv <- struct{}{}:
	default:
	}
	return nil
}
func (s *smtpSession) Reset()        { s.m = Mail{} }
func (s *smtpSession) Logout() error { return nil }
