package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"

	"github.com/hospital-league/leaguemail/mailin"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// The demo's story is told from real events: the gateway's sink reports
// each mail it committed, the SMTP server each mail it delivered. Both
// come from goroutines of their own and must never wait on the story, so
// they are queued here and the story reads them in its own time.

// demoEvent is a mail the gateway took in, or one the SMTP server delivered.
type demoEvent struct {
	taken     *takenMail
	delivered *delivery
}

type takenMail struct {
	raw    []byte
	origin mailin.Origin
}

// eventQueue is an unbounded queue of events with a signal for the reader.
type eventQueue struct {
	mu    sync.Mutex
	evs   []demoEvent
	ready chan struct{} // holds a token while evs may be non-empty
}

func newEventQueue() *eventQueue { return &eventQueue{ready: make(chan struct{}, 1)} }

func (q *eventQueue) add(e demoEvent) {
	q.mu.Lock()
	q.evs = append(q.evs, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() []demoEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.evs
	q.evs = nil
	return evs
}

// inMail is what the story knows of a mail the gateway took in.
type inMail struct {
	id          int64
	messageID   string
	from        string
	ticket      int64
	disposition string
}

// outMail is what the story knows of a mail of the gateway's delivered.
type outMail struct {
	kind   string
	ticket int64
	to     []string
}

// show prints what an event means and records it for the story's waits.
// A mail the gateway sent may be delivered before the story has printed
// the taking-in that caused it (the sender is woken before the sink's
// hook runs): it is held until then, so that effects follow causes.
func (d *demo) show(ctx context.Context, e demoEvent) error {
	switch {
	case e.taken != nil:
		m, err := d.showTaken(ctx, e.taken)
		if err != nil {
			return err
		}
		d.in = append(d.in, m)
		d.shown[m.id] = true
		held := d.held
		d.held = nil
		for _, h := range held {
			if err := d.showDelivered(ctx, h); err != nil {
				return err
			}
		}
	case e.delivered != nil:
		return d.showDelivered(ctx, e.delivered)
	}
	return nil
}

// showTaken prints a mail the gateway committed, and what it did to a
// ticket: opened it (with its indicators and correlations), or ran the
// commands it carried.
func (d *demo) showTaken(ctx context.Context, t *takenMail) (inMail, error) {
	sum := sha256.Sum256(t.raw)
	byOrigin, bySHA, err := d.st.Seen(ctx, store.Origin(t.origin), hex.EncodeToString(sum[:]))
	if err != nil {
		return inMail{}, err
	}
	id := orID(byOrigin, bySHA)
	m, err := d.st.Mail(ctx, id)
	if err != nil {
		return inMail{}, err
	}
	in := inMail{id: id, messageID: strings.Trim(m.MessageID, "<>"), from: m.From, disposition: m.Disposition}
	d.printf("→ mail in from %s: %q\n", m.From, m.Subject)
	tm, err := d.st.MailTicket(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		d.printf("  (%s, on no ticket)\n", m.Disposition)
		return in, nil
	}
	if err != nil {
		return inMail{}, err
	}
	in.ticket = tm.Ticket
	det, err := d.st.TicketDetail(ctx, tm.Ticket)
	if err != nil {
		return inMail{}, err
	}
	if m.Disposition == triage.DispOpened {
		d.showOpened(det)
		return in, nil
	}
	how := ""
	if tm.MatchedBy != "" {
		how = ", threaded by " + tm.MatchedBy
	}
	d.printf("  %s on ticket #%d%s\n", m.Disposition, tm.Ticket, how)
	for _, ev := range det.Events {
		if ev.Mail == id && (ev.Kind == "command" || ev.Kind == "command-failed" || ev.Kind == "flagged") {
			d.printf("  %s\n", ev.Detail)
		}
	}
	return in, nil
}

// showOpened prints a new ticket: who, from where, its indicators
// (defanged, the first six), and the tickets it shares indicators with.
func (d *demo) showOpened(det *store.TicketDetail) {
	t := det.Ticket
	who := t.Reporter
	if t.ReporterName != "" {
		who = t.ReporterName + " <" + t.Reporter + ">"
	}
	if inst := t.Institution; inst != nil {
		who += ", " + inst.Name
		if area := strings.Trim(inst.Country+", "+inst.Region, ", "); area != "" {
			who += " (" + area + ")"
		}
	}
	d.printf("  ticket #%d opened: %s, %d %s:\n", t.Number, who, len(det.Indicators), countNoun(len(det.Indicators), "indicator", "indicators"))
	// What a person acts on first: links, hosts and addresses before hashes.
	inds := slices.Clone(det.Indicators)
	slices.SortStableFunc(inds, func(a, b store.TicketIndicator) int {
		return typeRank(a.Type) - typeRank(b.Type)
	})
	const shown = 6
	for i, x := range inds {
		if i == shown {
			d.printf("    +%d more\n", len(inds)-shown)
			break
		}
		d.printf("    %-7s %s\n", x.Type, defang(x.Type, x.Value))
	}
	// One line per other ticket, naming what they share.
	shared := map[int64][]string{}
	var others []int64
	for _, c := range det.Correlations {
		for _, n := range c.Tickets {
			if n == t.Number {
				continue
			}
			if _, ok := shared[n]; !ok {
				others = append(others, n)
			}
			shared[n] = append(shared[n], defang(c.Type, c.Value))
		}
	}
	slices.Sort(others)
	for _, n := range others {
		d.printf("  correlation: #%d shares %s with #%d\n", t.Number, strings.Join(shared[n], ", "), n)
	}
}

// showDelivered prints a mail the gateway sent, once the SMTP server has
// delivered it; mail submitted by the story's people is shown when the
// gateway takes it in instead.
func (d *demo) showDelivered(ctx context.Context, dl *delivery) error {
	if !strings.EqualFold(dl.From, demoLeague) {
		return nil
	}
	h, err := mail.ReadMessage(bytes.NewReader(dl.Raw))
	if err != nil {
		return fmt.Errorf("reading a mail the gateway sent: %w", err)
	}
	id := strings.TrimSpace(h.Header.Get("Message-Id"))
	all, err := d.st.Outbox(ctx, store.OutboxFilter{})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(o store.OutboxMail) bool { return o.MessageID == id })
	if i < 0 {
		d.printf("← mail to %s: %q\n", strings.Join(dl.To, ", "), h.Header.Get("Subject"))
		return nil
	}
	o := all[i]
	if o.Cause != 0 && !d.shown[o.Cause] {
		d.held = append(d.held, dl)
		return nil
	}
	d.out = append(d.out, outMail{kind: o.Kind, ticket: o.Ticket, to: dl.To})
	to := strings.Join(dl.To, ", ")
	switch o.Kind {
	case store.KindAck:
		d.printf("← ack sent to %s (ticket #%d)\n", to, o.Ticket)
	case store.KindTriagerNotice:
		d.printf("← triager notice to %s (ticket #%d)\n", to, o.Ticket)
	case store.KindEscalation:
		var files []string
		for _, a := range parser.Parse(dl.Raw, parser.Options{}).Attachments {
			if a.Depth == 0 && a.Filename != "" {
				files = append(files, a.Filename)
			}
		}
		with := ""
		if len(files) > 0 {
			with = " with " + strings.Join(files, " and ")
		}
		d.printf("← escalation to %s (ticket #%d)%s\n", to, o.Ticket, with)
	case store.KindTakedown:
		var files []string
		for _, a := range parser.Parse(dl.Raw, parser.Options{}).Attachments {
			if a.Depth == 0 && a.Filename != "" {
				files = append(files, a.Filename)
			}
		}
		d.printf("← takedown request to %s (ticket #%d) with %s\n", to, o.Ticket, strings.Join(files, ", "))
	case store.KindTakedownNews:
		d.printf("← the site is down: told the reporter %s (ticket #%d)\n", to, o.Ticket)
	case store.KindCommandConfirm:
		d.printf("← confirmation to %s (ticket #%d): %q\n", to, o.Ticket, o.Subject)
	default:
		d.printf("← %s to %s (ticket #%d): %q\n", o.Kind, to, o.Ticket, o.Subject)
	}
	return nil
}

// typeRank orders indicator types for the story's short lists.
func typeRank(typ string) int {
	if i := slices.Index([]string{"url", "domain", "ipv4", "ipv6", "email", "cve", "sha256", "sha1", "md5"}, typ); i >= 0 {
		return i
	}
	return 100
}

func defang(typ, value string) string {
	return indicator.Defang(indicator.Indicator{Type: indicator.Type(typ), Value: value})
}

// orID returns a, or b when a is zero.
func orID(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}
