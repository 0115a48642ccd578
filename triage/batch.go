package triage

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/hospital-league/leaguemail/store"
)

// Mail is one raw mail and where it was read, for TakeBatch.
type Mail struct {
	Raw    []byte
	Origin Origin
}

// The bounds of a group commit, when Config leaves them unset.
const (
	defaultGroupMails = 64
	defaultGroupBytes = 32 << 20
)

// TakeBatch takes in mails as Take does each, in their order, but parses
// them on every core (Config.Workers) and commits them in groups: one
// transaction, and so one fsync, for up to Config.GroupMails mails or
// Config.GroupBytes bytes. Every mail is still taken exactly once: a
// crash inside a group leaves none of it, and a mail met twice in one group
// (same bytes, same origin) is taken once, as it would be by two Takes.
// The IMAP checkpoint advances in the group's transaction.
//
// The result holds one error per mail, as Take's: a *RejectError of one
// mail does not fail its group. A temporary error (the store) fails its
// group and every later one, none of which is committed, so that a
// checkpoint never passes a mail not taken: those mails all carry the
// error, and the caller offers them again.
func (g *Gateway) TakeBatch(ctx context.Context, mails []Mail) []error {
	return g.Begin(ctx, mails).Commit(ctx)
}

// Batch is a TakeBatch begun: its mails are being parsed, and nothing of
// it is written until Commit.
type Batch struct {
	g      *Gateway
	mails  []Mail
	errs   []error
	preps  []*prepared
	groups []span
	// Parsing runs at most two groups ahead of the commits: the memory of
	// a batch is bounded by three groups, not by the batch. Each parse and
	// each group commit holds a token of Gateway.cores while it runs: the
	// commits, one at a time, are what an intake waits on, and without the
	// tokens a parser per core left them two thirds of a core.
	ahead   chan struct{}
	parsed  []sync.WaitGroup
	stop    chan struct{}
	workers sync.WaitGroup
	// untilRefused cuts Commit's result after its first error.
	untilRefused bool
}

// Begin starts parsing mails on every core, for Commit to take them in
// as TakeBatch does. An intake begins its next batch while the one before
// commits, so that the parsers do not wait for the commits nor the commits
// for the parsers; only Commit writes, and it checks again what the
// parsers read. Every Batch begun must be committed or abandoned.
func (g *Gateway) Begin(ctx context.Context, mails []Mail) *Batch {
	b := &Batch{g: g, mails: mails, errs: make([]error, len(mails)), preps: make([]*prepared, len(mails)),
		groups: g.groups(mails), ahead: make(chan struct{}, 2), stop: make(chan struct{})}
	if len(b.groups) == 0 {
		return b
	}
	b.parsed = make([]sync.WaitGroup, len(b.groups))
	for k, gr := range b.groups {
		b.parsed[k].Add(gr.end - gr.start)
	}
	type job struct{ group, mail int }
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for k, gr := range b.groups {
			select {
			case b.ahead <- struct{}{}:
			case <-b.stop:
				return
			}
			for i := gr.start; i < gr.end; i++ {
				select {
				case jobs <- job{k, i}:
				case <-b.stop:
					return
				}
			}
		}
	}()
	for range g.workers() {
		b.workers.Add(1)
		go func() {
			defer b.workers.Done()
			for j := range jobs {
				g.cores <- struct{}{}
				b.preps[j.mail], b.errs[j.mail] = g.prepare(ctx, mails[j.mail].Raw, mails[j.mail].Origin)
				<-g.cores
				b.parsed[j.group].Done()
			}
		}()
	}
	return b
}

// Commit commits the batch's groups in order as their mails are parsed,
// and returns TakeBatch's result.
func (b *Batch) Commit(ctx context.Context) []error {
	if len(b.groups) == 0 {
		return b.errs
	}
	failed, at := error(nil), 0
	for k, gr := range b.groups {
		b.parsed[k].Wait()
		b.g.cores <- struct{}{}
		err := b.g.commitGroup(ctx, b.preps[gr.start:gr.end], b.errs[gr.start:gr.end])
		<-b.g.cores
		if err != nil {
			failed, at = err, gr.start
			break
		}
		<-b.ahead
	}
	close(b.stop)
	b.workers.Wait()
	if failed != nil {
		// A refused mail is refused whether or not its turn came: the
		// result does not depend on how far the parsers ran ahead.
		for i := at; i < len(b.mails); i++ {
			if b.errs[i] = b.g.Refuse(b.mails[i].Raw); b.errs[i] == nil {
				b.errs[i] = failed
			}
		}
	}
	if b.untilRefused {
		for i, err := range b.errs {
			if err != nil {
				return b.errs[:i+1]
			}
		}
	}
	return b.errs
}

// testHookInGroup, when set by a test, runs inside a group's transaction
// after each mail written; its error fails the group. The crash test
// kills the process there.
var testHookInGroup func(p *prepared) error

// commitGroup commits the prepared mails of one group in one transaction.
// errs holds what their preparation gave: rejected mails are left out, and
// a temporary error fails the group.
func (g *Gateway) commitGroup(ctx context.Context, preps []*prepared, errs []error) error {
	var live []int
	for i, p := range preps {
		var rej *RejectError
		switch {
		case errors.As(errs[i], &rej):
		case errs[i] != nil:
			return errs[i]
		case !p.skip:
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res := make([]result, len(preps))
	err := g.st.Update(ctx, func(tx *store.Tx) error {
		for _, i := range live {
			r, err := g.commit(ctx, tx, preps[i])
			if err != nil {
				return fmt.Errorf("mail %s from %s: %w", preps[i].sha[:12], preps[i].origin.Mailbox, err)
			}
			res[i] = r
			if testHookInGroup != nil {
				if err := testHookInGroup(preps[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("take a group of %d mails: %w", len(live), err)
	}
	for _, i := range live {
		g.logTaken(ctx, preps[i], res[i])
	}
	return nil
}

// span is a group of a batch: mails[start:end].
type span struct{ start, end int }

// groups cuts mails into groups of at most Config.GroupMails mails and,
// but for a group of one large mail, Config.GroupBytes bytes.
func (g *Gateway) groups(mails []Mail) []span {
	maxMails, maxBytes := g.cfg.GroupMails, g.cfg.GroupBytes
	if maxMails <= 0 {
		maxMails = defaultGroupMails
	}
	if maxBytes <= 0 {
		maxBytes = defaultGroupBytes
	}
	var out []span
	start, size := 0, 0
	for i, m := range mails {
		if i > start && (i-start >= maxMails || size+len(m.Raw) > maxBytes) {
			out = append(out, span{start, i})
			start, size = i, 0
		}
		size += len(m.Raw)
	}
	if start < len(mails) {
		out = append(out, span{start, len(mails)})
	}
	return out
}

func (g *Gateway) workers() int {
	if g.cfg.Workers > 0 {
		return g.cfg.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Abandon stops the batch's parsers and writes nothing of it: when the
// batch before it failed, it must not be committed before that one is.
func (b *Batch) Abandon() {
	if len(b.groups) == 0 {
		return
	}
	close(b.stop)
	b.workers.Wait()
}

// TakeUntilRefused is TakeBatch up to and including the first mail that
// is refused or fails, and returns the results of that prefix only. An
// IMAP intake needs it so: a refused mail is moved to the Failed folder
// before any later mail is committed, or a crash between the two would
// leave it below the checkpoint, unfiled.
func (g *Gateway) TakeUntilRefused(ctx context.Context, mails []Mail) []error {
	return g.BeginUntilRefused(ctx, mails).Commit(ctx)
}

// BeginUntilRefused is Begin for TakeUntilRefused: it begins mails up to
// and including the first that Refuse refuses, and its Commit returns the
// results up to the first mail refused or failed.
func (g *Gateway) BeginUntilRefused(ctx context.Context, mails []Mail) *Batch {
	n := len(mails)
	for i, m := range mails {
		if g.Refuse(m.Raw) != nil {
			n = i + 1
			break
		}
	}
	b := g.Begin(ctx, mails[:n])
	b.untilRefused = true
	return b
}
