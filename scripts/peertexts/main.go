// Command peertexts writes the decoded text parts of each mail given, one
// JSON object a line ({"file": ..., "texts": [...]}), for
// scripts/bench-parse-peer: the npm peer reads no MIME, so it is fed what
// a MIME decoder makes of each mail, and that decoding is not timed.
//
//	go run ./scripts/peertexts MAIL... > texts.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

type mail struct {
	File  string   `json:"file"`
	Texts []string `json:"texts"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peertexts MAIL...")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, name := range os.Args[1:] {
		m, err := texts(name)
		if err != nil {
			// A mail the decoder cannot read still counts for the peer,
			// with no text, as it counts for parse.
			slog.Warn("peertexts: mail not decoded", "file", name, "err", err)
		}
		if err := enc.Encode(m); err != nil {
			slog.Error("peertexts: writing", "err", err)
			os.Exit(1)
		}
	}
	if err := out.Flush(); err != nil {
		slog.Error("peertexts: writing", "err", err)
		os.Exit(1)
	}
}

// texts decodes one mail and keeps its subject and every text/plain and
// text/html part, transfer encoding undone and converted to UTF-8: what a
// peer that reads text would be handed by a mail library.
func texts(name string) (mail, error) {
	m := mail{File: name, Texts: []string{}}
	raw, err := os.ReadFile(name)
	if err != nil {
		return m, fmt.Errorf("reading %s: %w", name, err)
	}
	root, err := enmime.ReadParts(bytes.NewReader(raw))
	if err != nil {
		return m, fmt.Errorf("decoding %s: %w", name, err)
	}
	if s := root.Header.Get("Subject"); s != "" {
		m.Texts = append(m.Texts, enmime.DecodeRFC2047(s))
	}
	var walk func(p *enmime.Part)
	walk = func(p *enmime.Part) {
		for ; p != nil; p = p.NextSibling {
			ct := strings.ToLower(p.ContentType)
			if (ct == "text/plain" || ct == "text/html" || ct == "") && p.FirstChild == nil && len(p.Content) > 0 {
				m.Texts = append(m.Texts, string(p.Content))
			}
			walk(p.FirstChild)
		}
	}
	walk(root)
	return m, nil
}
