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
	errs := make([]error, len(mails))
	preps := make([]*prepared, len(mails))
	groups := g.groups(mails)
	if len(groups) == 0 {
		return errs
	}

	// Parsing runs at most two groups ahead of the commits: the memory of
	// a batch is bounded by three groups, not by the batch.
	ahead := make(chan struct{}, 2)
	parsed := make([]sync.WaitGroup, len(groups))
	for k, gr := range groups {
		parsed[k].Add(gr.end - gr.start)
	}
	type job struct{ group, mail int }
	jobs := make(chan job)
	stop := make(chan struct{})
	go func() {
		defer close(jobs)
		for k, gr := range groups {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			for i := gr.start; i < gr.end; i++ {
				select {
				case jobs <- job{k, i}:
				case <-stop:
					return
				}
			}
		}
	}()
	var workers sync.WaitGroup
	for range g.workers() {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				preps[j.mail], errs[j.mail] = g.prepare(ctx, mails[j.mail].Raw, mails[j.mail].Origin)
				parsed[j.group].Done()
			}
		}()
	}
	failed, at := error(nil), 0
	for k, gr := range groups {
		parsed[k].Wait()
		if err := g.commitGroup(ctx, preps[gr.start:gr.end], errs[gr.start:gr.end]); err != nil {
			failed, at = err, gr.start
			break
		}
		<-ahead
	}
	close(stop)
	workers.Wait()
	if failed != nil {
		// A refused mail is refused whether or not its turn came: the
		// result does not depend on how far the parsers ran ahead.
		for i := at; i < len(mails); i++ {
			if errs[i] = g.Refuse(mails[i].Raw); errs[i] == nil {
				errs[i] = failed
			}
		}
	}
	return errs
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

// TakeUntilRefused is TakeBatch up to and including the first mail that
// is refused or fails, and returns the results of that prefix only. An
// IMAP intake needs it so: a refused mail is moved to the Failed folder
// before any later mail is committed, or a crash between the two would
// leave it below the checkpoint, unfiled.
func (g *Gateway) TakeUntilRefused(ctx context.Context, mails []Mail) []error {
	n := len(mails)
	for i, m := range mails {
		if g.Refuse(m.Raw) != nil {
			n = i + 1
			break
		}
	}
	errs := g.TakeBatch(ctx, mails[:n])
	for i, err := range errs {
		if err != nil {
			return errs[:i+1]
		}
	}
	return errs
}
