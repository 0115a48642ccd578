package triage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

const league = "report@league.example"

var (
	t0     = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	secret = []byte("0123456789abcdef-test-secret")
)

// harness is a gateway over a fresh store, fed parser.Message values built
// by the tests: each is registered under a made-up raw mail.
type harness struct {
	t    *testing.T
	ctx  context.Context
	st   *store.Store
	g    *Gateway
	now  time.Time
	msgs map[string]*parser.Message
	seq  int
}

func newHarness(t *testing.T, adjust ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), now: t0, msgs: map[string]*parser.Message{}}
	where := filepath.Join(t.TempDir(), "test.db")
	if backend != nil {
		where = backend.Schema(t)
	}
	st, err := store.Open(h.ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	cfg := Config{
		Address:  league,
		Domains:  []string{"league.example"},
		Secret:   secret,
		Triagers: []string{"alex@volunteers.example"},
		Now:      func() time.Time { return h.now },
		Logger:   discardLogger(),
		Parse: func(raw []byte) *parser.Message {
			if m, ok := h.msgs[string(raw)]; ok {
				return m
			}
			return testParse(raw)
		},
	}
	for _, f := range adjust {
		f(&cfg)
	}
	if h.g, err = New(st, cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

// outcome is what became of one mail.
type outcome struct {
	mail        int64
	disposition string
	ticket      int64
	matchedBy   string
	flagged     bool
}

// take takes m in as a new mail, one second after the previous one.
func (h *harness) take(m *parser.Message) outcome {
	h.t.Helper()
	h.seq++
	raw := fmt.Sprintf("raw mail %d", h.seq)
	h.msgs[raw] = m
	h.now = h.now.Add(time.Second)
	return h.takeRaw([]byte(raw), Origin{Mailbox: "file:test", UID: uint32(h.seq)})
}

func (h *harness) takeRaw(raw []byte, o Origin) outcome {
	h.t.Helper()
	if err := h.g.Take(h.ctx, raw, o); err != nil {
		h.t.Fatalf("Take: %v", err)
	}
	sum := sha256.Sum256(raw)
	_, id, err := h.st.Seen(h.ctx, o, hex.EncodeToString(sum[:]))
	if err != nil || id == 0 {
		h.t.Fatalf("mail not stored: %v", err)
	}
	m, err := h.st.Mail(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	out := outcome{mail: id, disposition: m.Disposition}
	tm, err := h.st.MailTicket(h.ctx, id)
	if err == nil {
		out.ticket, out.matchedBy, out.flagged = tm.Ticket, tm.MatchedBy, tm.Flagged
	} else if !errors.Is(err, store.ErrNotFound) {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) counts() store.Counts {
	h.t.Helper()
	c, err := h.st.Counts(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) detail(n int64) *store.TicketDetail {
	h.t.Helper()
	d, err := h.st.TicketDetail(h.ctx, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func (h *harness) outbox() []store.OutboxMail {
	h.t.Helper()
	o, err := h.st.Outbox(h.ctx, store.OutboxFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// hasEvent reports whether ticket n has an event of kind whose detail
// contains text.
func (h *harness) hasEvent(n int64, kind, text string) bool {
	for _, e := range h.detail(n).Events {
		if e.Kind == kind && strings.Contains(e.Detail, text) {
			return true
		}
	}
	return false
}

// report builds a new report from a reporter.
func report(from, msgid, subject string, inds ...parser.Indicator) *parser.Message {
	return &parser.Message{
		MessageID: msgid, From: from, To: []string{league}, Subject: subject, Date: t0,
		Kind: parser.KindReport, Indicators: inds, Errors: []string{},
	}
}

func domain(v string, layer parser.Layer) parser.Indicator {
	return parser.Indicator{Type: "domain", Value: v, Sources: []string{"text"}, Layers: []parser.Layer{layer}}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testParse is a small stand-in for the parser, for mails written by the
// tests: headers, tokens, subject tag, DSN fields, and URLs and IPv4
// addresses in the body as indicators.
func testParse(raw []byte) *parser.Message {
	msg := &parser.Message{Kind: parser.KindReport, Errors: []string{}}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		msg.Errors = append(msg.Errors, "not a mail: "+err.Error())
		return msg
	}
	h := m.Header
	msg.Header = map[string][]string(h)
	msg.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	msg.Subject = h.Get("Subject")
	msg.InReplyTo = strings.TrimSpace(h.Get("In-Reply-To"))
	msg.References = strings.Fields(h.Get("References"))
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		msg.From, msg.FromName = strings.ToLower(a.Address), a.Name
	}
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"To", &msg.To}, {"Cc", &msg.Cc}} {
		list, _ := mail.ParseAddressList(h.Get(f.key))
		for _, a := range list {
			addr := strings.ToLower(a.Address)
			*f.dst = append(*f.dst, addr)
			if local, dom, _ := strings.Cut(addr, "@"); dom == "league.example" {
				if _, tok, ok := strings.Cut(local, "+"); ok {
					msg.Tokens = append(msg.Tokens, tok)
				}
			}
		}
	}
	if sm := tagRE.FindStringSubmatch(msg.Subject); sm != nil {
		n, _ := strconv.ParseInt(sm[1], 10, 64)
		msg.TicketRef = &n
	}
	body, _ := io.ReadAll(m.Body)
	switch {
	case strings.Contains(h.Get("Content-Type"), "report-type=delivery-status"):
		msg.Kind = parser.KindBounce
		b := &parser.Bounce{}
		if sm := statusRE.FindSubmatch(body); sm != nil {
			b.Status = string(sm[1])
		}
		if sm := actionRE.FindSubmatch(body); sm != nil {
			b.Action = string(sm[1])
		}
		if all := midRE.FindAllSubmatch(body, -1); len(all) > 0 {
			b.OriginalMessageID = string(all[len(all)-1][1])
		}
		msg.Bounce = b
		return msg
	case h.Get("Auto-Submitted") != "" && !strings.EqualFold(h.Get("Auto-Submitted"), "no"):
		msg.Kind = parser.KindAutoReply
		msg.AutoReason = "Auto-Submitted: " + h.Get("Auto-Submitted")
		return msg
	}
	msg.Text = string(body)
	seen := map[string]bool{}
	add := func(typ, v string) {
		if !seen[typ+v] {
			seen[typ+v] = true
			msg.Indicators = append(msg.Indicators, parser.Indicator{Type: typ, Value: v, Sources: []string{"text"}, Layers: []parser.Layer{parser.LayerReport}})
		}
	}
	for _, sm := range urlRE.FindAllSubmatch(body, -1) {
		add("url", string(sm[0]))
		add("domain", strings.ToLower(string(sm[1])))
	}
	for _, ip := range ipRE.FindAll(body, -1) {
		add("ipv4", string(ip))
	}
	return msg
}

var (
	tagRE    = regexp.MustCompile(`\[League #(\d+)\]`)
	statusRE = regexp.MustCompile(`(?m)^Status:\s*(\S+)`)
	actionRE = regexp.MustCompile(`(?m)^Action:\s*(\S+)`)
	midRE    = regexp.MustCompile(`(?mi)^Message-ID:\s*(<[^>]+>)`)
	urlRE    = regexp.MustCompile(`https?://([a-zA-Z0-9.-]+)[^\s<>"]*`)
	ipRE     = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
)
