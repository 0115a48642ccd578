package mailin

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

func TestGroups(t *testing.T) {
	const K = 1 << 10
	for _, tt := range []struct {
		name     string
		sizes    []int64 // of UIDs 1, 2, ...
		count    int
		maxBytes int64
		want     [][]imap.UID
	}{
		{"by count", []int64{1, 1, 1, 1, 1}, 2, K, [][]imap.UID{{1, 2}, {3, 4}, {5}}},
		{"by bytes", []int64{400, 400, 400, 100, 100}, 10, K, [][]imap.UID{{1, 2}, {3, 4, 5}}},
		{"exactly the bound", []int64{512, 512, 1}, 10, K, [][]imap.UID{{1, 2}, {3}}},
		{"larger than the bound, alone", []int64{10, 5 * K, 10, 10}, 10, K, [][]imap.UID{{1}, {2}, {3, 4}}},
		{"unknown size (expunged) counts nothing", []int64{-1, 900, -1}, 10, K, [][]imap.UID{{1, 2, 3}}},
		{"none", nil, 10, K, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var uids []imap.UID
			sizes := map[imap.UID]int64{}
			for i, n := range tt.sizes {
				u := imap.UID(i + 1)
				uids = append(uids, u)
				if n >= 0 {
					sizes[u] = n
				}
			}
			got := groups(uids, sizes, tt.count, tt.maxBytes)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
		})
	}
}

// bigMail is a report of about size bytes: a short text and an attachment.
func bigMail(i, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Ana <ana@hospital.example.org>\r\nTo: report@league.example\r\nSubject: phishing with a big attachment %d\r\n"+
		"Message-ID: <big-%d@hospital.example.org>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached, from 45.133.1.%d\r\n"+
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\n", i, i, i%250)
	line := bytes.Repeat([]byte("QUJD"), 19)
	for b.Len() < size {
		b.Write(line)
		b.WriteString("\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestBatchBytes: no FETCH of bodies asks for more than batch_bytes of
// mail, save one mail alone that is larger than the bound; all are taken.
func TestBatchBytes(t *testing.T) {
	const K = 1 << 10
	sizes := []int{300 * K, 300 * K, 300 * K, 1100 * K, 100 * K, 100 * K, 300 * K}
	var mu sync.Mutex
	var fetches [][]imap.UID
	addr := memServerHooked(t, nil, func(uids []imap.UID) {
		mu.Lock()
		fetches = append(fetches, uids)
		mu.Unlock()
	})
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	real := map[imap.UID]int{}
	for i, n := range sizes {
		raw := bigMail(i, n)
		u, err := dovecottest.Append(c, "INBOX", raw)
		if err != nil {
			t.Fatal(err)
		}
		real[u] = len(raw)
	}
	sink := newMemSink()
	hands := &handBytes{memSink: sink, size: real, held: map[uint32]bool{}}
	cfg := fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(newLogRecorder(t)))
	cfg.BatchBytes = 700 * K
	in := mustNew(t, cfg, hands)
	stop := running(t, in)
	waitFor(t, 10*time.Second, "all taken", func() bool { return sink.count() == len(sizes) })
	stop()
	mu.Lock()
	defer mu.Unlock()
	for _, f := range fetches {
		total := 0
		for _, u := range f {
			total += real[u]
		}
		if total > int(cfg.BatchBytes) && len(f) > 1 {
			t.Errorf("one FETCH asked for %v, %d bytes, over the bound of %d", f, total, cfg.BatchBytes)
		}
	}
	hands.mu.Lock()
	defer hands.mu.Unlock()
	if hands.over != "" {
		t.Error(hands.over)
	}
	if len(fetches) < 4 {
		t.Errorf("%d FETCHes of bodies (%v), want at least 4 for these sizes", len(fetches), fetches)
	}
}

// handBytes is a sink that checks the bound of a catch-up's memory: the
// mails in hand at once (held, fetched ahead of the take before them
// included) are at most the bound's bytes, or one mail alone.
type handBytes struct {
	*memSink
	size map[imap.UID]int
	mu   sync.Mutex
	held map[uint32]bool
	over string // the first breach of the bound
}

func (h *handBytes) Hold(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	h.mu.Lock()
	total := 0
	for _, u := range uids {
		h.held[u] = true
	}
	for u := range h.held {
		total += h.size[imap.UID(u)]
	}
	if total > 700<<10 && len(h.held) > 1 && h.over == "" {
		h.over = fmt.Sprintf("%d mails in hand at once, %d bytes, over the bound of %d", len(h.held), total, 700<<10)
	}
	h.mu.Unlock()
	return h.memSink.Hold(ctx, mailbox, uv, uids)
}

func (h *handBytes) Release(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	h.mu.Lock()
	for _, u := range uids {
		delete(h.held, u)
	}
	h.mu.Unlock()
	return h.memSink.Release(ctx, mailbox, uv, uids)
}
