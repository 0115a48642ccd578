package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// triageSink is the gateway's sink in small: triage over a store on disk,
// taking a fetched batch in group commits up to its first refused mail.
type triageSink struct{ g *triage.Gateway }

func (s triageSink) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, error) {
	return s.g.Checkpoint(ctx, mailbox)
}

func (s triageSink) Taken(ctx context.Context, mailbox string, uv uint32, uids []uint32) ([]uint32, error) {
	return s.g.Taken(ctx, mailbox, uv, uids)
}

func (s triageSink) Hold(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	return s.g.Hold(ctx, mailbox, uv, uids)
}

func (s triageSink) Release(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	return s.g.Release(ctx, mailbox, uv, uids)
}

func (s triageSink) Recover(ctx context.Context, mailbox string, uv uint32) (map[uint32]int, error) {
	return s.g.Recover(ctx, mailbox, uv)
}

func (s triageSink) Poison(ctx context.Context, raw []byte, o Origin, reason string) error {
	return s.g.Poison(ctx, raw, triage.Origin(o), reason)
}

func (s triageSink) Take(ctx context.Context, raw []byte, o Origin) error {
	return s.result(s.g.Take(ctx, raw, triage.Origin(o)))
}

func (s triageSink) TakeBatch(ctx context.Context, mails []Mail) []error {
	return s.Begin(ctx, mails).Take(ctx)
}

// Begin makes triageSink a BeginSink, as the gateway's sink is.
func (s triageSink) Begin(ctx context.Context, mails []Mail) Begun {
	batch := make([]triage.Mail, len(mails))
	for i, m := range mails {
		batch[i] = triage.Mail{Raw: m.Raw, Origin: triage.Origin(m.Origin)}
	}
	return triageBegun{s, s.g.BeginUntilRefused(ctx, batch)}
}

type triageBegun struct {
	s triageSink
	b *triage.Batch
}

func (b triageBegun) Take(ctx context.Context) []error {
	errs := b.b.Commit(ctx)
	for i, err := range errs {
		errs[i] = b.s.result(err)
	}
	return errs
}

func (b triageBegun) Abandon() { b.b.Abandon() }

func (triageSink) result(err error) error {
	var rej *triage.RejectError
	if errors.As(err, &rej) {
		return &RejectError{Reason: rej.Reason}
	}
	return err
}

// newTriageSink opens the store at path. Now, when set, is the gateway's
// clock, which triage reads inside the transaction of each mail it writes.
func newTriageSink(path string, now func() time.Time, log *slog.Logger) (triageSink, *store.Store, error) {
	st, err := store.Open(context.Background(), path)
	if err != nil {
		return triageSink{}, nil, err
	}
	g, err := triage.New(st, triage.Config{Address: report, Secret: []byte("0123456789abcdef-mailin-test"), Now: now, Logger: log})
	if err != nil {
		st.Close()
		return triageSink{}, nil, err
	}
	return triageSink{g}, st, nil
}

// helperStoreMain is the gateway process of TestDovecotKillInGroup: the
// intake into triage and a store. With MAILIN_HELPER_BLOCK=n it stops
// inside the group commit that writes its n-th mail, says so on standard
// output, and waits there to be killed.
func helperStoreMain(path, url string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	block, _ := strconv.Atoi(os.Getenv("MAILIN_HELPER_BLOCK"))
	var written atomic.Int64
	now := func() time.Time {
		if n := written.Add(1); block > 0 && n == int64(block) {
			fmt.Println("in group")
			time.Sleep(time.Hour)
		}
		return time.Now()
	}
	sink, st, err := newTriageSink(path, now, log)
	if err != nil {
		log.Error("helper: open store", "err", err)
		return 1
	}
	defer st.Close()
	return runHelper(url, sink, log)
}

// TestDovecotKillInGroup kills the gateway (SIGKILL) inside the group
// commit of a batch, with part of the group written, twice, and restarts
// it: the store holds none of the killed group and nothing the mailbox
// still offers was moved; in the end every message is one mail and one
// ticket, and moved once.
func TestDovecotKillInGroup(t *testing.T) {
	s := dovecottest.Start(t)
	const n = 200
	var want []string
	for i := range n {
		s.Deliver(report, rawMail("group", i))
		want = append(want, msgID("group", i))
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "store.db")
	logPath := filepath.Join(dir, "helper.log")
	start := func(block int) (*exec.Cmd, *os.File) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MAILIN_HELPER_STORE="+db, "MAILIN_HELPER_URL="+s.URL(report),
			fmt.Sprintf("MAILIN_HELPER_BLOCK=%d", block))
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("out-%d", block)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = out, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, out
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gateway log:\n%s", b)
		}
	}()
	counts := func() (store.Counts, uint32) {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		c, err := st.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, last, err := st.Checkpoint(context.Background(), mustAccountName(t, s.URL(report)))
		if err != nil {
			t.Fatal(err)
		}
		return c, last
	}

	// The n-th mail written by each run: the 20th of the first run is in
	// its first batch; the second run starts at the checkpoint.
	for _, block := range []int{20, 75} {
		cmd, out := start(block)
		waitFor(t, 60*time.Second, "the helper inside a group commit", func() bool {
			b, _ := os.ReadFile(out.Name())
			return strings.Contains(string(b), "in group")
		})
		cmd.Process.Kill()
		cmd.Wait()
		c, last := counts()
		inbox, processed := s.FolderFiles(report, "INBOX"), s.FolderFiles(report, "Processed")
		t.Logf("killed inside a group commit: %d mails in the store, checkpoint %d; %d in INBOX, %d in Processed", c.Mails, last, inbox, processed)
		if c.Mails != int(last) || c.Origins != int(last) || c.Tickets != int(last) {
			t.Errorf("after the kill: %+v with the checkpoint at %d; want one mail, origin and ticket for each UID up to it", c, last)
		}
		if processed > c.Mails || inbox+processed != n {
			t.Errorf("after the kill: %d moved with %d committed, %d in INBOX; a move must wait for its commit", processed, c.Mails, inbox)
		}
	}
	cmd, _ := start(0)
	waitFor(t, 60*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("gateway after SIGTERM: %v", err)
	}
	if c, last := counts(); c.Mails != n || c.Origins != n || c.Tickets != n || last != n {
		t.Errorf("in the end: %+v, checkpoint %d; want %d of each", c, last, n)
	}
	checkFolders(t, s, report, "Processed", want)
}

func mustAccountName(t *testing.T, url string) string {
	t.Helper()
	acct, err := ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return acct.Name()
}
