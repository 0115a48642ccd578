package triage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/gnupgtest"
	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// cryptoHarness is a gateway with the real parser and the crypto layer,
// a league key, and GnuPG holding the keys of a triager (alex) and a
// reporter.
type cryptoHarness struct {
	*harness
	gpg *gnupgtest.Home
	dir string
}

func newCryptoHarness(t *testing.T) *cryptoHarness {
	armored, err := mailcrypto.Generate("League", league, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := mailcrypto.ParseLeague(armored, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &cryptoHarness{gpg: gnupgtest.New(t), dir: t.TempDir()}
	pub, _ := l.Public().Armored()
	c.gpg.Import(pub)
	var known []*mailcrypto.Key
	c.harness = newHarness(t, func(cfg *Config) {
		cfg.Parse = func(raw []byte) *parser.Message {
			return parser.Parse(raw, parser.Options{Address: league, Domains: []string{"league.example"}})
		}
		cfg.Open = func(raw []byte) *mailcrypto.Opened {
			return mailcrypto.Open(raw, mailcrypto.Options{League: l, Known: known, Now: c.now})
		}
	})
	// Signatures are made now, by gpg; the gateway's clock follows.
	c.now = time.Now()
	alexPub := c.gpg.NewKey("alex@volunteers.example")
	k, err := mailcrypto.ParseKey(alexPub)
	if err != nil {
		t.Fatal(err)
	}
	known = append(known, k)
	i := k.Info(c.now)
	if err := c.st.PutKey(c.ctx, store.Key{Fingerprint: i.Fingerprint, Kind: store.KeyOpenPGP, Data: alexPub,
		UserIDs: i.UserIDs, Addresses: i.Addresses, ImportedAt: c.now}); err != nil {
		t.Fatal(err)
	}
	c.gpg.NewKey("soc@hospital.example")
	return c
}

func (c *cryptoHarness) raw(b string) outcome {
	c.t.Helper()
	c.seq++
	c.now = c.now.Add(time.Second)
	return c.takeRaw([]byte(b), Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(c.seq)})
}

func head(from, subject string, n int) string {
	return fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <m%d.%d@x.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n",
		from, league, subject, n, time.Now().UnixNano())
}

// signed is a PGP/MIME signed mail whose body gpg signed as signer.
func (c *cryptoHarness) signed(signer, h, body string) string {
	c.t.Helper()
	f := filepath.Join(c.dir, "body")
	os.WriteFile(f, []byte(body), 0o600)
	sig := c.gpg.Must(nil, "--armor", "--local-user", signer, "--detach-sign", "--output", "-", f)
	return h + "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"s1\"\r\n\r\n" +
		"--s1\r\n" + body + "\r\n--s1\r\nContent-Type: application/pgp-signature\r\n\r\n" + string(sig) + "\r\n--s1--\r\n"
}

// encrypted is a PGP/MIME encrypted mail gpg encrypted to recipient.
func (c *cryptoHarness) encrypted(recipient, h, inner string) string {
	c.t.Helper()
	enc := c.gpg.Must([]byte(inner), "--armor", "--recipient", recipient, "--encrypt")
	return h + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e1\"\r\n\r\n" +
		"--e1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--e1\r\nContent-Type: application/octet-stream\r\n\r\n" + string(enc) + "\r\n--e1--\r\n"
}

func TestEncryptedReportTicketed(t *testing.T) {
	c := newCryptoHarness(t)
	raw := c.encrypted(league, head("soc@hospital.example", "...", 1),
		"Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\nSubject: Phishing at St. Mary\r\n\r\n"+
			"We got this: http://evil-login.example/auth\r\n")
	out := c.raw(raw)
	if out.disposition != DispOpened {
		t.Fatalf("disposition %q", out.disposition)
	}
	d := c.detail(out.ticket)
	if d.Ticket.Subject != "Phishing at St. Mary" {
		t.Errorf("ticket subject %q: the protected Subject is the real one", d.Ticket.Subject)
	}
	found := false
	for _, x := range d.Indicators {
		found = found || x.Value == "http://evil-login.example/auth"
	}
	if !found {
		t.Errorf("the decrypted indicators are not on the ticket: %+v", d.Indicators)
	}
	if !c.hasEvent(out.ticket, "crypto", "came encrypted (OpenPGP)") {
		t.Error("the ticket does not say the mail came encrypted")
	}
	m, _ := c.st.Mail(c.ctx, out.mail)
	stored, err := c.st.Raw(c.ctx, m.SHA256)
	if err != nil || string(stored) != raw {
		t.Errorf("the store does not keep the mail as it came (%v)", err)
	}
}

func TestUndecryptableMailTicketedAndTold(t *testing.T) {
	c := newCryptoHarness(t)
	out := c.raw(c.encrypted("soc@hospital.example", head("soc@hospital.example", "report", 1), "Content-Type: text/plain\r\n\r\nsecret\r\n"))
	if out.ticket == 0 {
		t.Fatal("an undecryptable mail opened no ticket")
	}
	m, _ := c.st.Mail(c.ctx, out.mail)
	if !strings.Contains(strings.Join(m.Errors, " "), "could not be decrypted") {
		t.Errorf("the mail's errors do not say why: %v", m.Errors)
	}
	if !c.hasEvent(out.ticket, "crypto", "could not be decrypted") {
		t.Error("no crypto event with the reason")
	}
	told := false
	for _, o := range c.outbox() {
		told = told || (o.Recipients[0] == "alex@volunteers.example" && strings.Contains(string(o.Data), "could not be decrypted"))
	}
	if !told {
		t.Error("the triagers are not told of the undecryptable mail")
	}
}

// TestSignedTriagerReply: a triager's reply signed with their bound key
// runs its commands with no DKIM and no reply token, and the confirmation
// says how; the same reply altered, or signed by another key, does not.
func TestSignedTriagerReply(t *testing.T) {
	c := newCryptoHarness(t)
	out := c.raw(head("soc@hospital.example", "Phishing", 1) + "Content-Type: text/plain\r\n\r\nhttp://evil-login.example/auth\r\n")
	n := out.ticket
	body := "Content-Type: text/plain; charset=utf-8\r\n\r\n#severity high\r\n\r\nchecked it.\r\n"
	subject := fmt.Sprintf("Re: [League #%d] New report", n)

	altered := strings.Replace(c.signed("alex@volunteers.example", head("alex@volunteers.example", subject, 2), body), "#severity high", "#severity low", 1)
	c.raw(altered)
	if sev := c.detail(n).Ticket.Severity; sev != "" {
		t.Fatalf("an altered signed mail ran its command: severity %q", sev)
	}

	c.gpg.NewKey("mallory@volunteers.example")
	c.raw(c.signed("mallory@volunteers.example", head("alex@volunteers.example", subject, 3), body))
	if sev := c.detail(n).Ticket.Severity; sev != "" {
		t.Fatalf("a mail signed by another key ran its command: severity %q", sev)
	}

	good := c.signed("alex@volunteers.example", head("alex@volunteers.example", subject, 4), body)
	c.raw(good)
	if sev := c.detail(n).Ticket.Severity; sev != "high" {
		t.Fatalf("the signed command did not run: severity %q", sev)
	}

	// The same signed mail replayed on another ticket, under its Subject
	// (the headers are not signed): nothing runs, and the ticket says why.
	other := c.raw(head("soc@hospital.example", "Another", 5) + "Content-Type: text/plain\r\n\r\nhttp://other.example/x\r\n").ticket
	_, signedPart, _ := strings.Cut(good, "Content-Type: multipart/signed")
	replay := c.raw(head("alex@volunteers.example", fmt.Sprintf("Re: [League #%d] New report", other), 6) + "Content-Type: multipart/signed" + signedPart)
	if replay.ticket != other {
		t.Fatalf("the replay landed on #%d, want #%d", replay.ticket, other)
	}
	if sev := c.detail(other).Ticket.Severity; sev != "" {
		t.Fatalf("a replayed signed mail ran its command on #%d: severity %q", other, sev)
	}
	if !c.hasEvent(other, "crypto", "a replay") {
		t.Error("the replay is not recorded as one")
	}
	confirmed := false
	for _, o := range c.outbox() {
		if o.Kind == store.KindCommandConfirm && strings.Contains(string(o.Data), "OpenPGP signature by key") &&
			strings.Contains(string(o.Data), "strongest") {
			confirmed = true
		}
	}
	if !confirmed {
		t.Error("the confirmation does not say the signature authenticated the commands")
	}
	if !c.hasEvent(n, "crypto", "valid OpenPGP signature") {
		t.Error("the ticket does not record the signature")
	}
}
