package parser

import (
	"slices"
	"strings"
	"unicode"
)

// maxCommands bounds the command lines read from one mail.
const maxCommands = 32

// commandWords are the commands of DESIGN.md. The parser reads any #word
// line as a command (triage says which ones exist); this list only serves
// to recognise a command that was mistyped as "# verify", so that its
// writer hears of it instead of nothing.
var commandWords = []string{"take", "verify", "accept", "unverify", "severity", "tlp", "escalate", "alert",
	"reply", "close", "reject", "reopen", "merge", "takedown", "wait", "approve", "deny"}

// readCommands reads the triage commands of a mail's own text; see
// readCommandBlock.
func readCommands(own string) []Command {
	cmds, _ := readCommandBlock(own)
	return cmds
}

// readCommandBlock reads the commands of top, the first run of the
// sender's own words (up to the first quote, attribution, forwarded or
// original-message block, or signature), and the note written with them:
// what a triager adds for the CERT.
//
// Commands are the lines of that run that start with '#' and a letter,
// wherever they stand in it: below a greeting ("Hi team,"), between
// sentences. A command that follows other words is marked AfterText;
// triage reads such lines as commands only from a triager, so that a
// hospital's report that mentions #hashtags is not taken for commands.
// The text below a #reply line, up to the end of the run, is the message
// to relay; it ends the commands. The note is the other lines below the
// first command. A #reply's text, and the note, never reach below that
// run: what follows a quote is not meant for whoever the command writes
// to (DESIGN.md invariant 8).
func readCommandBlock(top string) (cmds []Command, note string) {
	lines := strings.Split(strings.ReplaceAll(top, "\r\n", "\n"), "\n")
	var noteLines []string
	text := false // a line of words came before
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimPrefix(lines[i], "\ufeff"))
		if line == "" {
			if len(cmds) > 0 {
				noteLines = append(noteLines, "")
			}
			continue
		}
		c, ok := commandLine(line)
		if !ok || len(cmds) >= maxCommands {
			text = true
			if len(cmds) > 0 {
				noteLines = append(noteLines, lines[i])
			}
			continue
		}
		c.AfterText = text
		if c.Name == "reply" {
			c.Text = strings.TrimSpace(strings.Join(lines[i+1:], "\n"))
			cmds = append(cmds, c)
			return cmds, strings.TrimSpace(strings.Join(noteLines, "\n"))
		}
		cmds = append(cmds, c)
	}
	if cmds == nil {
		return []Command{}, ""
	}
	return cmds, strings.TrimSpace(strings.Join(noteLines, "\n"))
}

// commandLine reads one line as a command: "#severity high", also with
// the punctuation people put after a word ("#severity: high", "#verify.").
// A line that is meant as a command but cannot be read as one ("# verify",
// a space after the '#') is a command with a Problem, which triage answers
// with an error: a mistyped command must not vanish in silence.
func commandLine(line string) (Command, bool) {
	if len(line) < 2 || line[0] != '#' {
		return Command{}, false
	}
	fields := strings.Fields(line[1:])
	if len(fields) == 0 {
		return Command{}, false
	}
	if first := []rune(line[1:])[0]; !unicode.IsLetter(first) {
		word := strings.ToLower(strings.TrimRight(fields[0], ":.,;!"))
		if !unicode.IsSpace(first) || !slices.Contains(commandWords, word) {
			return Command{}, false // "#1 priority", "# Summary"
		}
		return Command{Name: word, Args: []string{}, Line: line,
			Problem: "there is a space between # and " + word + ": write #" + word}, true
	}
	name := strings.ToLower(fields[0])
	// Not "!": #takedown! is a command of its own.
	if trimmed := strings.TrimRight(name, ":.,;"); trimmed != "" {
		name = trimmed
	}
	c := Command{Name: name, Args: []string{}, Line: line}
	for _, a := range fields[1:] {
		c.Args = append(c.Args, a)
	}
	return c, true
}
