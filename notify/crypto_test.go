package notify

import (
	"bytes"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/gnupgtest"
	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/store"
)

// importKey puts a public key into the store, as `leaguemail keys import`
// does.
func (e *env) importKey(armored []byte) {
	e.t.Helper()
	k, err := mailcrypto.ParseKey(armored)
	if err != nil {
		e.t.Fatal(err)
	}
	i := k.Info(e.now)
	if err := e.st.PutKey(e.ctx, store.Key{Fingerprint: i.Fingerprint, Kind: store.KeyOpenPGP, Data: armored,
		UserIDs: i.UserIDs, Addresses: i.Addresses, Expires: i.Expires, ImportedAt: e.now}); err != nil {
		e.t.Fatal(err)
	}
}

func byRecipient(ms []fakeMail, to string) []byte {
	for _, m := range ms {
		if len(m.to) == 1 && m.to[0] == to {
			return m.data
		}
	}
	return nil
}

// lastPart returns the first and the last part of a PGP/MIME mail: the
// signed part and the signature, or the version and the encrypted part.
func lastPart(t *testing.T, msg []byte) (first, last []byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	ct := m.Header.Get("Content-Type")
	i := strings.Index(ct, `boundary="`)
	if i < 0 {
		t.Fatalf("no boundary in %q", ct)
	}
	bd := ct[i+len(`boundary="`):]
	bd = bd[:strings.IndexByte(bd, '"')]
	body, _ := readAll(m.Body)
	ps := strings.Split(string(body), "\r\n--"+bd)
	// ps[0] is the preamble; each part follows the CRLF that ends its
	// delimiter line.
	firstPart := strings.TrimPrefix(ps[1], "\r\n")
	lastP := ps[len(ps)-2]
	_, lastBody, _ := strings.Cut(lastP, "\r\n\r\n")
	return []byte(firstPart), []byte(lastBody)
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// TestCryptoOutgoing: with a league key, an escalation to a CERT with a
// key leaves encrypted and signed, and GnuPG reads it; one at TLP:RED to a
// CERT without a key carries no detail and the triagers are told; every
// other mail is signed, and GnuPG verifies it.
func TestCryptoOutgoing(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	g := gnupgtest.New(t)
	armored, err := mailcrypto.Generate("The League", league, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := mailcrypto.ParseLeague(armored, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := l.Public().Armored()
	g.Import(pub)
	e.importKey(g.NewKey("cert@cert.example"))
	expired := gnupgtest.New(t)
	e.importKey(expired.NewKey("old@cert3.example", "seconds=1"))
	time.Sleep(2100 * time.Millisecond) // expiry is checked to the second
	e.now = time.Now()

	e.report("soc@hospital-a.example", "Phishing at St. Mary", phish)
	e.enqueue(1, store.KindEscalation, []string{"cert@cert.example"}, `{"tlp":"red"}`)
	e.enqueue(1, store.KindEscalation, []string{"nokey@cert2.example"}, `{"tlp":"red"}`)
	e.enqueue(1, store.KindEscalation, []string{"old@cert3.example"}, `{"tlp":"amber"}`)
	e.enqueue(1, store.KindEscalation, []string{"green@cert4.example"}, `{"tlp":"green"}`)
	s := e.sender(f.url(), func(c *Config) {
		c.Crypto = Crypto{League: l, Sign: true, RequireFor: "amber", KeyURL: "https://league.example/key.asc",
			Triagers: []string{"alex@volunteers.example"}}
	})
	for range 3 {
		if _, err := s.SendDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := f.received()

	// The CERT with a key: encrypted, signed inside, read by gpg.
	esc := byRecipient(got, "cert@cert.example")
	if esc == nil {
		t.Fatal("no escalation to cert@cert.example")
	}
	if bytes.Contains(esc, []byte("vpn-login")) || bytes.Contains(esc, []byte("St. Mary")) {
		t.Fatal("detail readable outside the encryption")
	}
	_, enc := lastPart(t, esc)
	clear, stderr, err := g.Run(enc, "--decrypt")
	if err != nil || !strings.Contains(stderr, "Good signature") {
		t.Fatalf("gpg: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Phishing at St. Mary", "indicators.stix.json", "vpn-login"} {
		if !bytes.Contains(clear, []byte(want)) {
			t.Errorf("decrypted escalation lacks %q", want)
		}
	}

	// Without a key, or with an expired one: no detail, and why.
	for _, to := range []string{"nokey@cert2.example", "old@cert3.example"} {
		m := byRecipient(got, to)
		if m == nil {
			t.Fatalf("nothing sent to %s: never silently nowhere", to)
		}
		for _, leak := range []string{"vpn-login", "St. Mary", "indicators.csv", "203.0.113"} {
			if bytes.Contains(m, []byte(leak)) {
				t.Errorf("mail to %s shows %q", to, leak)
			}
		}
		if !bytes.Contains(m, []byte("public key")) {
			t.Errorf("mail to %s does not ask for a key:\n%s", to, m)
		}
	}
	if m := byRecipient(got, "old@cert3.example"); !bytes.Contains(m, []byte("expir")) {
		t.Errorf("the mail to the expired key's owner does not say it expired:\n%s", m)
	}
	// TLP:GREEN may go in clear: signed, with the detail.
	if m := byRecipient(got, "green@cert4.example"); !bytes.Contains(m, []byte("vpn-login")) || !bytes.Contains(m, []byte("multipart/signed")) {
		t.Errorf("TLP:GREEN escalation without a key: want the detail, signed:\n%s", m)
	}

	// The triager is told, naming who and why.
	var told []string
	for _, m := range got {
		if m.to[0] == "alex@volunteers.example" && bytes.Contains(m.data, []byte("NO DETAIL SENT")) {
			told = append(told, string(m.data))
		}
	}
	if len(told) != 2 {
		t.Fatalf("%d triager-updates about withheld detail, want 2", len(told))
	}
	// Addresses leave defanged in a triager's mail (cert2[.]example).
	if !strings.Contains(strings.Join(told, ""), "nokey@cert2[.]example") || !strings.Contains(strings.Join(told, ""), "keys import") {
		t.Errorf("the triager-update does not say who and what to do:\n%s", told[0])
	}
	evs, err := e.st.TicketDetail(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs.Events {
		if ev.Kind == "detail-withheld" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d detail-withheld events, want 2", n)
	}

	// The acknowledgement: signed, verified by gpg, pointing at the key.
	ack := byRecipient(got, "soc@hospital-a.example")
	if !bytes.Contains(ack, []byte("https://league.example/key.asc")) || !bytes.Contains(ack, []byte(l.Public().Fingerprint())) {
		t.Errorf("the acknowledgement does not say where the key is")
	}
	signed, sig := lastPart(t, ack)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "data"), signed, 0o600)
	os.WriteFile(filepath.Join(dir, "sig"), sig, 0o600)
	if _, stderr, err := g.Run(nil, "--verify", filepath.Join(dir, "sig"), filepath.Join(dir, "data")); err != nil || !strings.Contains(stderr, "Good signature") {
		t.Fatalf("gpg does not verify the signed acknowledgement: %v\n%s", err, stderr)
	}
}

// TestCryptoSMIME: a CERT with an S/MIME certificate and no OpenPGP key
// gets S/MIME enveloped data that openssl decrypts; a triager's notice to
// a triager with a key is signed, not encrypted, and says what it is.
func TestCryptoSMIME(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	e := newEnv(t)
	f := startFake(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=CERT-XX",
		"-addext", "subjectAltName=email:cert@cert.example", "-keyout", keyFile, "-out", certFile).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v %s", err, out)
	}
	pemBytes, _ := os.ReadFile(certFile)
	cs, err := mailcrypto.ParseCerts(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	i := cs[0].Info(time.Now())
	e.st.PutKey(e.ctx, store.Key{Fingerprint: i.Fingerprint, Kind: store.KeySMIME, Data: pemBytes, Addresses: i.Addresses, ImportedAt: e.now})
	g := gnupgtest.New(t)
	e.importKey(g.NewKey("alex@volunteers.example"))
	armored, _ := mailcrypto.Generate("The League", league, nil)
	l, _ := mailcrypto.ParseLeague(armored, nil)
	e.now = time.Now()

	e.report("soc@hospital-a.example", "Phishing at St. Mary", phish)
	e.enqueue(1, store.KindEscalation, []string{"cert@cert.example"}, `{"tlp":"red"}`)
	s := e.sender(f.url(), func(c *Config) { c.Crypto = Crypto{League: l, Sign: true, RequireFor: "amber"} })
	if _, err := s.SendDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	esc := byRecipient(f.received(), "cert@cert.example")
	if !bytes.Contains(esc, []byte("application/pkcs7-mime")) || bytes.Contains(esc, []byte("vpn-login")) {
		t.Fatalf("not S/MIME enveloped:\n%.600s", esc)
	}
	cmd := exec.Command("openssl", "smime", "-decrypt", "-recip", certFile, "-inkey", keyFile)
	cmd.Stdin = bytes.NewReader(esc)
	clear, err := cmd.Output()
	if err != nil || !bytes.Contains(clear, []byte("Phishing at St. Mary")) || !bytes.Contains(clear, []byte("indicators.stix.json")) {
		t.Fatalf("openssl: %v\n%.400s", err, clear)
	}
	notice := byRecipient(f.received(), "alex@volunteers.example")
	if !bytes.Contains(notice, []byte("multipart/signed")) || !bytes.Contains(notice, []byte("New report")) {
		t.Errorf("the triager's notice should be signed with its subject in clear:\n%.400s", notice)
	}
}

// TestAckOfEncryptedReport: the acknowledgement of a report that came
// encrypted repeats nothing of it to a reporter without a key, and is
// encrypted to one with a key.
func TestAckOfEncryptedReport(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	g := gnupgtest.New(t)
	armored, _ := mailcrypto.Generate("The League", league, nil)
	l, _ := mailcrypto.ParseLeague(armored, nil)
	pub, _ := l.Public().Armored()
	g.Import(pub)
	e.importKey(g.NewKey("keyed@hospital-b.example"))
	e.now = time.Now()
	e.report("soc@hospital-a.example", "Phishing at St. Mary", phish)
	e.report("keyed@hospital-b.example", "Phishing at St. Anne", phish)
	// Triage records that the reports came encrypted (a crypto event of
	// their mail); here the test does.
	for _, m := range e.outbox(store.OutboxQueued) {
		if m.Kind != store.KindAck {
			continue
		}
		if err := e.st.Update(e.ctx, func(tx *store.Tx) error {
			_, err := tx.AddEvent(e.ctx, store.Event{Ticket: m.Ticket, At: e.now, Actor: "x", Kind: "crypto", Mail: m.Cause,
				Detail: "came encrypted", Data: []byte(`{"encrypted":true,"method":"OpenPGP"}`)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	s := e.sender(f.url(), func(c *Config) { c.Crypto = Crypto{League: l, Sign: true, RequireFor: "amber"} })
	if _, err := s.SendDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	plain := byRecipient(f.received(), "soc@hospital-a.example")
	for _, leak := range []string{"St. Mary", "vpn-login", "203.0.113"} {
		if bytes.Contains(plain, []byte(leak)) {
			t.Errorf("the acknowledgement of an encrypted report shows %q in clear", leak)
		}
	}
	if !bytes.Contains(plain, []byte("reached us encrypted")) {
		t.Errorf("the acknowledgement does not say why it is short:\n%s", plain)
	}
	keyed := byRecipient(f.received(), "keyed@hospital-b.example")
	if !bytes.Contains(keyed, []byte("multipart/encrypted")) || bytes.Contains(keyed, []byte("St. Anne")) {
		t.Fatalf("the acknowledgement to a reporter with a key is not encrypted:\n%.500s", keyed)
	}
	_, enc := lastPart(t, keyed)
	clear, stderr, err := g.Run(enc, "--decrypt")
	if err != nil || !bytes.Contains(clear, []byte("St. Anne")) || !bytes.Contains(clear, []byte("vpn-login")) {
		t.Fatalf("gpg: %v %s\n%s", err, stderr, clear)
	}
}
