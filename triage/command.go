package triage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// A triager works a ticket by replying with commands on the first lines
// of the mail (DESIGN.md, Triage commands); the parser has read them,
// never from quoted text. Here they are checked for authority, then run
// in order inside the mail's transaction. A command that is unknown or
// wrong undoes the mail's other commands (a savepoint): the triager gets
// an error mail quoting the line and sends the corrected mail again, and
// the ticket is never left half-changed.

// cmdError is a triager's mistake: an unknown command, a bad argument, a
// command that does not fit the ticket. Its text goes back to the triager.
type cmdError struct{ why string }

func (e *cmdError) Error() string { return e.why }

func bad(format string, a ...any) error { return &cmdError{why: fmt.Sprintf(format, a...)} }

// cmdRun is the running of one mail's commands.
type cmdRun struct {
	in *intake
	// n is the ticket the commands act on; #merge moves the rest to its
	// target.
	n int64
	// t is ticket n as it is now.
	t store.Ticket
	// first is the ticket the mail's authority was checked on.
	first int64
	// auth says how the sender was authenticated, for the log.
	auth string
}

type handler func(r *cmdRun, c parser.Command) (result string, err error)

// handlers are the commands of DESIGN.md.
var handlers = map[string]handler{
	"take":     (*cmdRun).take,
	"verify":   (*cmdRun).verifyWatched,
	"accept":   (*cmdRun).accept,
	"unverify": (*cmdRun).unverify,
	"severity": (*cmdRun).severity,
	"tlp":      (*cmdRun).tlp,
	"escalate": (*cmdRun).escalate,
	"alert":    (*cmdRun).alert,
	"reply":    (*cmdRun).reply,
	"close":    (*cmdRun).closeVerdict,
	"reject":   (*cmdRun).rejectVerdict,
	"reopen":   (*cmdRun).reopen,
	"merge":    (*cmdRun).merge,
	// takedown.go
	"takedown":  (*cmdRun).takedown,
	"takedown!": (*cmdRun).takedown,
	"wait":      (*cmdRun).wait,
	// membership.go
	"approve": (*cmdRun).approve,
	"deny":    (*cmdRun).deny,
}

const savepoint = "commands"

// commands runs the mail's commands on ticket n if the mail has the
// authority to (DESIGN.md invariant 4); otherwise they are kept as a
// comment, the ticket is flagged and the triagers are told. opening says
// that this mail opened ticket n.
func (in *intake) commands(n int64, opening bool) error {
	if len(in.msg.Commands) == 0 {
		return nil
	}
	ok, how, err := in.authority(n)
	if err != nil {
		return err
	}
	if !ok {
		return in.notRun(n, how, opening)
	}
	return in.runCommands(n, how)
}

func (in *intake) runCommands(n int64, how string) error {
	r := &cmdRun{in: in, n: n, first: n, auth: how}
	if err := in.tx.Savepoint(in.ctx, savepoint); err != nil {
		return err
	}
	var lines, results []string
	for _, c := range in.msg.Commands {
		if err := r.load(); err != nil {
			return err
		}
		on := r.n
		res, err := r.authorized(c)
		if err == nil {
			res, err = r.do(c)
		}
		var ce *cmdError
		if errors.As(err, &ce) {
			if err := in.tx.RollbackTo(in.ctx, savepoint); err != nil {
				return err
			}
			return in.commandFailed(n, c, ce.why)
		}
		if err != nil {
			return err
		}
		ev := in.event(on, "command", oneLine(c.Line)+": "+res)
		ev.Data = mustJSON(map[string]any{"command": c.Name, "args": c.Args, "line": c.Line, "auth": how})
		if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
			return err
		}
		lines = append(lines, oneLine(c.Line))
		results = append(results, oneLine(c.Line)+": "+res)
	}
	if err := in.tx.Release(in.ctx, savepoint); err != nil {
		return err
	}
	// A ticket a triager has worked on is triaged, unless a command set
	// its state.
	if err := r.load(); err != nil {
		return err
	}
	if r.t.State == store.StateNew {
		if err := in.tx.SetState(in.ctx, r.n, store.StateTriaged, in.event(r.n, "", "worked by "+in.actor())); err != nil {
			return err
		}
	}
	in.g.log.InfoContext(in.ctx, "commands run", "ticket", n, "triager", in.from, "auth", how, "commands", strings.Join(lines, " | "))
	results = append(results, "", "Authenticated by "+how+in.envelopeNote()+".")
	return in.answerTriager(n, store.KindCommandConfirm, "Done: ", strings.Join(lines, ", "), strings.Join(results, "\n"))
}

// authorized checks the sender's authority on the ticket the command acts
// on now, which a #merge before it may have changed (DESIGN.md invariant
// 7): a token of one ticket runs nothing on another.
func (r *cmdRun) authorized(c parser.Command) (string, error) {
	if r.n == r.first {
		return "", nil
	}
	ok, why, err := r.in.authority(r.n)
	if err != nil || ok {
		return "", err
	}
	return "", bad("#%s acts on #%d, on which this mail has no authority: %s", c.Name, r.n, why)
}

// do runs one command.
func (r *cmdRun) do(c parser.Command) (string, error) {
	if c.Problem != "" {
		return "", bad("%s", c.Problem)
	}
	h := handlers[c.Name]
	if h == nil {
		return "", bad("#%s is not a command", c.Name)
	}
	return h(r, c)
}

// load reads ticket r.n again: the previous command may have changed it.
func (r *cmdRun) load() error {
	t, err := r.in.tx.Ticket(r.in.ctx, r.n)
	if err != nil {
		return err
	}
	r.t = t
	return nil
}

// event returns an event of the sender's on the current ticket.
func (r *cmdRun) event(detail string) store.Event { return r.in.event(r.n, "", detail) }

// commandFailed records a failed command and answers the triager with
// the line and the reason.
func (in *intake) commandFailed(n int64, c parser.Command, why string) error {
	line := oneLine(c.Line)
	detail := fmt.Sprintf("%s: %s; no command of this mail was run", line, why)
	ev := in.event(n, "command-failed", detail)
	ev.Data = mustJSON(map[string]any{"command": c.Name, "args": c.Args, "line": c.Line, "error": why})
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	result := why + "."
	if len(in.msg.Commands) > 1 {
		result += fmt.Sprintf("\n\nNone of the %d commands of your mail was run: correct the line and send them again.", len(in.msg.Commands))
	}
	return in.answerTriager(n, store.KindCommandError, "Not done: ", line, result)
}

// answerTriager queues a confirmation or an error to the sender, as a
// reply to their mail.
func (in *intake) answerTriager(n int64, kind, prefix, command, result string) error {
	t, err := in.tx.Ticket(in.ctx, n)
	if err != nil {
		return err
	}
	data := store.MailData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, Indicators: []store.MailIndicator{},
		Severity: t.Severity, TLP: t.TLP, Command: command, Result: result}
	m := in.outMail(n, kind, in.from, in.g.subject(n, prefix, t.Subject), data, true)
	if err := in.threadTo(m, n, store.KindTriagerNotice); err != nil {
		return err
	}
	if ok, reason := in.g.Answerable(in.msg); !ok {
		m.State, m.LastError = store.OutboxSuppressed, reason
	}
	return in.enqueue(n, m, "triager")
}

// notRun keeps commands without authority as a comment, flags the ticket
// and tells the triagers.
func (in *intake) notRun(n int64, why string, opening bool) error {
	var lines []string
	for _, c := range in.msg.Commands {
		lines = append(lines, oneLine(c.Line))
	}
	ev := in.event(n, "comment", "commands not run ("+why+"): "+strings.Join(lines, " | "))
	ev.Data = mustJSON(map[string]any{"commands": in.msg.Commands, "reason": why})
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	detail := fmt.Sprintf("%s wrote triage commands that were not run: %s", in.actor(), why)
	if err := in.tx.Flag(in.ctx, n, in.event(n, "", detail)); err != nil {
		return err
	}
	in.g.log.WarnContext(in.ctx, "commands not run", "ticket", n, "from", in.from, "reason", why)
	triager, err := in.isTriager()
	if err != nil {
		return err
	}
	if opening && !triager {
		// A report that starts with a hashtag: the triagers' notice of
		// the new ticket tells them, and it is flagged.
		return nil
	}
	result := fmt.Sprintf("%s wrote commands on %s that were not run: %s.\n"+
		"The mail is kept on the ticket as a comment and the ticket is flagged. "+
		"If it was you, send the commands again as a reply to a mail of the ticket "+
		"(its reply address authenticates you), or from a mail server that signs with DKIM.",
		in.actor(), in.g.tag(n), why)
	return in.tellTriagers(n, "Commands not run: ", strings.Join(lines, "\n"), result, "")
}
