package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/mailin"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// demoWait bounds each wait of the story: on a loaded machine a step
// takes well under a second, so reaching this means something is broken.
const demoWait = 20 * time.Second

// demo is one run of `leaguemail demo`: the gateway of `serve`, built
// from a config like any other, against IMAP and SMTP servers of the
// demo's own, and the story told from what they do.
type demo struct {
	w       io.Writer
	st      *store.Store
	srv     *mailServers
	events  *eventQueue
	pace    time.Duration // pause between the story's steps, for a person reading along
	stopped chan struct{} // closed when the gateway's run returned
	runErr  error         // run's result, once stopped is closed

	world *takedownWorld // the RDAP server and phishing site (demo_takedown.go)

	in    []inMail       // mails the gateway took in, in order
	out   []outMail      // mails the gateway sent and the SMTP server delivered
	shown map[int64]bool // mails whose taking-in was printed
	held  []*delivery    // delivered before their cause was printed
}

// runDemo runs the whole gateway on embedded servers with sample reports
// and prints what happens; with --keep it then keeps running until
// Ctrl-C, for a mail client to look at.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("keep", false, "after the story, keep the servers and the gateway running until Ctrl-C, and keep the store")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: demo takes no arguments, only --keep", errUsage)
	}
	start := time.Now()
	dir, err := os.MkdirTemp("", "leaguemail-demo-")
	if err != nil {
		return fmt.Errorf("making the demo's temporary folder: %w", err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}

	d := &demo{w: stdout, events: newEventQueue(), stopped: make(chan struct{}), shown: map[int64]bool{}}
	if isTerminal(stdout) {
		// Each step takes milliseconds: a person watching would see
		// only the end. Order never depends on this; the waits keep it.
		d.pace = 700 * time.Millisecond
	}
	d.srv, err = startMailServers(demoUsers(), func(dl delivery) { d.events.add(demoEvent{delivered: &dl}) })
	if err != nil {
		return err
	}
	defer d.srv.Close()

	cfg := demoConfig(d.srv, filepath.Join(dir, "leaguemail.db"))
	if d.world, err = startTakedownWorld(dir); err != nil {
		return err
	}
	defer d.world.Close()
	d.world.configure(cfg)
	// Warnings and errors only: the story says what happens.
	g, err := newGateway(ctx, cfg, newLogger(config.Log{Level: "warn"}, stderr))
	if err != nil {
		return err
	}
	defer g.close()
	d.st = g.st
	for _, c := range demoContacts {
		if _, err := g.st.PutContact(ctx, c); err != nil {
			return fmt.Errorf("adding the demo's contacts: %w", err)
		}
	}
	g.taken = func(raw []byte, o mailin.Origin) { d.events.add(demoEvent{taken: &takenMail{raw: raw, origin: o}}) }

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		d.runErr = g.run(runCtx)
		close(d.stopped)
	}()

	d.printf("leaguemail demo: the gateway of `serve`, on mail servers of its own\n")
	d.printf("  IMAP %s (go-imap's in-memory server), SMTP %s (go-smtp, delivering into IMAP)\n", d.srv.IMAPAddr, d.srv.SMTPAddr)
	d.printf("  the gateway reads %s over IMAP and sends over SMTP; store %s\n", demoLeague, cfg.Store.Path)
	d.printf("  contacts: %s; triager %s\n", contactsLine(), demoTriager)
	d.printf("  → a mail the gateway read over IMAP, ← a mail it sent, once the SMTP server delivered it\n")

	err = d.story(ctx)
	if err == nil {
		// Every mail queued is sent (and marked so) before the counts.
		err = d.await(ctx, "the outbox was not emptied", d.outboxSent(ctx))
	}
	if err == nil && *keep {
		if err = d.summary(ctx, time.Since(start), cfg.Store.Path, true); err == nil {
			err = d.keep(ctx)
		}
	}
	stop()
	select {
	case <-d.stopped:
		if d.runErr != nil && err == nil {
			err = fmt.Errorf("the gateway did not stop cleanly: %w", d.runErr)
		}
	case <-time.After(demoWait):
		if err == nil {
			err = fmt.Errorf("the gateway did not stop within %v of being told to", demoWait)
		}
	}
	switch {
	case err != nil:
		return err
	case *keep:
		d.printf("stopped; the store is kept at %s\n", cfg.Store.Path)
		return nil
	}
	return d.summary(context.WithoutCancel(ctx), time.Since(start), cfg.Store.Path, false)
}

// demoConfig is the config of a deployment whose mail servers are the
// demo's: the same keys an operator writes in leaguemail.toml.
func demoConfig(srv *mailServers, db string) *config.Config {
	cfg := &config.Config{}
	cfg.League.Address = demoLeague
	cfg.League.Name = "Hospital League"
	cfg.League.Domains = []string{"league.example"}
	cfg.League.Secret = rand.Text() + rand.Text()
	cfg.IMAP.URL = "imap://" + strings.Replace(demoLeague, "@", "%40", 1) + ":" + demoPassword + "@" + srv.IMAPAddr + "/INBOX?tls=none"
	cfg.IMAP.PollInterval = config.Duration{Duration: 250 * time.Millisecond}
	cfg.SMTP.URL = "smtp://" + srv.SMTPAddr + "?tls=none"
	cfg.SMTP.Helo = "gw.league.example"
	cfg.Store.Path = db
	// No authserv-id: the demo's SMTP server checks neither DKIM nor
	// SPF, so the triager's commands are authenticated by the reply
	// token of the notice they answer, DESIGN.md's second way.
	cfg.Triage.Triagers = []string{demoTriager}
	cfg.Defaults()
	return cfg
}

// story seeds the reports one at a time, then plays the triager, waiting
// each time for what the gateway must do.
func (d *demo) story(ctx context.Context) error {
	var first int64
	for i, r := range seedReports(time.Now()) {
		if err := d.pause(ctx); err != nil {
			return err
		}
		d.printf("\n%d. %s\n", i+1, r.What)
		if err := submit(d.srv.SMTPAddr, r.From, []string{demoLeague}, r.Raw); err != nil {
			return err
		}
		id := parser.Parse(r.Raw, parser.Options{}).MessageID
		var n int64
		if err := d.await(ctx, fmt.Sprintf("the gateway opened no ticket for report %d from %s", i+1, r.From), func() bool {
			n = d.ticketOf(id, triage.DispOpened)
			return n != 0
		}); err != nil {
			return err
		}
		if first == 0 {
			first = n
		}
		if err := d.await(ctx, fmt.Sprintf("no acknowledgement of ticket #%d reached %s", n, r.From),
			d.sent(store.KindAck, r.From, n)); err != nil {
			return err
		}
		if err := d.await(ctx, fmt.Sprintf("no notice of ticket #%d reached the triager %s", n, demoTriager),
			d.sent(store.KindTriagerNotice, demoTriager, n)); err != nil {
			return err
		}
	}

	if err := d.pause(ctx); err != nil {
		return err
	}
	d.printf("\n5. The triager %s reads the notice of #%d over IMAP and replies to it\n", demoTriager, first)
	tag := fmt.Sprintf("[League #%d]", first)
	notice, err := readMailbox(d.srv.IMAPAddr, demoTriager, func(m *parser.Message) bool {
		return strings.Contains(m.Subject, tag) && strings.Contains(m.Subject, "New report")
	})
	if err != nil {
		return err
	}
	if notice == nil || notice.ReplyTo == "" {
		return fmt.Errorf("the notice of ticket #%d, with a Reply-To, is not in the mailbox of %s", first, demoTriager)
	}
	commands := []string{"#verify", "#escalate"}
	reply := triagerReply(notice, time.Now(), append(commands, "",
		"Same kit as #4 at CHU Rive-Sud, and two users here gave their",
		"password: verified, and over to the CERT.", "", "Alex")...)
	d.printf("  to the notice's Reply-To, %s (a reply token of #%d, issued to the triager):\n", notice.ReplyTo, first)
	for _, c := range commands {
		d.printf("    %s\n", c)
	}
	if err := submit(d.srv.SMTPAddr, demoTriager, []string{notice.ReplyTo}, reply); err != nil {
		return err
	}
	id := parser.Parse(reply, parser.Options{}).MessageID
	if err := d.await(ctx, fmt.Sprintf("the gateway did not put the triager's reply on ticket #%d", first), func() bool {
		return d.ticketOf(id, triage.DispAppended) == first
	}); err != nil {
		return err
	}
	if err := d.await(ctx, fmt.Sprintf("no escalation of ticket #%d reached %s", first, demoCERT),
		d.sent(store.KindEscalation, demoCERT, first)); err != nil {
		return err
	}
	if err := d.await(ctx, fmt.Sprintf("no confirmation of the commands reached %s", demoTriager),
		d.sent(store.KindCommandConfirm, demoTriager, first)); err != nil {
		return err
	}
	if err := d.showOutcome(ctx, first); err != nil {
		return err
	}
	return d.takedownStep(ctx, first, notice, seedReports(time.Now())[0].From)
}

// showOutcome prints what the triager's commands made of ticket n.
func (d *demo) showOutcome(ctx context.Context, n int64) error {
	det, err := d.st.TicketDetail(ctx, n)
	if err != nil {
		return err
	}
	verified := 0
	for _, x := range det.Indicators {
		if x.Verified {
			verified++
		}
	}
	var to []string
	for _, o := range det.Outbox {
		if o.Kind == store.KindEscalation {
			to = append(to, o.Recipients...)
		}
	}
	certs, err := d.st.Contacts(ctx, "cert")
	if err != nil {
		return err
	}
	for i, addr := range to {
		if j := slices.IndexFunc(certs, func(c store.Contact) bool { return strings.EqualFold(c.Email, addr) }); j >= 0 {
			to[i] = certs[j].Name + " <" + addr + ">"
		}
	}
	d.printf("ticket #%d: verified %d %s, escalated to %s\n", n, verified,
		countNoun(verified, "indicator", "indicators"), strings.Join(to, ", "))
	if det.Ticket.State != store.StateEscalated || verified == 0 || len(to) == 0 {
		return fmt.Errorf("ticket #%d was not verified and escalated", n)
	}
	return nil
}

// keep leaves everything running for a person's mail client, and goes on
// telling what happens, until Ctrl-C.
func (d *demo) keep(ctx context.Context) error {
	d.printf("\nThe gateway keeps running until Ctrl-C. Point your mail client (mutt, Thunderbird) at it:\n")
	d.printf("  IMAP %s and SMTP %s, plain text (no TLS), user %s, password %s\n", d.srv.IMAPAddr, d.srv.SMTPAddr, demoTriager, demoPassword)
	for _, h := range clientHints(d.srv.IMAPAddr, d.srv.SMTPAddr, demoTriager, demoPassword) {
		d.printf("  %s\n", h)
	}
	d.printf("  the other users, same password: %s\n", strings.Join(slices.DeleteFunc(demoUsers(), func(u string) bool {
		return u == demoLeague || u == demoTriager
	}), ", "))
	d.printf("  Mail %s from any of them to open a ticket; reply to a notice as %s to run commands.\n", demoLeague, demoTriager)
	d.printf("  (%s is the gateway's own mailbox: it moves what it reads to Processed.)\n", demoLeague)
	for {
		select {
		case <-ctx.Done():
			d.printf("\nstopping\n")
			return nil
		case <-d.stopped:
			return fmt.Errorf("the gateway stopped: %v", d.runErr)
		case <-d.events.ready:
			if err := d.drain(ctx); err != nil {
				return err
			}
		}
	}
}

// await prints events as they come until cond holds; what says what did
// not happen if it never does.
func (d *demo) await(ctx context.Context, what string, cond func() bool) error {
	timeout := time.NewTimer(demoWait)
	defer timeout.Stop()
	// Conditions on the store are checked again now and then, as no
	// event need follow the change they wait for.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("interrupted: %s yet", what)
		case <-d.stopped:
			return fmt.Errorf("%s: the gateway stopped: %v", what, d.runErr)
		case <-timeout.C:
			return fmt.Errorf("%s within %v", what, demoWait)
		case <-d.events.ready:
			if err := d.drain(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *demo) drain(ctx context.Context) error {
	for _, e := range d.events.take() {
		if err := d.show(ctx, e); err != nil {
			return fmt.Errorf("telling the story: %w", err)
		}
	}
	return nil
}

// ticketOf returns the ticket that the mail of Message-ID id was put on
// with disposition disp, or 0 if it was not (yet).
func (d *demo) ticketOf(id, disp string) int64 {
	id = strings.Trim(id, "<>")
	for _, m := range d.in {
		if m.messageID == id && m.disposition == disp {
			return m.ticket
		}
	}
	return 0
}

// sent returns a condition: a mail of kind on ticket n was delivered to.
func (d *demo) sent(kind, to string, n int64) func() bool {
	return func() bool {
		return slices.ContainsFunc(d.out, func(o outMail) bool {
			return o.kind == kind && o.ticket == n && slices.ContainsFunc(o.to, func(a string) bool { return strings.EqualFold(a, to) })
		})
	}
}

// outboxSent returns a condition: no mail is waiting in the outbox.
func (d *demo) outboxSent(ctx context.Context) func() bool {
	return func() bool {
		q, err := d.st.Outbox(ctx, store.OutboxFilter{State: store.OutboxQueued})
		return err == nil && len(q) == 0
	}
}

// summary prints the counts of the run, from the store.
func (d *demo) summary(ctx context.Context, took time.Duration, db string, kept bool) error {
	ts, err := d.st.Tickets(ctx, store.TicketFilter{})
	if err != nil {
		return err
	}
	slices.Reverse(ts) // oldest first
	var states []string
	distinct, verified := map[string]bool{}, map[string]bool{}
	for _, t := range ts {
		states = append(states, fmt.Sprintf("#%d %s", t.Number, t.State))
		det, err := d.st.TicketDetail(ctx, t.Number)
		if err != nil {
			return err
		}
		for _, x := range det.Indicators {
			k := x.Type + " " + x.Value
			distinct[k] = true
			if x.Verified {
				verified[k] = true
			}
		}
	}
	reports, replies := 0, 0
	for _, m := range d.in {
		if m.disposition == triage.DispOpened {
			reports++
		} else {
			replies++
		}
	}
	out, err := d.st.Outbox(ctx, store.OutboxFilter{State: store.OutboxSent})
	if err != nil {
		return err
	}
	byKind := map[string]int{}
	var kinds []string
	for _, o := range out {
		if byKind[o.Kind] == 0 {
			kinds = append(kinds, o.Kind)
		}
		byKind[o.Kind]++
	}
	var sent []string
	for _, k := range kinds {
		sent = append(sent, fmt.Sprintf("%d %s", byKind[k], k))
	}
	where := "removed; run with --keep to keep it"
	if kept {
		where = "kept"
	}
	d.printf("\nSummary (%.1fs)\n", took.Seconds())
	d.printf("  mails in:    %d (%d %s, %d %s), read over IMAP\n", len(d.in), reports, countNoun(reports, "report", "reports"),
		replies, countNoun(replies, "reply", "replies"))
	d.printf("  tickets:     %d (%s)\n", len(ts), strings.Join(states, ", "))
	d.printf("  indicators:  %d distinct, %d verified\n", len(distinct), len(verified))
	d.printf("  mails sent:  %d (%s), over SMTP\n", len(out), strings.Join(sent, ", "))
	d.printf("  store:       %s (%s)\n", db, where)
	return nil
}

// pause waits d.pace, or until ctx ends.
func (d *demo) pause(ctx context.Context) error {
	if d.pace == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted")
	case <-time.After(d.pace):
		return nil
	}
}

// isTerminal reports whether w is a terminal, where a person reads along.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func contactsLine() string {
	var certs, insts []string
	for _, c := range demoContacts {
		switch c.Kind {
		case "cert":
			certs = append(certs, fmt.Sprintf("%s <%s> (%s)", c.Name, c.Email, c.Country))
		case "institution":
			insts = append(insts, c.Name)
		}
	}
	return strings.Join(certs, ", ") + "; hospitals " + strings.Join(insts, ", ")
}

func (d *demo) printf(format string, args ...any) {
	fmt.Fprintf(d.w, format, args...)
}
