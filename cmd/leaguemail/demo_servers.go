package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// demoPassword is the IMAP and SMTP password of every demo user.
const demoPassword = "demo"

// demoMX is the name the demo's SMTP server gives itself in its greeting
// and in the Received lines it writes.
const demoMX = "mx.demo.example"

// delivery is one mail the demo's SMTP server delivered.
type delivery struct {
	From string   // the envelope sender
	To   []string // the envelope recipients, as given in RCPT TO
	Raw  []byte   // the mail as submitted, without the trace fields added
}

// mailServers are the demo's IMAP and SMTP servers on loopback. They play
// every mail system of the story at once: the SMTP server delivers each
// recipient's copy into that user's INBOX on the in-memory IMAP server,
// as an MTA handing over to Dovecot would, so that the gateway reads its
// mail over IMAP and sends over SMTP exactly as it does in production.
type mailServers struct {
	IMAPAddr, SMTPAddr string

	users     map[string]*imapmemserver.User // by address, lower-case
	imap      *imapserver.Server
	smtp      *smtp.Server
	delivered func(delivery)
	wg        sync.WaitGroup
}

// startMailServers starts both servers on random loopback ports, with one
// IMAP user, password demoPassword, for each address. delivered is called
// after each mail the SMTP server delivered.
func startMailServers(addrs []string, delivered func(delivery)) (s *mailServers, err error) {
	s = &mailServers{users: map[string]*imapmemserver.User{}, delivered: delivered}
	mem := imapmemserver.New()
	for _, a := range addrs {
		a = strings.ToLower(a)
		u := imapmemserver.NewUser(a, demoPassword)
		if err := u.Create("INBOX", nil); err != nil {
			return nil, fmt.Errorf("demo IMAP server: creating the INBOX of %s: %w", a, err)
		}
		mem.AddUser(u)
		s.users[a] = u
	}
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := mem.NewSession()
			if ms, ok := sess.(memSession); ok {
				return idleSession{ms}, nil, nil
			}
			return sess, nil, nil
		},
		// IDLE comes with IMAP4rev1; MOVE and UIDPLUS let the intake move
		// handled mail in one command, as on Dovecot.
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}},
		InsecureAuth: true, // loopback only
		Logger:       log.New(io.Discard, "", 0),
	})
	imapLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo IMAP server: %w", err)
	}
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		imapLn.Close()
		return nil, fmt.Errorf("demo SMTP server: %w", err)
	}
	s.IMAPAddr, s.SMTPAddr = imapLn.Addr().String(), smtpLn.Addr().String()

	s.smtp = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	s.smtp.Domain = demoMX
	s.smtp.AllowInsecureAuth = true // loopback only
	s.smtp.MaxMessageBytes = 32 << 20
	s.smtp.ReadTimeout, s.smtp.WriteTimeout = time.Minute, time.Minute
	s.smtp.ErrorLog = log.New(io.Discard, "", 0)

	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.imap.Serve(imapLn) }()
	go func() { defer s.wg.Done(); s.smtp.Serve(smtpLn) }()
	return s, nil
}

// Close stops both servers and drops their connections.
func (s *mailServers) Close() error {
	err := errors.Join(s.smtp.Close(), s.imap.Close())
	s.wg.Wait()
	return err
}

// idleRecheck is how often an IDLE looks for news it was not told of.
const idleRecheck = 250 * time.Millisecond

// memSession is what the memory server's sessions implement, which the
// wrapper below must keep: imapserver looks for MOVE and NAMESPACE.
type memSession interface {
	imapserver.SessionMove
	imapserver.SessionNamespace
}

// idleSession is a memory server session whose IDLE misses nothing.
// go-imap v2.0.0-beta.8's SessionTracker.Idle does not send the updates
// queued before it started (a mail appended between the client's last
// command and its IDLE), and is woken only by the next update: the
// gateway would not see a report until another mail came. So the queue
// is flushed when IDLE starts, and again every idleRecheck, which also
// covers an append in the instant between that flush and the tracker
// listening.
type idleSession struct{ memSession }

func (s idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		var once sync.Once
		recheck := make(chan struct{})
		wake := func() { once.Do(func() { close(recheck) }) }
		t := time.AfterFunc(idleRecheck, wake)
		go func() {
			select {
			case <-stop:
				wake()
			case <-recheck:
			}
		}()
		err := s.memSession.Idle(w, recheck)
		if err != nil {
			t.Stop()
			wake()
			return err
		}
		<-recheck // the tracker may return at once, with no mailbox selected
		select {
		case <-stop:
			return nil
		default:
		}
	}
}

// user returns the IMAP user that mail to addr is delivered to: a
// plus-address (report+t1-abc@league.example) goes to its base address,
// as Postfix's recipient_delimiter does. It returns nil for strangers.
func (s *mailServers) user(addr string) *imapmemserver.User {
	local, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return nil
	}
	local, _, _ = strings.Cut(local, "+")
	return s.users[local+"@"+domain]
}

// smtpSession is one SMTP connection: open relay among the demo's users,
// AUTH PLAIN accepted but not required, so that a mail client pointed at
// the demo works with or without a login.
type smtpSession struct {
	s    *mailServers
	conn *smtp.Conn
	from string
	to   []string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if ss.s.users[strings.ToLower(user)] == nil || pass != demoPassword {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from, ss.to = from, nil
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.user(to) == nil {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "no such user here: the demo knows only the addresses it printed"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	now := time.Now()
	peer := "unknown"
	if a, ok := ss.conn.Conn().RemoteAddr().(*net.TCPAddr); ok {
		peer = a.IP.String()
	}
	for _, rcpt := range ss.to {
		// The trace fields an MTA and its delivery agent write: the
		// gateway reads Return-Path for bounces and null senders, and
		// the parser drops the loopback hop of the Received line.
		trace := fmt.Sprintf("Return-Path: <%s>\r\nDelivered-To: %s\r\n"+
			"Received: from %s (localhost [%s])\r\n\tby %s (leaguemail demo) with ESMTP\r\n\tfor <%s>; %s\r\n",
			ss.from, rcpt, ss.conn.Hostname(), peer, demoMX, rcpt, now.Format(time.RFC1123Z))
		msg := append([]byte(trace), raw...)
		if _, err := ss.s.user(rcpt).Append("INBOX", bytes.NewReader(msg), &imap.AppendOptions{Time: now}); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: fmt.Sprintf("delivery to %s failed: %v", rcpt, err)}
		}
	}
	if ss.s.delivered != nil {
		ss.s.delivered(delivery{From: ss.from, To: append([]string(nil), ss.to...), Raw: raw})
	}
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }
