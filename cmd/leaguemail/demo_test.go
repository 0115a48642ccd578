package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// TestDemo runs `leaguemail demo` as a newcomer does and checks the story
// it tells: four tickets, the correlation, the acknowledgements, the
// triager's commands and the escalation with its attachments.
func TestDemo(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"demo"}, &out, &errb)
	took := time.Since(start)
	t.Logf("demo took %v; output:\n%s", took, out.String())
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("stderr not empty: %s", errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"ticket #1 opened: Camille Martin <camille.martin@hopital-nord.example>, Hôpital Nord (FR, Hauts-de-France)",
		"ticket #2 opened: Julien Petit <j.petit@chu-rivesud.example>, CHU Rive-Sud",
		"ticket #3 opened: Nadia Benali <n.benali@clinique-despins.example>, Clinique des Pins",
		"ticket #4 opened: Sophie Laurent <s.laurent@chu-rivesud.example>, CHU Rive-Sud",
		"hxxps://login-portal[.]example/owa/auth/keep-password?u=nursing",
		"url     hxxp://cdn-update-sync[.]example/api/v2/gate.php",
		"correlation: #4 shares login-portal[.]example",
		"← ack sent to camille.martin@hopital-nord.example (ticket #1)",
		"← ack sent to j.petit@chu-rivesud.example (ticket #2)",
		"← ack sent to n.benali@clinique-despins.example (ticket #3)",
		"← ack sent to s.laurent@chu-rivesud.example (ticket #4)",
		"← triager notice to alex@volunteers.example (ticket #4)",
		"→ mail in from alex@volunteers.example",
		"appended on ticket #1, threaded by token",
		"#escalate: escalation to CERT-FR <cert@cert.example> queued",
		"← escalation to cert@cert.example (ticket #1) with league-1-indicators.csv and league-1-indicators.stix.json",
		"← confirmation to alex@volunteers.example (ticket #1)",
		"escalated to CERT-FR <cert@cert.example>",
		"tickets:     4 (#1 escalated, #2 new, #3 new, #4 new)",
		"#takedown: takedown of 5 indicators queued",
		"← takedown request to abuse@registrar-exemple.example (ticket #1) with xarf-1.json, xarf-2.json",
		"← the site is down: told the reporter camille.martin@hopital-nord.example (ticket #1)",
		"ticket #1: 5 takedown requests to abuse@registrar-exemple.example, 5 down",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(got, " opened: "); n != 4 {
		t.Errorf("%d tickets opened, want 4", n)
	}
	if !regexp.MustCompile(`(?m)^  correlation: #4 shares .* with #1$`).MatchString(got) {
		t.Errorf("no correlation of #4 with #1")
	}
	if !regexp.MustCompile(`ticket #1: verified [1-9][0-9]* indicators, escalated to`).MatchString(got) {
		t.Errorf("ticket #1 not shown verified and escalated")
	}
	// Effects follow their causes: each ack after the mail it answers.
	if i, j := strings.Index(got, "→ mail in from s.laurent"), strings.Index(got, "← ack sent to s.laurent"); i < 0 || j < i {
		t.Errorf("the ack of #4 is printed before its report")
	}
	m := regexp.MustCompile(`store: +(\S+) \(removed`).FindStringSubmatch(got)
	if m == nil {
		t.Fatal("the summary does not say where the store was")
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("store %s left behind: %v", m[1], err)
	}
	if took > 30*time.Second {
		t.Errorf("the demo took %v", took)
	}
}

// TestDemoKeep: with --keep the servers stay up for a mail client until
// the context ends (Ctrl-C), and the store stays.
func TestDemoKeep(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb demoOutput
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "--keep"}, &out, &errb) }()

	addr := regexp.MustCompile(`IMAP (127\.0\.0\.1:\d+) and SMTP .*, user alex@volunteers.example, password demo`)
	var imapAddr string
	for deadline := time.Now().Add(30 * time.Second); imapAddr == ""; time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			imapAddr = m[1]
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no IMAP address printed; output:\n%s\nstderr: %s", out.String(), errb.String())
		}
	}
	c, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("alex@volunteers.example", "demo").Wait(); err != nil {
		t.Fatalf("login as the triager: %v", err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages < 5 {
		t.Errorf("the triager's INBOX: %v, %+v; want the notices and the confirmation", err, sel)
	}
	c.Logout().Wait()
	c.Close()

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --keep did not stop after the context ended")
	}
	m := regexp.MustCompile(`the store is kept at (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no kept store in the output:\n%s", out.String())
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Errorf("kept store: %v", err)
	}
}

// TestDemoIdleSeesEarlierMail: a mail delivered after the client's last
// command and before its IDLE is announced during the IDLE, which
// go-imap's memory server alone does not do.
func TestDemoIdleSeesEarlierMail(t *testing.T) {
	srv, err := startMailServers([]string{demoLeague}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	exists := make(chan uint32, 10)
	c, err := imapclient.DialInsecure(srv.IMAPAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(demoLeague, demoPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := submit(srv.SMTPAddr, camille, []string{demoLeague}, freeTextReport(time.Now())); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("IDLE did not announce the mail delivered before it")
	}
	idle.Close()
	idle.Wait()
}

func TestDemoUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"demo", "now"}, &out, &errb); code != 2 {
		t.Errorf("demo with an argument: exit %d, want 2", code)
	}
}

// demoOutput is a bytes.Buffer safe for a writer and a reader at once.
type demoOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *demoOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *demoOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
