package triage

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// takeFolder takes in every file of dir as a mail, in name order, and
// returns the dispositions.
func (h *harness) takeFolder(dir string) []string {
	h.t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		h.t.Fatal(err)
	}
	sort.Strings(names)
	var disp []string
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			h.t.Fatal(err)
		}
		disp = append(disp, h.takeRaw(raw, Origin{Mailbox: "file:" + n}).disposition)
	}
	return disp
}

// snapshot is everything a second ingest must leave as it was.
func (h *harness) snapshot() string {
	h.t.Helper()
	ts, err := h.st.Tickets(h.ctx, store.TicketFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	var details []any
	for _, t := range ts {
		details = append(details, h.detail(t.Number))
	}
	b, err := json.MarshalIndent(map[string]any{"counts": h.counts(), "tickets": ts, "details": details}, "", " ")
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

var wantFolder = []string{DispOpened, DispOpened, DispAppended, DispAutoReply, DispBounce + DispUnmatched, DispOpened, DispFlagged}

func TestFolderTwiceGivesSameTickets(t *testing.T) {
	h := newHarness(t)
	got := h.takeFolder("testdata/mails")
	if len(got) != len(wantFolder) {
		t.Fatalf("dispositions %v", got)
	}
	for i := range got {
		if got[i] != wantFolder[i] {
			t.Errorf("mail %d: %s, want %s", i+1, got[i], wantFolder[i])
		}
	}
	first := h.snapshot()
	h.now = h.now.Add(24 * 60 * 60e9)
	h.takeFolder("testdata/mails")
	if second := h.snapshot(); second != first {
		t.Errorf("second ingest changed the store:\nfirst:\n%s\nsecond:\n%s", first, second)
	}
	c := h.counts()
	if c.Tickets != 3 || c.Mails != 7 {
		t.Errorf("counts = %+v", c)
	}
	// The two reports of one page correlate.
	if !h.hasEvent(2, "correlated", "seen in 1 other report") {
		t.Errorf("#2 events: %+v", h.detail(2).Events)
	}
}

// TestFolderWithParser runs the same folder through the real parser.
func TestFolderWithParser(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Parse = nil })
	if p := parser.Parse([]byte("From: a@b.example\r\n\r\nx"), parser.Options{}); p == nil {
		t.Skip("parser not ready")
	}
	got := h.takeFolder("testdata/mails")
	for i := range got {
		if i < len(wantFolder) && got[i] != wantFolder[i] {
			t.Errorf("mail %d: %s, want %s", i+1, got[i], wantFolder[i])
		}
	}
	first := h.snapshot()
	h.takeFolder("testdata/mails")
	if h.snapshot() != first {
		t.Error("second ingest changed the store")
	}
}
