package triage

import (
	"testing"

	"github.com/hospital-league/leaguemail/parser"
)

func TestAnswerable(t *testing.T) {
	h := newHarness(t)
	base := func() *parser.Message { return report("alice@hospital.example", "<1@h>", "phish") }
	with := func(f func(m *parser.Message)) *parser.Message { m := base(); f(m); return m }
	hdr := func(k, v string) *parser.Message {
		return with(func(m *parser.Message) { m.Header = map[string][]string{k: {v}} })
	}
	for _, c := range []struct {
		name string
		msg  *parser.Message
		ok   bool
	}{
		{"plain report", base(), true},
		{"Auto-Submitted: no", hdr("Auto-Submitted", "no"), true},
		{"Precedence: first-class", hdr("Precedence", "first-class"), true},
		{"bounce", with(func(m *parser.Message) { m.Kind = parser.KindBounce }), false},
		{"auto-reply", with(func(m *parser.Message) { m.Kind = parser.KindAutoReply }), false},
		{"parser says no", with(func(m *parser.Message) { m.NoAnswer = "bulk mail" }), false},
		{"no sender", with(func(m *parser.Message) { m.From = "" }), false},
		{"null Return-Path", hdr("Return-Path", "<>"), false},
		{"MAILER-DAEMON", with(func(m *parser.Message) { m.From = "MAILER-DAEMON@mx.example" }), false},
		{"Auto-Submitted: auto-generated", hdr("Auto-Submitted", "auto-generated"), false},
		{"Auto-Submitted lower-case key", hdr("auto-submitted", "auto-replied"), false},
		{"Precedence: bulk", hdr("Precedence", "bulk"), false},
		{"Precedence: junk", hdr("Precedence", "Junk"), false},
		{"Precedence: list", hdr("Precedence", "list"), false},
		{"List-Id", hdr("List-Id", "<soc.lists.example>"), false},
		{"X-Auto-Response-Suppress", hdr("X-Auto-Response-Suppress", "DR, OOF, AutoReply"), false},
		{"our address", with(func(m *parser.Message) { m.From = "Report@League.example" }), false},
		{"our plus-address", with(func(m *parser.Message) { m.From = "report+t1-x@league.example" }), false},
		{"our domain", with(func(m *parser.Message) { m.From = "alex@mail.league.example" }), false},
	} {
		ok, reason := h.g.Answerable(c.msg)
		if ok != c.ok || (!ok && reason == "") {
			t.Errorf("%s: Answerable = %v, %q; want %v", c.name, ok, reason, c.ok)
		}
	}
}
