package parser

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// errStructure is returned by prescan when a mail's MIME structure is over
// a limit.
var errStructure = errors.New("mime structure over limit")

// prescan walks the MIME structure of raw without decoding anything, and
// says whether it is within the part count and depth limits. enmime has no
// limits of its own, and on multiparts nested and never closed its time
// doubles with each level; this streaming walk stays linear.
//
// It returns the number of parts seen. A structure that cannot be read
// (bad headers, a missing boundary) is not its concern: enmime reports it.
func prescan(raw []byte, maxParts, maxDepth int) (int, error) {
	parts := 0
	var walk func(h textproto.Header, body io.Reader, depth int) error
	walk = func(h textproto.Header, body io.Reader, depth int) error {
		parts++
		if parts > maxParts {
			return fmt.Errorf("%w: more than %d parts", errStructure, maxParts)
		}
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
			_, err := io.Copy(io.Discard, body)
			return err
		}
		if depth >= maxDepth {
			return fmt.Errorf("%w: multiparts nested more than %d deep", errStructure, maxDepth)
		}
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				// io.EOF ends the multipart; anything else is malformed
				// input that enmime will read as best it can.
				return nil
			}
			if err := walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return 0, nil
	}
	err = walk(h, br, 0)
	if errors.Is(err, errStructure) {
		return parts, err
	}
	return parts, nil
}

// partsBound bounds from above, cheaply, the parts that prescan counts in
// raw, and says whether prescan would find raw within maxParts and
// maxDepth; when it does not know, ok is false.
//
// Every part but the root starts at a delimiter line, which begins the
// body or follows a line feed: "\n--" counts them all. Every multipart
// level walked has a header whose Content-Type, lowercased, starts with
// "multipart/", and a header value is its raw bytes less its folds, which
// leave a space: each holds "part/" in ASCII of any case (only U+0130 and
// U+212A lowercase to ASCII, to 'i' and 'k'). So a mail with no more
// "part/" than maxDepth is never nested past it.
func partsBound(raw []byte, maxParts, maxDepth int) (parts int, ok bool) {
	parts = 2 // the root, and a delimiter at the start of its body
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if i+1 < len(raw) && raw[i] == '-' && raw[i+1] == '-' {
			if parts++; parts > maxParts {
				return 0, false
			}
		}
	}
	if parts > maxParts {
		return 0, false
	}
	levels := 0
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '/')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= 5 && raw[i-5]|0x20 == 'p' && raw[i-4]|0x20 == 'a' && raw[i-3]|0x20 == 'r' && raw[i-2]|0x20 == 't' {
			if levels++; levels > maxDepth {
				return 0, false
			}
		}
	}
	return parts, true
}
