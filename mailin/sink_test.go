package mailin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"sync"
	"time"
)

// contentKey is what Take's idempotence keys on besides Origin: the
// Message-ID with a hash of the bytes.
func contentKey(raw []byte) (messageID, key string) {
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		messageID = m.Header.Get("Message-Id")
	}
	sum := sha256.Sum256(raw)
	return messageID, messageID + " " + hex.EncodeToString(sum[:])
}

// record is one committed mail.
type record struct {
	Origin    Origin
	MessageID string
	Key       string
	At        time.Time
}

// memSink is an in-memory Sink that keeps the contract of the store: one
// commit per mail, checkpoint advanced with it, idempotent by Origin and by
// Message-ID plus content.
type memSink struct {
	mu       sync.Mutex
	cps      map[string][2]uint32
	origins  map[Origin]bool
	keys     map[string]bool
	records  []record
	dups     int // Takes of a mail already in: nil, nothing committed
	takes    int
	reject   func(raw []byte) string // a reason to reject, or ""
	fail     func(raw []byte) error  // a temporary error, or nil
	taken    chan record             // each commit, when not nil (never blocks)
	duration time.Duration           // how long each commit takes
}

func newMemSink() *memSink {
	return &memSink{cps: map[string][2]uint32{}, origins: map[Origin]bool{}, keys: map[string]bool{}}
}

func (s *memSink) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.cps[mailbox]
	return cp[0], cp[1], nil
}

func (s *memSink) Take(ctx context.Context, raw []byte, o Origin) error {
	if s.duration > 0 {
		time.Sleep(s.duration)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.takes++
	if s.fail != nil {
		if err := s.fail(raw); err != nil {
			return err
		}
	}
	if s.reject != nil {
		if reason := s.reject(raw); reason != "" {
			return &RejectError{Reason: reason}
		}
	}
	id, key := contentKey(raw)
	if s.origins[o] || s.keys[key] {
		s.dups++
		s.origins[o] = true // as the store records where it was seen again
		return nil
	}
	s.origins[o], s.keys[key] = true, true
	cp := s.cps[o.Mailbox]
	if cp[0] != o.UIDValidity || o.UID > cp[1] {
		s.cps[o.Mailbox] = [2]uint32{o.UIDValidity, o.UID}
	}
	r := record{Origin: o, MessageID: id, Key: key, At: time.Now()}
	s.records = append(s.records, r)
	if s.taken != nil {
		select {
		case s.taken <- r:
		default:
		}
	}
	return nil
}

func (s *memSink) Taken(ctx context.Context, mailbox string, uv uint32, uids []uint32) ([]uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var taken []uint32
	for _, u := range uids {
		if s.origins[Origin{Mailbox: mailbox, UIDValidity: uv, UID: u}] {
			taken = append(taken, u)
		}
	}
	return taken, nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

func (s *memSink) snapshot() (records []record, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]record(nil), s.records...), s.dups
}

// fileSink is a Sink on a file of JSON lines, each written with fsync before
// Take returns: a process killed at any point keeps exactly what it committed.
type fileSink struct {
	mu   sync.Mutex
	f    *os.File
	mem  *memSink
	slow time.Duration
}

func openFileSink(path string) (*fileSink, error) {
	recs, err := readFileSink(path)
	if err != nil {
		return nil, err
	}
	m := newMemSink()
	for _, r := range recs {
		m.origins[r.Origin], m.keys[r.Key] = true, true
		cp := m.cps[r.Origin.Mailbox]
		if cp[0] != r.Origin.UIDValidity || r.Origin.UID > cp[1] {
			m.cps[r.Origin.Mailbox] = [2]uint32{r.Origin.UIDValidity, r.Origin.UID}
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &fileSink{f: f, mem: m}, nil
}

// readFileSink reads the records of a file sink; a torn last line (a kill
// in the middle of a write) was never committed.
func readFileSink(path string) ([]record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			if !bytes.HasSuffix(b, []byte("\n")) {
				break
			}
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

func (s *fileSink) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, error) {
	return s.mem.Checkpoint(ctx, mailbox)
}

func (s *fileSink) Taken(ctx context.Context, mailbox string, uv uint32, uids []uint32) ([]uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.Taken(ctx, mailbox, uv, uids)
}

func (s *fileSink) Take(ctx context.Context, raw []byte, o Origin) error {
	if s.slow > 0 {
		time.Sleep(s.slow)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mem
	id, key := contentKey(raw)
	if m.origins[o] || m.keys[key] {
		m.origins[o] = true
		return nil
	}
	line, _ := json.Marshal(record{Origin: o, MessageID: id, Key: key, At: time.Now()})
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	m.origins[o], m.keys[key] = true, true
	cp := m.cps[o.Mailbox]
	if cp[0] != o.UIDValidity || o.UID > cp[1] {
		m.cps[o.Mailbox] = [2]uint32{o.UIDValidity, o.UID}
	}
	return nil
}
