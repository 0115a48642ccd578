package mailin

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/prometheus/client_golang/prometheus"
)

// memServer starts go-imap's in-memory server with only IMAP4rev1: no MOVE,
// no UIDPLUS, so that the intake must COPY, flag and EXPUNGE.
func memServer(t *testing.T) (addr string) {
	return memServerWith(t, nil)
}

// fetchMode says how a test server answers a FETCH of one UID.
type fetchMode int

const (
	answerWhole    fetchMode = iota
	answerBodyless           // the UID and its size, no body
	answerNothing            // no response at all, as for a UID expunged meanwhile
)

// fetchFilter decides per UID how the server answers a FETCH.
type fetchFilter func(imap.UID) fetchMode

// filteredSession answers a UID FETCH of a body as its filter says.
type filteredSession struct {
	imapserver.Session
	filter  fetchFilter
	onFetch func(uids []imap.UID) // each FETCH of bodies, when not nil
}

func (s *filteredSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, opts *imap.FetchOptions) error {
	set, ok := numSet.(imap.UIDSet)
	if !ok || len(opts.BodySection) == 0 {
		return s.Session.Fetch(w, numSet, opts)
	}
	nums, _ := set.Nums()
	if s.onFetch != nil {
		s.onFetch(nums)
	}
	var whole, bodyless []imap.UID
	for _, u := range nums {
		switch s.filter(u) {
		case answerWhole:
			whole = append(whole, u)
		case answerBodyless:
			bodyless = append(bodyless, u)
		}
	}
	if len(whole) > 0 {
		if err := s.Session.Fetch(w, imap.UIDSetNum(whole...), opts); err != nil {
			return err
		}
	}
	if len(bodyless) > 0 {
		light := *opts
		light.BodySection = nil
		return s.Session.Fetch(w, imap.UIDSetNum(bodyless...), &light)
	}
	return nil
}

// memServerWith is memServer answering FETCH as filter says (nil: always whole).
func memServerWith(t *testing.T, filter fetchFilter) (addr string) {
	return memServerHooked(t, filter, nil)
}

// memServerHooked is memServerWith that also reports each FETCH of bodies.
func memServerHooked(t *testing.T, filter fetchFilter, onFetch func([]imap.UID)) (addr string) {
	if filter == nil {
		filter = func(imap.UID) fetchMode { return answerWhole }
	}
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("u", "pw")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &filteredSession{mem.NewSession(), filter, onFetch}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       nopLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// TestMemServerSweep: mail the store already has (UID <= checkpoint) is
// moved without being taken again; the rest is taken, in order; all of it
// through COPY + \Deleted + EXPUNGE.
func TestMemServerSweep(t *testing.T) {
	addr := memServer(t)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := dovecottest.Append(c, "INBOX", rawMail("mem", i)); err != nil {
			t.Fatal(err)
		}
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}

	sink := newMemSink()
	cfg := fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(newLogRecorder(t)))
	reg := prometheus.NewRegistry()
	NewMetrics(reg) // a second registration reuses the first's metrics
	cfg.Metrics = NewMetrics(reg)
	in := mustNew(t, cfg, sink)
	sink.cps[in.Name()] = [2]uint32{sel.UIDValidity, 3} // committed, then a crash before the move
	for u := range uint32(3) {
		sink.origins[Origin{Mailbox: in.Name(), UIDValidity: sel.UIDValidity, UID: u + 1}] = true
	}
	stop := running(t, in)
	waitFor(t, 5*time.Second, "new mail taken in", func() bool { return sink.count() == 2 })
	waitFor(t, 5*time.Second, "INBOX emptied", func() bool {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		return err == nil && *st.NumMessages == 0
	})
	stop()
	recs, dups := sink.snapshot()
	if dups != 0 || recs[0].MessageID != msgID("mem", 3) || recs[1].MessageID != msgID("mem", 4) {
		t.Errorf("taken %+v, %d again; want mem-3 and mem-4 only", recs, dups)
	}
	st, err := c.Status("Processed", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 5 {
		t.Errorf("Processed: %v, %v messages; want 5", err, st)
	}
	if uv, last, _ := sink.Checkpoint(context.Background(), in.Name()); uv != sel.UIDValidity || last != 5 {
		t.Errorf("checkpoint %d/%d, want %d/5", uv, last, sel.UIDValidity)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				got[mf.GetName()] += c.GetValue()
			}
		}
	}
	if got["leaguemail_mailin_taken_total"] != 2 || got["leaguemail_mailin_moved_total"] != 5 || got["leaguemail_mailin_connects_total"] < 1 {
		t.Errorf("metrics %v: want 2 taken, 5 moved, a connect", got)
	}
}
