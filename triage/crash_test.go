package triage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// The crash test runs the test binary itself as a child that takes in a
// folder of mails as if from an IMAP mailbox, kills it with SIGKILL at
// three points, restarts it, and checks that every mail was taken in
// exactly once: no mail lost, no second ticket, no second acknowledgement.

const (
	envCrashDB    = "LEAGUEMAIL_TRIAGE_CRASH_DB"
	envCrashMails = "LEAGUEMAIL_TRIAGE_CRASH_MAILS"
	// envCrashBatch makes the child take its mails with TakeBatch, and
	// envCrashBlock stop it inside the group commit that writes that
	// UID, for the parent to kill it there.
	envCrashBatch = "LEAGUEMAIL_TRIAGE_CRASH_BATCH"
	envCrashBlock = "LEAGUEMAIL_TRIAGE_CRASH_BLOCK"
	crashMailbox  = "imap://report@mx.league.example/INBOX"
)

// TestCrashChild is the child's side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	db, dir := os.Getenv(envCrashDB), os.Getenv(envCrashMails)
	if db == "" {
		t.Skip("run by TestCrashKilledIngest")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(st, Config{Address: league, Secret: secret, Triagers: []string{"alex@volunteers.example"}, AutoMailsPerHour: 1 << 20,
		Parse: testParse, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	sort.Strings(names)
	_, last, err := g.Checkpoint(ctx, crashMailbox)
	if err != nil {
		t.Fatal(err)
	}
	// Offer again a few mails below the checkpoint, as an IMAP intake does
	// with mail it took in but had not yet moved when it died.
	start := max(0, int(last)-5)
	if os.Getenv(envCrashBatch) != "" {
		crashChildBatch(t, g, names[start:], start)
		return
	}
	for i := start; i < len(names); i++ {
		raw, err := os.ReadFile(names[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Take(ctx, raw, Origin{Mailbox: crashMailbox, UIDValidity: 1, UID: uint32(i + 1)}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("took %d\n", i+1)
	}
	fmt.Println("done")
}

// crashChildBatch takes the mails of names, the first of them at UID
// first+1, in batches of 40 committed in groups of 7 (fewer when the first
// offered again are skipped).
func crashChildBatch(t *testing.T, g *Gateway, names []string, first int) {
	g.cfg.GroupMails = 7
	if block, _ := strconv.Atoi(os.Getenv(envCrashBlock)); block > 0 {
		testHookInGroup = func(p *prepared) error {
			if p.origin.UID == uint32(block) {
				fmt.Printf("in group at %d\n", block)
				time.Sleep(time.Minute) // killed here
			}
			return nil
		}
	}
	for at := 0; at < len(names); at += 40 {
		var mails []Mail
		for i, name := range names[at:min(at+40, len(names))] {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			mails = append(mails, Mail{raw, Origin{Mailbox: crashMailbox, UIDValidity: 1, UID: uint32(first + at + i + 1)}})
		}
		for i, err := range g.TakeBatch(context.Background(), mails) {
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("took %d\n", mails[i].Origin.UID)
		}
	}
	fmt.Println("done")
}

func crashMail(i int) string {
	var b strings.Builder
	from := i
	if i%4 == 0 { // a reply by the reporter of the mail before it
		from = i - 1
	}
	fmt.Fprintf(&b, "From: user%d@site%d.example\r\n", from%97, from%13)
	fmt.Fprintf(&b, "To: report@league.example\r\nMessage-ID: <m%d@crash.example>\r\n", i)
	if i%4 == 0 {
		fmt.Fprintf(&b, "Subject: Re: report %d\r\nIn-Reply-To: <m%d@crash.example>\r\n\r\nmore on it\r\n", i-1, i-1)
	} else {
		fmt.Fprintf(&b, "Subject: report %d\r\n\r\nSeen: http://evil%d.example/login?id=%d\r\n", i, i%10, i)
	}
	return b.String()
}

func TestCrashKilledIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	crashKilled(t, false)
}

// TestCrashKilledInGroup kills the child inside the transaction of a group
// commit, after some of the group's mails were written: none of the group
// may be in the store afterwards, and the restart takes each in once.
func TestCrashKilledInGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process")
	}
	crashKilled(t, true)
}

func crashKilled(t *testing.T, batch bool) {
	const n = 400
	dir := t.TempDir()
	mails := filepath.Join(dir, "mails")
	os.Mkdir(mails, 0o755)
	reports := 0
	for i := 1; i <= n; i++ {
		if i%4 != 0 {
			reports++
		}
		if err := os.WriteFile(filepath.Join(mails, fmt.Sprintf("%04d.eml", i)), []byte(crashMail(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "crash.db")

	// Kill after the child reports this many more mails taken; then a
	// last run to the end.
	killAfter := []int{30, 70, 110}
	// In batch mode the child is killed when it says it is inside the
	// group commit writing that UID.
	blockAt := []int{33, 121, 250}
	for round := 0; round <= len(killAfter); round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDB+"="+db, envCrashMails+"="+mails)
		if batch {
			cmd.Env = append(cmd.Env, envCrashBatch+"=1")
			if round < len(killAfter) {
				// A UID in the middle of a group of 7 (the checkpoint is
				// a few mails behind the one reported taken last).
				cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", envCrashBlock, blockAt[round]))
			}
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		seen, done, killed := 0, false, false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "took ") {
				seen++
			}
			if line == "done" {
				done = true
			}
			trigger := seen == killAfter[round%len(killAfter)]
			if batch {
				trigger = strings.HasPrefix(line, "in group at ")
			}
			if round < len(killAfter) && trigger && !killed {
				// SIGKILL: no deferred function, no rollback, no cleanup.
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		if round < len(killAfter) {
			if done || !killed {
				t.Fatalf("round %d: the child finished before it was killed", round)
			}
			t.Logf("round %d: killed after %d mails reported (%v)", round, seen, err)
			if batch {
				checkGroupGone(t, db, blockAt[round])
			}
			continue
		}
		if err != nil || !done {
			t.Fatalf("last run: %v (done=%v)", err, done)
		}
	}

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Raw != n || c.Mails != n || c.Origins != n {
		t.Errorf("mails: %+v, want %d of each", c, n)
	}
	if c.Tickets != reports {
		t.Errorf("%d tickets, want %d", c.Tickets, reports)
	}
	if _, last, _ := st.Checkpoint(ctx, crashMailbox); last != n {
		t.Errorf("checkpoint at UID %d, want %d", last, n)
	}
	ob, err := st.Outbox(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	acks, notices := map[int64]int{}, map[int64]int{}
	for _, o := range ob {
		switch {
		case o.Kind == store.KindAck && o.Template == "ack-update":
			// the acknowledgement of a reply's addition, counted below
		case o.Kind == store.KindAck:
			acks[o.Ticket]++
		case o.Kind == store.KindTriagerNotice:
			notices[o.Ticket]++
		}
	}
	// Each report: an acknowledgement and a notice; each reply: an update
	// to the triager and an acknowledgement of the addition.
	if want := 2*reports + 2*(n-reports); len(ob) != want {
		t.Errorf("%d outbox mails, want %d", len(ob), want)
	}
	for tk := int64(1); tk <= int64(reports); tk++ {
		if acks[tk] != 1 || notices[tk] != 1 {
			t.Errorf("ticket #%d: %d acks, %d notices; want one each", tk, acks[tk], notices[tk])
		}
	}
	ts, _ := st.Tickets(ctx, store.TicketFilter{})
	for _, tk := range ts {
		want := 1
		if strings.HasPrefix(tk.Subject, "report ") {
			var i int
			fmt.Sscanf(tk.Subject, "report %d", &i)
			if (i+1)%4 == 0 && i+1 <= n {
				want = 2 // its reply
			}
		}
		if tk.Mails != want {
			t.Errorf("#%d %q: %d mails, want %d", tk.Number, tk.Subject, tk.Mails, want)
		}
	}
}

// checkGroupGone checks the store after a kill inside the group commit that
// was writing UID block: the checkpoint stands below it and every mail
// below the checkpoint is in, none above.
func checkGroupGone(t *testing.T, db string, block int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, last, err := st.Checkpoint(ctx, crashMailbox)
	if err != nil {
		t.Fatal(err)
	}
	if int(last) >= block || c.Mails != int(last) || c.Origins != int(last) {
		t.Errorf("killed inside the group writing UID %d: checkpoint %d, %d mails, %d origins; want the checkpoint below it and one mail each up to it",
			block, last, c.Mails, c.Origins)
	}
	t.Logf("killed inside the group writing UID %d: the store holds UIDs 1 to %d", block, last)
}
