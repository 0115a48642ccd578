package parser

import (
	"strings"
	"unicode"
)

// maxCommands bounds the command lines read from one mail.
const maxCommands = 32

// readCommands reads the triage commands at the top of a mail's own text:
// lines that start with '#' and a letter, before any other line. Case and
// surrounding spaces do not matter. The text below a #reply line, up to
// the signature or the quoted mail, is the message to relay; it ends the
// commands. Commands in quoted text are never read: own is only the
// sender's new words (see splitBody).
func readCommands(own string) []Command {
	cmds, _ := readCommandBlock(own)
	return cmds
}

// readCommandBlock reads the commands at the top of top, the first run of
// the sender's own words (up to the first quote, attribution, forwarded or
// original-message block, or signature), and the note written below them:
// what a triager adds for the CERT. A #reply's text, and the note, never
// reach below that run: what follows a quote is not meant for whoever the
// command writes to (DESIGN.md invariant 8).
func readCommandBlock(top string) (cmds []Command, note string) {
	lines := strings.Split(strings.ReplaceAll(top, "\r\n", "\n"), "\n")
	rest := len(lines)
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimPrefix(lines[i], "\ufeff"))
		if line == "" {
			continue
		}
		if !isCommandLine(line) || len(cmds) >= maxCommands {
			rest = i
			break
		}
		fields := strings.Fields(line[1:])
		c := Command{Name: strings.ToLower(fields[0]), Args: []string{}, Line: line}
		for _, a := range fields[1:] {
			c.Args = append(c.Args, a)
		}
		if c.Name == "reply" {
			c.Text = strings.TrimSpace(strings.Join(lines[i+1:], "\n"))
			cmds = append(cmds, c)
			return cmds, ""
		}
		cmds = append(cmds, c)
	}
	if cmds == nil {
		return []Command{}, ""
	}
	return cmds, strings.TrimSpace(strings.Join(lines[rest:], "\n"))
}

func isCommandLine(line string) bool {
	if len(line) < 2 || line[0] != '#' {
		return false
	}
	r := []rune(line[1:])
	return unicode.IsLetter(r[0])
}
