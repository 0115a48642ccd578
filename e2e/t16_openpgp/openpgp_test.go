// Package t16_openpgp proves that the league speaks OpenPGP with real
// GnuPG users, through the built binary, a real Postfix and a real
// Dovecot: a report encrypted to the league's key is ticketed with its
// indicators; a triager's PGP/MIME-signed reply, with no DKIM and no reply
// token, runs its commands; the TLP:RED escalation to a CERT with a key
// arrives encrypted and the CERT's gpg reads it; the one to a CERT without
// a key carries no detail, and the triager is told.
package t16_openpgp

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/internal/gnupgtest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	reporter = "soc@hospital-a.example"
	triager  = "alex@volunteers.example"
	certFR   = "cert@cert-fr.example"
	certDE   = "cert@cert-de.example"
	badURL   = "http://staff-login.payroll-update.com/verify"
)

// The gpg users: the CERT, the triager and the reporter each in a home of
// their own would be closer to life; one home holding the three keys reads
// and writes the same packets.
func TestOpenPGPEndToEnd(t *testing.T) {
	e := e2etest.Start(t, reporter, certFR, certDE)
	g := gnupgtest.New(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	out := e.Run("keys", "generate")
	if !strings.Contains(out, "league key ") {
		t.Fatalf("keys generate: %s", out)
	}
	pub, err := os.ReadFile(strings.TrimSuffix(e.Data.Store+".league.asc", ".asc") + ".pub.asc")
	if err != nil {
		t.Fatal(err)
	}
	g.Import(pub)
	e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv"))
	certKey := write("cert-fr.asc", g.NewKey(certFR))
	alexKey := write("alex.asc", g.NewKey(triager))
	g.NewKey(reporter)
	out = e.Run("keys", "import", certKey, alexKey)
	if !strings.Contains(out, "used by cert CERT-FR") || !strings.Contains(out, "used by triager Alex") {
		t.Fatalf("keys import: %s", out)
	}
	gw := e.Serve()

	// The served key is the one generated.
	body, code := gwGet(t, gw, "/key.asc")
	if code != 200 || !strings.Contains(body, "BEGIN PGP PUBLIC KEY BLOCK") {
		t.Errorf("/key.asc: %d %.80s", code, body)
	}

	// 1. A report encrypted to the league (and signed by the reporter,
	// whose key the league does not hold): ticketed, and acknowledged
	// without repeating it.
	inner := "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\n" +
		"Subject: Phishing against our nurses\r\n\r\n" +
		"Our nurses received mails linking to " + badURL + "\r\nsent from 45.155.205.99.\r\n"
	enc := g.Must([]byte(inner), "--armor", "--local-user", reporter, "--sign", "--recipient", e2etest.Address, "--encrypt")
	report := head("Hospital A SOC <"+reporter+">", e2etest.Address, "...", "<r1.t16@hospital-a.example>", "") +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e1\"\r\n\r\n" +
		"--e1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--e1\r\nContent-Type: application/octet-stream\r\n\r\n" + string(enc) + "\r\n--e1--\r\n"
	e.Send(reporter, []string{e2etest.Address}, []byte(report))
	ack := e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]", "Received"))
	notice := e.WaitMail(triager, "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))
	if !strings.Contains(string(ack.Raw), "multipart/signed") || !strings.Contains(ack.Text, "OpenPGP key") {
		t.Errorf("the acknowledgement is not signed or does not say where the key is:\n%s", ack.Raw)
	}
	// The report came encrypted, and the league holds no key of the
	// reporter's: the acknowledgement repeats nothing of it.
	for _, leak := range []string{"nurses", "payroll-update", "45.155.205"} {
		if strings.Contains(string(ack.Raw), leak) {
			t.Errorf("the acknowledgement of the encrypted report shows %q in clear", leak)
		}
	}
	d := e.Ticket(1)
	if d.Ticket.Subject != "Phishing against our nurses" {
		t.Errorf("ticket subject %q, want the protected one", d.Ticket.Subject)
	}
	found := false
	for _, x := range d.Indicators {
		found = found || x.Value == badURL
	}
	if !found {
		t.Errorf("the encrypted report's URL is not on the ticket: %+v", d.Indicators)
	}
	if !hasEvent(d, "crypto", "came encrypted (OpenPGP)") {
		t.Error("tickets show does not say the report came encrypted")
	}

	// 2. The triager's signed reply, to the league's plain address (no
	// reply token) and through a Postfix that adds no DKIM verdict.
	cmdBody := "Content-Type: text/plain; charset=utf-8\r\n\r\n#verify\r\n#tlp red\r\n#escalate CERT-FR\r\n#escalate CERT-DE\r\n\r\nReal.\r\n"
	sig := g.Must(nil, "--armor", "--local-user", triager, "--detach-sign", "--output", "-", write("cmd", []byte(cmdBody)))
	cmd := head("Alex <"+triager+">", e2etest.Address, "Re: "+notice.Header("Subject"), "<cmd1.t16@volunteers.example>", notice.Header("Message-ID")) +
		"Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"s1\"\r\n\r\n" +
		"--s1\r\n" + cmdBody + "\r\n--s1\r\nContent-Type: application/pgp-signature\r\n\r\n" + string(sig) + "\r\n--s1--\r\n"
	e.Send(triager, []string{e2etest.Address}, []byte(cmd))
	confirm := e.WaitMail(triager, "INBOX", "the confirmation", 30*time.Second, e2etest.SubjectHas("[League #1]", "Done"))
	if !strings.Contains(confirm.Text, "OpenPGP signature") {
		t.Errorf("the confirmation does not say the signature authenticated the commands:\n%s", confirm.Text)
	}

	// 3. CERT-FR: encrypted, and its gpg reads it.
	escFR := e.WaitMail(certFR, "INBOX", "the escalation to CERT-FR", 30*time.Second, e2etest.SubjectHas("[League #1]"))
	if strings.Contains(string(escFR.Raw), "payroll-update") || !strings.Contains(escFR.Header("Content-Type"), "multipart/encrypted") {
		t.Fatalf("the escalation to CERT-FR is not encrypted:\n%s", escFR.Raw)
	}
	armored := string(escFR.Raw)
	armored = armored[strings.Index(armored, "-----BEGIN PGP MESSAGE-----"):]
	armored = armored[:strings.Index(armored, "-----END PGP MESSAGE-----")+len("-----END PGP MESSAGE-----")]
	clear, stderr, err := g.Run([]byte(armored), "--decrypt")
	if err != nil || !strings.Contains(stderr, "Good signature") {
		t.Fatalf("CERT-FR's gpg: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Escalation: Phishing against our nurses", "TLP:RED", "indicators.stix.json"} {
		if !strings.Contains(string(clear), want) {
			t.Errorf("the decrypted escalation lacks %q", want)
		}
	}

	// 4. CERT-DE: no detail; the triager is told.
	escDE := e.WaitMail(certDE, "INBOX", "the mail to CERT-DE", 30*time.Second, e2etest.SubjectHas("[League #1]"))
	for _, leak := range []string{"payroll-update", "45.155.205.99", "nurses", "indicators.csv"} {
		if strings.Contains(string(escDE.Raw), leak) {
			t.Errorf("CERT-DE, without a key, got %q", leak)
		}
	}
	if !strings.Contains(escDE.Text, "public key") {
		t.Errorf("CERT-DE is not asked for its key:\n%s", escDE.Text)
	}
	told := e.WaitMail(triager, "INBOX", "the triager-update about CERT-DE", 30*time.Second, e2etest.SubjectHas("[League #1]", "No detail sent to"))
	// Addresses leave defanged in a triager's mail (cert-de[.]example).
	if !strings.Contains(told.Text, strings.Replace(certDE, ".example", "[.]example", 1)) || !strings.Contains(told.Text, "no key") {
		t.Errorf("the triager-update does not say who and why:\n%s", told.Text)
	}
	ms := gw.Metrics()
	for _, r := range []string{"decrypted", "signature-valid"} {
		if v, _ := e2etest.Value(ms, "leaguemail_crypto_mails_in_total", "result", r); v < 1 {
			t.Errorf("/metrics: leaguemail_crypto_mails_in_total{result=%q} = %v, want 1 or more", r, v)
		}
	}
	if code, _ := gw.Stop(10 * time.Second); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}

func head(from, to, subject, msgID, inReplyTo string) string {
	h := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), msgID)
	if inReplyTo != "" {
		h += "In-Reply-To: " + inReplyTo + "\r\nReferences: " + inReplyTo + "\r\n"
	}
	return h
}

func gwGet(t *testing.T, gw *e2etest.Gateway, path string) (string, int) {
	t.Helper()
	resp, err := http.Get(gw.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func hasEvent(d *store.TicketDetail, kind, detail string) bool {
	for _, e := range d.Events {
		if e.Kind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}
