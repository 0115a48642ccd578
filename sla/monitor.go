package sla

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// Config is what the monitor needs.
type Config struct {
	// Address is the league's address, the From of every mail.
	Address string
	// Tag is the subject tag's word ("League" gives "[League #12]").
	Tag string
	// Triagers are the configured triagers; contacts of kind triager
	// count too.
	Triagers []string
	Targets  Targets
	// OnCall are shifts by triager address ([sla] oncall); they take the
	// place of the contacts file's.
	OnCall map[string]string
	// EscalateTo are the leads told too at twice a target.
	EscalateTo []string
	// DigestAt is the time of day of the daily digest, in each triager's
	// shift's time zone (8h: 08:00); negative for no digest.
	DigestAt time.Duration
	// Interval is how often the clocks are checked (1 minute).
	Interval time.Duration
	// Tokens issue the reply tokens that let a reminded triager #take
	// the ticket by replying.
	Tokens *replytoken.Keys
	// Now is the clock (time.Now).
	Now func() time.Time
	// AutoMailsPerHour is the budget of automatic mail of the whole
	// gateway ([triage] auto_mails_per_hour, 200): over it, a reminder
	// joins the recipient's budget digest, sent DigestEvery (15 minutes)
	// after it opened, as triage does with its notices. A flood of
	// reports, forged or not, must not become a flood of reminders.
	AutoMailsPerHour int
	DigestEvery      time.Duration
	// Wake is called after a tick queued mail: the outbox sender's Wake.
	Wake   func()
	Logger *slog.Logger
}

// Monitor checks the tickets' clocks and queues reminders and digests.
type Monitor struct {
	st     *store.Store
	cfg    Config
	oncall Rota
	log    *slog.Logger
}

// New returns a Monitor over st. A shift of cfg.OnCall that does not
// parse is an error that names its triager.
func New(st *store.Store, cfg Config) (*Monitor, error) {
	if cfg.Tokens == nil || cfg.Address == "" {
		return nil, errors.New("sla: the league's address and reply tokens are needed")
	}
	if cfg.Targets == nil {
		cfg.Targets = DefaultTargets()
	}
	for sev, t := range DefaultTargets() {
		if _, ok := cfg.Targets[sev]; !ok {
			cfg.Targets[sev] = t
		}
	}
	if err := cfg.Targets.Check(); err != nil {
		return nil, err
	}
	if cfg.Tag == "" {
		cfg.Tag = "League"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.AutoMailsPerHour <= 0 {
		cfg.AutoMailsPerHour = 200
	}
	if cfg.DigestEvery <= 0 {
		cfg.DigestEvery = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Monitor{st: st, cfg: cfg, oncall: Rota{}, log: cfg.Logger}
	for who, s := range cfg.OnCall {
		sh, err := ParseShift(s)
		if err != nil {
			return nil, &ShiftError{Triager: who, Err: err}
		}
		m.oncall[strings.ToLower(who)] = sh
	}
	return m, nil
}

// ShiftError is a shift of [sla] oncall that does not parse.
type ShiftError struct {
	Triager string
	Err     error
}

func (e *ShiftError) Error() string { return e.Err.Error() }
func (e *ShiftError) Unwrap() error { return e.Err }

// Targets returns the targets in force, defaults filled in.
func (m *Monitor) Targets() Targets { return m.cfg.Targets }

// Run checks the clocks every Interval until ctx ends. A tick that fails
// (the store busy or unwell) is logged and the next one tries again.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		queued, err := m.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			m.log.Error("sla: checking the tickets' targets failed; trying again at the next tick", "error", err)
		}
		if queued > 0 && m.cfg.Wake != nil {
			m.cfg.Wake()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick checks every open ticket against its targets once, ends the
// waits that are over, queues the daily digests that are due, and
// returns how many mails it queued.
func (m *Monitor) Tick(ctx context.Context) (queued int, err error) {
	now := m.cfg.Now()
	err = m.st.Update(ctx, func(tx *store.Tx) error {
		queued = 0
		run := &tick{m: m, tx: tx, ctx: ctx, now: now}
		if err := run.load(); err != nil {
			return err
		}
		for i := range run.tickets {
			if err := run.ticket(&run.tickets[i]); err != nil {
				return err
			}
		}
		if err := run.digests(); err != nil {
			return err
		}
		queued = run.queued
		return nil
	})
	return queued, err
}

// tick is one check of the clocks, inside one transaction.
type tick struct {
	m        *Monitor
	tx       *store.Tx
	ctx      context.Context
	now      time.Time
	triagers []string
	rota     Rota
	tickets  []store.SLATicket
	queued   int
}

func (r *tick) load() error {
	ts, err := r.tx.Triagers(r.ctx)
	if err != nil {
		return err
	}
	for _, t := range r.m.cfg.Triagers {
		ts = append(ts, strings.ToLower(t))
	}
	slices.Sort(ts)
	r.triagers = slices.Compact(ts)
	shifts, err := r.tx.Shifts(r.ctx)
	if err != nil {
		return err
	}
	r.rota = Rota{}
	for who, s := range shifts {
		sh, err := ParseShift(s)
		if err != nil {
			// contacts import checks shifts: this one was written by
			// something else.
			r.m.log.Warn("sla: a shift in the store does not parse; that triager is never on call", "triager", who, "error", err)
			continue
		}
		r.rota[who] = sh
	}
	for who, sh := range r.m.oncall {
		r.rota[who] = sh
	}
	r.tickets, err = r.tx.SLATickets(r.ctx, true)
	return err
}

// The targets a reminder is recorded under, once per ticket each.
const (
	targetResponse      = "response"
	targetResponseTwice = "response-2x"
	targetResolve       = "resolve"
	targetResolveTwice  = "resolve-2x"
)

// ticket queues what ticket t is due: the end of its wait, or the
// reminder of the target it reached.
func (r *tick) ticket(t *store.SLATicket) error {
	if w := t.Wait; w.Waiting() && !w.Until.IsZero() && !r.now.Before(w.Until) {
		if err := r.waitOver(t); err != nil {
			return err
		}
	}
	c := r.m.cfg.Targets.Clock(*t, r.now)
	if c.Waiting {
		return nil
	}
	var target, lower string
	var limit time.Duration
	switch age := r.now.Sub(t.CreatedAt); {
	case !c.Responded && age >= 2*c.Target.Response:
		target, lower, limit = targetResponseTwice, targetResponse, c.Target.Response
	case !c.Responded && age >= c.Target.Response:
		target, limit = targetResponse, c.Target.Response
	case c.Responded && c.Active >= 2*c.Target.Resolve:
		target, lower, limit = targetResolveTwice, targetResolve, c.Target.Resolve
	case c.Responded && c.Active >= c.Target.Resolve:
		target, limit = targetResolve, c.Target.Resolve
	default:
		return nil
	}
	done, err := r.tx.Reminded(r.ctx, t.Number, target)
	if err != nil || done {
		return err
	}
	twice := lower != ""
	to := r.remindWhom(t, twice)
	correlated, err := r.tx.Correlated(r.ctx, t.Number)
	if err != nil {
		return err
	}
	line := reminderLine(*t, correlated, c, r.now, target, limit)
	var first int64
	for _, addr := range to {
		id, err := r.queueReminder(t, addr, "Reminder: "+reminderSubject(target, limit)+": ", line, c)
		if err != nil {
			return err
		}
		if first == 0 {
			first = id
		}
	}
	if len(to) == 0 {
		r.m.log.Warn("sla: a ticket reached its target and there is no triager to remind", "ticket", t.Number, "target", target)
	}
	if _, err := r.tx.RecordReminder(r.ctx, t.Number, target, r.now, first); err != nil {
		return err
	}
	if lower != "" {
		// The lower target passed unseen (the gateway was down, or the
		// severity rose): its reminder is this one.
		if _, err := r.tx.RecordReminder(r.ctx, t.Number, lower, r.now, first); err != nil {
			return err
		}
	}
	ev := store.Event{Ticket: t.Number, At: r.now, Kind: "reminded",
		Detail: fmt.Sprintf("%s target %s reached: reminder to %s", strings.TrimSuffix(target, "-2x"), twiceNote(limit, twice), orNone(strings.Join(to, ", ")))}
	_, err = r.tx.AddEvent(r.ctx, ev)
	return err
}

func twiceNote(limit time.Duration, twice bool) string {
	if twice {
		return "(twice " + Short(limit) + ")"
	}
	return "(" + Short(limit) + ")"
}

// remindWhom is who hears of ticket t: its owner once taken, else the
// triagers on call; at twice a target, the leads too.
func (r *tick) remindWhom(t *store.SLATicket, twice bool) []string {
	var to []string
	if t.Assignee != "" {
		to = []string{t.Assignee}
	} else {
		to = slices.Clone(r.rota.OnCall(r.triagers, r.now))
	}
	if twice {
		for _, l := range r.m.cfg.EscalateTo {
			if l = strings.ToLower(l); !slices.Contains(to, l) {
				to = append(to, l)
			}
		}
	}
	return to
}

// waitOver ends the wait of t at its end and tells the owner (or the
// triagers on call).
func (r *tick) waitOver(t *store.SLATicket) error {
	w, ok, err := r.tx.EndWait(r.ctx, t.Number, t.Wait.Until)
	if err != nil || !ok {
		return err
	}
	t.Wait = store.Wait{Paused: w.Paused}
	detail := fmt.Sprintf("the wait asked by %s on %s UTC is over with no answer", orNone(w.By), w.Since.UTC().Format("2006-01-02 15:04"))
	if w.Reason != "" {
		detail += " (" + w.Reason + ")"
	}
	detail += ": the resolve clock runs again"
	if _, err := r.tx.AddEvent(r.ctx, store.Event{Ticket: t.Number, At: r.now, Kind: "resumed", Detail: detail}); err != nil {
		return err
	}
	c := r.m.cfg.Targets.Clock(*t, r.now)
	line := fmt.Sprintf("#%d (%s): %s; due %s.", t.Number, c.Severity, detail, dueIn(c.ResolveDue, r.now))
	for _, addr := range r.remindWhom(t, false) {
		if _, err := r.queueReminder(t, addr, "Wait over: ", line, c); err != nil {
			return err
		}
	}
	return nil
}

func reminderSubject(target string, limit time.Duration) string {
	switch target {
	case targetResponse:
		return Short(limit) + " without a response"
	case targetResponseTwice:
		return Short(2*limit) + " without a response"
	case targetResolve:
		return "open past its " + Short(limit) + " target"
	}
	return "open past twice its " + Short(limit) + " target"
}

// reminderLine says it in one line: "#12 (high) has waited 1h: from St
// Mary, 4 indicators, seen in 2 other reports".
func reminderLine(t store.SLATicket, correlated int, c Clock, now time.Time, target string, limit time.Duration) string {
	var b strings.Builder
	switch target {
	case targetResponse, targetResponseTwice:
		fmt.Fprintf(&b, "#%d (%s) has waited %s", t.Number, c.Severity, Short(now.Sub(t.CreatedAt)))
	default:
		fmt.Fprintf(&b, "#%d (%s) has been open %s, past its resolve target of %s", t.Number, c.Severity, Short(c.Active), Short(limit))
	}
	from := t.Institution
	if from == "" {
		from = t.Reporter
	}
	fmt.Fprintf(&b, ": from %s, %d %s", orNone(from), t.Indicators, plural(t.Indicators, "indicator", "indicators"))
	if correlated > 0 {
		fmt.Fprintf(&b, ", seen in %d other %s", correlated, plural(correlated, "report", "reports"))
	}
	if t.Assignee != "" {
		fmt.Fprintf(&b, "; %s works it", t.Assignee)
	}
	b.WriteString(".")
	if target == targetResponseTwice || target == targetResolveTwice {
		fmt.Fprintf(&b, "\nThat is twice its target of %s: the leads are told too.", Short(limit))
	}
	return b.String()
}

// queueReminder queues one reminder about t to addr, with addr's own
// reply token of t, and makes addr a participant.
func (r *tick) queueReminder(t *store.SLATicket, addr, prefix, line string, c Clock) (int64, error) {
	cfg := r.m.cfg
	over, err := r.overBudget()
	if err != nil {
		return 0, err
	}
	if over {
		return r.addToDigest(t, addr, strings.TrimSuffix(strings.ToLower(prefix), ": "))
	}
	tag := fmt.Sprintf("[%s #%d]", cfg.Tag, t.Number)
	m := store.OutboxMail{
		Ticket: t.Number, Kind: store.KindReminder, From: cfg.Address, MessageID: r.m.messageID(t.Number),
		Subject: tag + " " + prefix + oneLine(t.Subject), Template: store.KindReminder, CreatedAt: r.now,
		Recipients: []string{addr}, ReplyTo: replytoken.Address(cfg.Address, cfg.Tokens.Issue(t.Number, addr)),
	}
	m.SetData(store.MailData{
		Ticket: t.Number, Tag: tag, Subject: t.Subject, Reporter: t.Reporter, Institution: t.Institution,
		IndicatorCount: t.Indicators, Severity: c.Severity, Created: t.CreatedAt, Result: line,
		Command: dueWhat(c) + " due " + dueIn(c.Due(), r.now), ReplyTo: m.ReplyTo,
	})
	id, err := r.tx.Enqueue(r.ctx, &m)
	if err != nil {
		return 0, err
	}
	if _, err := r.tx.AddEvent(r.ctx, store.Event{Ticket: t.Number, At: r.now, Kind: "queued",
		Detail: fmt.Sprintf("%s to %s queued (%s)", m.Kind, addr, m.MessageID)}); err != nil {
		return 0, err
	}
	if err := r.tx.AddParticipant(r.ctx, t.Number, addr, "triager", r.now); err != nil {
		return 0, err
	}
	r.queued++
	return id, nil
}

func (m *Monitor) messageID(n int64) string {
	b := make([]byte, 12)
	rand.Read(b)
	_, dom, _ := strings.Cut(m.cfg.Address, "@")
	return fmt.Sprintf("<t%d.%s@%s>", n, hex.EncodeToString(b), dom)
}

// dueWhat names the target a clock is due for.
func dueWhat(c Clock) string {
	if c.Responded {
		return "resolve"
	}
	return "first response"
}

// dueIn says when something is due: "in 45m", "45m ago".
func dueIn(due, now time.Time) string {
	if d := due.Sub(now); d >= 0 {
		return "in " + Short(d)
	}
	return Short(now.Sub(due)) + " ago"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orNone(s string) string {
	if s == "" {
		return "(no one)"
	}
	return s
}

// oneLine makes s fit one header or table line, without control
// characters (a subject is the reporter's text).
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "..."
	}
	return s
}

// overBudget reports whether the automatic mail of the last hour has
// spent the budget.
func (r *tick) overBudget() (bool, error) {
	n, err := r.tx.CountAutomatic(r.ctx, r.now.Add(-time.Hour))
	if err != nil {
		return false, err
	}
	return n >= r.m.cfg.AutoMailsPerHour, nil
}

// addToDigest adds a reminder about t to the budget digest waiting for
// addr, or opens one, and returns its outbox id.
func (r *tick) addToDigest(t *store.SLATicket, addr, what string) (int64, error) {
	cfg := r.m.cfg
	entry := store.DigestEntry{Ticket: t.Number, Subject: t.Subject, What: what, At: r.now, Indicators: t.Indicators}
	m, found, err := r.tx.OpenDigest(r.ctx, addr)
	if err != nil {
		return 0, err
	}
	if found {
		d, err := m.MailData()
		if err != nil {
			return 0, err
		}
		d.Digest = append(d.Digest, entry)
		m.SetData(d)
		if err := r.tx.SetOutboxData(r.ctx, m.ID, m.Data); err != nil {
			return 0, err
		}
	} else {
		m = store.OutboxMail{Kind: store.KindTriagerDigest, From: cfg.Address, ReplyTo: cfg.Address, MessageID: r.m.messageID(0),
			Subject:  fmt.Sprintf("[%s] Digest: reports and updates while the gateway was busy", cfg.Tag),
			Template: store.KindTriagerDigest, CreatedAt: r.now, NextAttemptAt: r.now.Add(cfg.DigestEvery),
			Recipients: []string{addr}}
		m.SetData(store.MailData{Digest: []store.DigestEntry{entry}})
		if _, err := r.tx.Enqueue(r.ctx, &m); err != nil {
			return 0, err
		}
		r.queued++
	}
	_, err = r.tx.AddEvent(r.ctx, store.Event{Ticket: t.Number, At: r.now, Kind: "digested",
		Detail: fmt.Sprintf("over the budget of %d automatic mails an hour: the %s goes to %s in a digest (%s)",
			cfg.AutoMailsPerHour, what, addr, m.MessageID)})
	return m.ID, err
}
