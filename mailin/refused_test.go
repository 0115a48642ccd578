package mailin

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestDovecotProcessedRefused: while Dovecot refuses every move into the
// Processed folder (its ACL takes the insert right away, as a full quota
// or a changed permission would), new mail is still taken in, the taken
// mail waits in INBOX, Status and the metrics say so; once the folder takes
// mail again, the waiting ones are moved without being taken twice.
func TestDovecotProcessedRefused(t *testing.T) {
	s := dovecottest.StartWith(t, dovecottest.Options{GlobalACL: true})
	s.SetGlobalACL("Processed owner lrwstekxa\n")
	for i := range 3 {
		s.Deliver(report, rawMail("refused", i))
	}
	sink := newMemSink()
	reg := prometheus.NewRegistry()
	cfg := fastConfig(s.URL(report), slog.New(newLogRecorder(t)))
	cfg.Metrics = NewMetrics(reg)
	in := mustNew(t, cfg, sink)
	running(t, in)

	waitFor(t, 15*time.Second, "the first mails taken", func() bool { return sink.count() == 3 })
	waitFor(t, 5*time.Second, "Status to say the moves are refused", func() bool {
		st := in.Status()
		return st.Unmoved == 3 && st.MoveError != ""
	})
	if got := s.FolderFiles(report, "INBOX"); got != 3 {
		t.Errorf("%d in INBOX while moves are refused, want 3", got)
	}
	for i := 3; i < 5; i++ {
		s.Deliver(report, rawMail("refused", i))
	}
	waitFor(t, 15*time.Second, "new mail taken while moves are refused", func() bool { return sink.count() == 5 })
	waitFor(t, 5*time.Second, "Status to count the new ones unmoved too", func() bool { return in.Status().Unmoved == 5 })
	st := in.Status()
	if !st.Connected || !strings.Contains(st.MoveError, "Processed") {
		t.Errorf("status %+v: want connected, and the refusal naming the folder", st)
	}
	if got := counterSum(t, reg, "leaguemail_mailin_move_failures_total"); got < 5 {
		t.Errorf("leaguemail_mailin_move_failures_total = %v, want at least 5", got)
	}

	s.SetGlobalACL("")
	waitFor(t, 15*time.Second, "the waiting mail moved once the folder takes it", func() bool {
		return s.FolderFiles(report, "INBOX") == 0 && s.FolderFiles(report, "Processed") == 5
	})
	waitFor(t, 5*time.Second, "Status to clear", func() bool {
		st := in.Status()
		return st.Unmoved == 0 && st.MoveError == ""
	})
	if _, dups := sink.snapshot(); dups != 0 {
		t.Errorf("%d mails taken twice", dups)
	}
}
