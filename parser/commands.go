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
	var cmds []Command
	lines := strings.Split(own, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimPrefix(lines[i], "\ufeff"))
		if line == "" {
			continue
		}
		if !isCommandLine(line) || len(cmds) >= maxCommands {
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
			break
		}
		cmds = append(cmds, c)
	}
	if cmds == nil {
		cmds = []Command{}
	}
	return cmds
}

func isCommandLine(line string) bool {
	if len(line) < 2 || line[0] != '#' {
		return false
	}
	r := []rune(line[1:])
	return unicode.IsLetter(r[0])
}
