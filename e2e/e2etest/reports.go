package e2etest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// PhishingDir is the folder of real phishing mails in the shared corpus,
// from a scenario's folder (the corpus lies beside the checkout).
const PhishingDir = "../../../shared/corpus/phishing_pot/email"

// Report is a hospital team's report: a phishing mail its staff received,
// forwarded to the league as an attachment, with a few words.
type Report struct {
	N         int
	From      string // the reporter's address, one per report
	MessageID string // angle brackets included
	Subject   string
	Sample    string // the corpus file forwarded
	Raw       []byte
}

// Hospitals returns n reporting mailboxes, soc@hospital-a.example and on;
// reports come from plus-addresses of them, which Postfix and Dovecot
// deliver to the mailbox itself.
func Hospitals(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("soc@hospital-%c.example", 'a'+i))
	}
	return out
}

// PhishingReports builds n reports from corpus samples drawn by r, each
// from its own address: soc+<scenario>-r<N>@ the hospitals in turn. The
// samples are those that a mail client would forward as they are: no NUL
// byte, 1 to 64 KiB.
func PhishingReports(t testing.TB, r *rand.Rand, scenario string, n int, hospitals []string) []Report {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(PhishingDir, "*.eml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no phishing samples in %s (the shared corpus must lie beside the checkout): %v", PhishingDir, err)
	}
	slices.Sort(names)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var out []Report
	for _, name := range names {
		if len(out) == n {
			break
		}
		sample, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(sample) < 1<<10 || len(sample) > 64<<10 || bytes.IndexByte(sample, 0) >= 0 {
			continue
		}
		k := len(out) + 1
		box := hospitals[k%len(hospitals)]
		local, domain, _ := strings.Cut(box, "@")
		rep := Report{
			N:         k,
			From:      fmt.Sprintf("%s+%s-r%d@%s", local, scenario, k, domain),
			MessageID: fmt.Sprintf("<r%d.%s@%s>", k, scenario, domain),
			Subject:   fmt.Sprintf("Phishing received by our staff (%s report %d)", scenario, k),
			Sample:    filepath.Base(name),
		}
		rep.Raw = forward(rep, sample)
		out = append(out, rep)
	}
	if len(out) < n {
		t.Fatalf("only %d usable phishing samples in %s, want %d", len(out), PhishingDir, n)
	}
	return out
}

// forward wraps sample as a message/rfc822 attachment of rep's mail, the
// way mail clients forward "as attachment".
func forward(rep Report, sample []byte) []byte {
	// One line end for the whole mail: IMAP and SMTP want CRLF.
	sample = bytes.ReplaceAll(sample, []byte("\r\n"), []byte("\n"))
	sample = bytes.ReplaceAll(sample, []byte("\r"), []byte("\n"))
	sample = bytes.ReplaceAll(sample, []byte("\n"), []byte("\r\n"))
	boundary := fmt.Sprintf("=_fwd_%s_%d", strings.Trim(rep.MessageID, "<>"), len(sample))
	_, domain, _ := strings.Cut(rep.From, "@")
	name := strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(domain, "hospital-"), ".example"))
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", fmt.Sprintf("Hospital %s SOC <%s>", name, rep.From))
	h("To", Address)
	h("Subject", rep.Subject)
	h("Date", time.Now().Format(time.RFC1123Z))
	h("Message-ID", rep.MessageID)
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	h("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(&b, "\r\nHello,\r\n\r\nseveral of our staff received the attached mail this morning.\r\n"+
		"We blocked the sender; please look at its links and attachments.\r\n\r\n-- \r\nHospital %s SOC\r\n", name)
	fmt.Fprintf(&b, "\r\n--%s\r\n", boundary)
	h("Content-Type", "message/rfc822")
	h("Content-Disposition", `attachment; filename="suspicious.eml"`)
	b.WriteString("\r\n")
	b.Write(sample)
	if !bytes.HasSuffix(sample, []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// Acks reads the hospitals' mailboxes and returns, for the Message-ID of
// each report answered, the Message-IDs of the acknowledgements received
// for it (In-Reply-To), one per copy.
func (e *Env) Acks(hospitals []string) map[string][]string {
	e.T.Helper()
	acks := map[string][]string{}
	for _, h := range hospitals {
		for _, m := range e.Mailbox(h, "INBOX") {
			if irt := m.Header("In-Reply-To"); irt != "" {
				acks[irt] = append(acks[irt], m.Header("Message-ID"))
			}
		}
	}
	return acks
}

// Doubles checks acks against reports: every report has its
// acknowledgement, and every second copy carries the Message-ID of the
// first, i.e. it is the same outbox mail sent again, not a second one. It
// returns the Message-IDs received more than once, with their counts.
func Doubles(t testing.TB, reports []Report, acks map[string][]string) map[string]int {
	t.Helper()
	doubles := map[string]int{}
	missing := 0
	for _, r := range reports {
		ids := acks[r.MessageID]
		switch {
		case len(ids) == 0:
			missing++
			if missing <= 5 {
				t.Errorf("report %d (%s, %s) has no acknowledgement", r.N, r.MessageID, r.From)
			}
		case len(ids) > 1:
			if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 1 {
				t.Errorf("report %d (%s) got %d acknowledgements with different Message-IDs %q: a second ack, not a resend", r.N, r.MessageID, len(ids), ids)
				continue
			}
			doubles[ids[0]] = len(ids)
		}
	}
	if missing > 5 {
		t.Errorf("... %d reports in all have no acknowledgement", missing)
	}
	return doubles
}
