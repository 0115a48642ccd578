package triage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// batchMails are 60 reports and replies as from an IMAP mailbox, with what
// a group commit must get right: the same bytes twice in one group (a
// copy in the mailbox), the same UID offered twice, the same Message-ID
// with other bytes (a second delivery), an empty mail, and replies to
// reports of the same group.
func batchMails() []Mail {
	var ms []Mail
	uid := uint32(0)
	add := func(raw string) {
		uid++
		ms = append(ms, Mail{Raw: []byte(raw), Origin: Origin{Mailbox: crashMailbox, UIDValidity: 1, UID: uid}})
	}
	for i := 1; i <= 60; i++ {
		add(crashMail(i))
		switch i {
		case 3:
			add(crashMail(3)) // same bytes, next UID, same group
		case 10:
			ms = append(ms, ms[len(ms)-1]) // same UID again
		case 20:
			add(crashMail(20) + "resent by a list\r\n") // same Message-ID, other bytes
		case 30:
			add("")
		}
	}
	return ms
}

// storeState is what a user sees of a store: every mail's disposition and
// ticket, the tickets, the outbox, the checkpoint.
type storeState struct {
	counts   store.Counts
	mails    []string
	tickets  []string
	outbox   []string
	lastUID  uint32
	rejected []int
}

func stateOf(t *testing.T, st *store.Store, errs []error) storeState {
	t.Helper()
	ctx := context.Background()
	var s storeState
	var err error
	if s.counts, err = st.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= int64(s.counts.Mails); id++ {
		m, err := st.Mail(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		tk := int64(0)
		if tm, err := st.MailTicket(ctx, id); err == nil {
			tk = tm.Ticket
		}
		s.mails = append(s.mails, fmt.Sprintf("%s %s #%d", m.MessageID, m.Disposition, tk))
	}
	ts, err := st.Tickets(ctx, store.TicketFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		s.tickets = append(s.tickets, fmt.Sprintf("#%d %s %s %d mails", tk.Number, tk.State, tk.Subject, tk.Mails))
	}
	ob, err := st.Outbox(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ob {
		s.outbox = append(s.outbox, fmt.Sprintf("#%d %s %s %v %s", o.Ticket, o.Kind, o.Template, o.Recipients, o.Subject))
	}
	slices.Sort(s.outbox)
	_, s.lastUID, _ = st.Checkpoint(ctx, crashMailbox)
	for i, err := range errs {
		var rej *RejectError
		if errors.As(err, &rej) {
			s.rejected = append(s.rejected, i)
		} else if err != nil {
			t.Errorf("mail %d: %v", i, err)
		}
	}
	return s
}

func batchGateway(t *testing.T, groupMails int) (*Gateway, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g, err := New(st, Config{Address: league, Secret: secret, Triagers: []string{"alex@volunteers.example"}, AutoMailsPerHour: 1 << 20,
		Parse: testParse, Logger: discardLogger(), Now: func() time.Time { return t0 }, GroupMails: groupMails, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	return g, st
}

func compareStates(t *testing.T, got, want storeState) {
	t.Helper()
	if got.counts != want.counts {
		t.Errorf("counts: %+v, want %+v", got.counts, want.counts)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"mails", got.mails, want.mails}, {"tickets", got.tickets, want.tickets}, {"outbox", got.outbox, want.outbox}} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s differ:\n got  %q\n want %q", c.what, c.got, c.want)
		}
	}
	if got.lastUID != want.lastUID {
		t.Errorf("checkpoint %d, want %d", got.lastUID, want.lastUID)
	}
	if !slices.Equal(got.rejected, want.rejected) {
		t.Errorf("rejected %v, want %v", got.rejected, want.rejected)
	}
}

// takenOneByOne is the state of a store that took mails one Take at a
// time: what a group commit must leave.
func takenOneByOne(t *testing.T, mails []Mail) storeState {
	t.Helper()
	g, st := batchGateway(t, 0)
	var errs []error
	for _, m := range mails {
		errs = append(errs, g.Take(context.Background(), m.Raw, m.Origin))
	}
	return stateOf(t, st, errs)
}

// TestTakeBatchAsTakes checks that a batch committed in groups leaves the
// store as the same mails taken one by one do, whatever the group size.
func TestTakeBatchAsTakes(t *testing.T) {
	mails := batchMails()
	want := takenOneByOne(t, mails)
	if len(want.rejected) != 1 || want.counts.Mails != 61 {
		t.Fatalf("one by one: %d rejected, %d mails; the fixture is not what the test thinks", len(want.rejected), want.counts.Mails)
	}
	for _, size := range []int{1, 2, 7, 64} {
		t.Run(fmt.Sprint("group of ", size), func(t *testing.T) {
			g, st := batchGateway(t, size)
			errs := g.TakeBatch(context.Background(), mails)
			compareStates(t, stateOf(t, st, errs), want)
		})
	}
}

// TestTakeBatchGroupFails makes the store fail inside the fourth group:
// the three before it stand, nothing of it or after it is committed, the
// checkpoint stays below it, the rejected mail is still rejected, and the
// same batch offered again ends as if nothing had failed.
func TestTakeBatchGroupFails(t *testing.T) {
	mails := batchMails()
	ref, refSt := batchGateway(t, 0)
	want := stateOf(t, refSt, ref.TakeBatch(context.Background(), mails))

	g, st := batchGateway(t, 7)
	fail := errors.New("disk I/O error")
	testHookInGroup = func(p *prepared) error {
		if p.origin.UID == 25 {
			return fail
		}
		return nil
	}
	errs := g.TakeBatch(context.Background(), mails)
	testHookInGroup = nil
	// Groups of 7 mails: 0-6, 7-13, 14-20, then 21-27 holds UID 25.
	for i, err := range errs {
		var rej *RejectError
		switch {
		case i < 21 && err != nil:
			t.Errorf("mail %d of a committed group: %v", i, err)
		case i >= 21 && mails[i].Raw != nil && len(mails[i].Raw) == 0:
			if !errors.As(err, &rej) {
				t.Errorf("empty mail %d: %v, want a rejection", i, err)
			}
		case i >= 21 && !errors.Is(err, fail):
			t.Errorf("mail %d at or after the failed group: %v, want the store's error", i, err)
		}
	}
	_, last, _ := st.Checkpoint(context.Background(), crashMailbox)
	c, _ := st.Counts(context.Background())
	if last != mails[20].Origin.UID || c.Origins != 20 {
		t.Errorf("after the failed group: checkpoint %d with %d origins, want %d and 20", last, c.Origins, mails[20].Origin.UID)
	}
	compareStates(t, stateOf(t, st, g.TakeBatch(context.Background(), mails)), want)
}

// TestTakeUntilRefused: an intake's batch ends at its first refused mail,
// so that the intake files it before any later mail is committed.
func TestTakeUntilRefused(t *testing.T) {
	mails := batchMails()
	refused := -1
	for i, m := range mails {
		if len(m.Raw) == 0 {
			refused = i
			break
		}
	}
	if refused < 1 {
		t.Fatal("the fixture has no empty mail after its first")
	}
	g, st := batchGateway(t, 7)
	errs := g.TakeUntilRefused(context.Background(), mails)
	if len(errs) != refused+1 {
		t.Fatalf("%d results, want %d: up to and including the refused mail", len(errs), refused+1)
	}
	var rej *RejectError
	if !errors.As(errs[refused], &rej) {
		t.Errorf("result of the empty mail: %v, want a rejection", errs[refused])
	}
	// The store holds what the mails before the refused one make, and
	// nothing of those after it.
	ref, refSt := batchGateway(t, 7)
	ref.TakeBatch(context.Background(), mails[:refused])
	got, _ := st.Counts(context.Background())
	want, _ := refSt.Counts(context.Background())
	if got.Origins != want.Origins || got.Mails != want.Mails || got.Tickets != want.Tickets {
		t.Errorf("store after the batch: %+v, want only what the mails before the refused one make: %+v", got, want)
	}
}

// TestBeginAhead begins three batches before any is committed, as an
// intake begins its next batch while one commits, with the copies of the
// fixture across their edges (the same bytes as the last mail of the
// batch before, the same UID again): committed in order, they leave the
// store as one-by-one Takes do. The parsers read the store before the
// batch before them wrote; only the commits may decide.
func TestBeginAhead(t *testing.T) {
	mails := batchMails()
	if !slices.Equal(mails[2].Raw, mails[3].Raw) || mails[10].Origin != mails[11].Origin {
		t.Fatal("the fixture's copies are not where the test cuts it")
	}
	want := takenOneByOne(t, mails)
	g, st := batchGateway(t, 4)
	ctx := context.Background()
	cuts := [][]Mail{mails[:3], mails[3:11], mails[11:]}
	var begun []*Batch
	for _, c := range cuts {
		begun = append(begun, g.Begin(ctx, c))
	}
	var errs []error
	for _, b := range begun {
		errs = append(errs, b.Commit(ctx)...)
	}
	compareStates(t, stateOf(t, st, errs), want)
}

// TestAbandon: a batch begun and abandoned writes nothing, and its mails
// are taken whole when offered again.
func TestAbandon(t *testing.T) {
	mails := batchMails()
	ref, refSt := batchGateway(t, 0)
	want := stateOf(t, refSt, ref.TakeBatch(context.Background(), mails))
	g, st := batchGateway(t, 4)
	g.Begin(context.Background(), mails).Abandon()
	if c, _ := st.Counts(context.Background()); c != (store.Counts{}) {
		t.Fatalf("an abandoned batch wrote %+v", c)
	}
	compareStates(t, stateOf(t, st, g.TakeBatch(context.Background(), mails)), want)
}
