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
	"syscall"
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
	Poison    string `json:",omitempty"` // the reason, for a mail set aside by Poison
}

// hand is the record of one UID in hand (store.Store.Hold).
type hand struct {
	InHand  bool
	Crashes int
}

// hands is the record of the UIDs in hand, kept as the store keeps it.
type hands map[Origin]hand

func (h hands) hold(mailbox string, uv uint32, uids []uint32) {
	for _, u := range uids {
		o := Origin{mailbox, uv, u}
		x := h[o]
		x.InHand = true
		h[o] = x
	}
}

func (h hands) release(mailbox string, uv uint32, uids []uint32) {
	for _, u := range uids {
		delete(h, Origin{mailbox, uv, u})
	}
}

// recover counts a crash for what is in hand; taken says what was taken.
func (h hands) recover(mailbox string, uv uint32, taken func(Origin) bool) map[uint32]int {
	out := map[uint32]int{}
	for o, x := range h {
		if o.Mailbox != mailbox {
			continue
		}
		if o.UIDValidity != uv || taken(o) {
			delete(h, o)
			continue
		}
		if x.InHand {
			x.InHand, x.Crashes = false, x.Crashes+1
			h[o] = x
		}
		if x.Crashes > 0 {
			out[o.UID] = x.Crashes
		}
	}
	return out
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
	hands    hands
	// releaseErr, when not nil, may fail a Release.
	releaseErr func() error
}

func newMemSink() *memSink {
	return &memSink{cps: map[string][2]uint32{}, origins: map[Origin]bool{}, keys: map[string]bool{}, hands: hands{}}
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

func (s *memSink) Hold(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hands.hold(mailbox, uv, uids)
	return nil
}

func (s *memSink) Release(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.releaseErr != nil {
		if err := s.releaseErr(); err != nil {
			return err
		}
	}
	s.hands.release(mailbox, uv, uids)
	return nil
}

func (s *memSink) Recover(ctx context.Context, mailbox string, uv uint32) (map[uint32]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hands.recover(mailbox, uv, func(o Origin) bool { return s.origins[o] }), nil
}

func (s *memSink) Poison(ctx context.Context, raw []byte, o Origin, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.origins[o] {
		return nil
	}
	s.commit(record{Origin: o, Key: fmt.Sprint(o), Poison: reason, At: time.Now()})
	return nil
}

// commit records r as taken, checkpoint included.
func (s *memSink) commit(r record) {
	s.origins[r.Origin], s.keys[r.Key] = true, true
	cp := s.cps[r.Origin.Mailbox]
	if cp[0] != r.Origin.UIDValidity || r.Origin.UID > cp[1] {
		s.cps[r.Origin.Mailbox] = [2]uint32{r.Origin.UIDValidity, r.Origin.UID}
	}
	s.records = append(s.records, r)
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
	path string // of the records; the hands are in path+".hands"
	mem  *memSink
	slow time.Duration
	kill []byte // Take kills the process (SIGKILL) on a mail that holds it
}

func openFileSink(path string) (*fileSink, error) {
	recs, err := readFileSink(path)
	if err != nil {
		return nil, err
	}
	m := newMemSink()
	if b, err := os.ReadFile(path + ".hands"); err == nil {
		var list []struct {
			O Origin
			H hand
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, err
		}
		for _, x := range list {
			m.hands[x.O] = x.H
		}
	}
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
	return &fileSink{f: f, path: path, mem: m}, nil
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

// saveHands writes the hands durably: a temporary file, fsync, rename.
func (s *fileSink) saveHands() error {
	var list []struct {
		O Origin
		H hand
	}
	for o, h := range s.mem.hands {
		list = append(list, struct {
			O Origin
			H hand
		}{o, h})
	}
	b, _ := json.Marshal(list)
	tmp := s.path + ".hands.tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.path+".hands")
}

func (s *fileSink) Hold(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.hands.hold(mailbox, uv, uids)
	return s.saveHands()
}

func (s *fileSink) Release(ctx context.Context, mailbox string, uv uint32, uids []uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.hands.release(mailbox, uv, uids)
	return s.saveHands()
}

func (s *fileSink) Recover(ctx context.Context, mailbox string, uv uint32) (map[uint32]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.mem.hands.recover(mailbox, uv, func(o Origin) bool { return s.mem.origins[o] })
	return out, s.saveHands()
}

func (s *fileSink) Poison(ctx context.Context, raw []byte, o Origin, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mem.origins[o] {
		return nil
	}
	id, key := contentKey(raw)
	r := record{Origin: o, MessageID: id, Key: key, At: time.Now(), Poison: reason}
	if err := s.append(r); err != nil {
		return err
	}
	s.mem.commit(r)
	return nil
}

// append writes r durably.
func (s *fileSink) append(r record) error {
	line, _ := json.Marshal(r)
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return err
	}
	return s.f.Sync()
}

func (s *fileSink) Take(ctx context.Context, raw []byte, o Origin) error {
	if s.slow > 0 {
		time.Sleep(s.slow)
	}
	if s.kill != nil && bytes.Contains(raw, s.kill) {
		// As the OOM killer or a crash in a C library would.
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
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
