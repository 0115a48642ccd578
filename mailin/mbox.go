package mailin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// readMbox splits an mbox file into its messages. A message starts at a
// "From " line that opens the file, follows an empty line, or is followed by
// a header field (mbox writers that leave no empty line between messages).
// Lines quoted as ">From ", ">>From "... lose one ">" (mboxrd). Line ends
// are kept as they are: LF, CRLF or CR only.
func readMbox(ctx context.Context, br *bufio.Reader, path string, fn func([]byte, Origin) error) error {
	lr, err := newLineReader(br)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var (
		msg       bytes.Buffer
		index     int
		started   bool
		prevBlank = true
		pending   []byte // a "From " line not after an empty line, not yet judged
	)
	emit := func() error {
		if !started {
			return nil
		}
		raw := trimSeparator(msg.Bytes())
		defer func() { msg.Reset(); index++ }()
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		origin := Origin{Mailbox: "file:" + path + "#" + strconv.Itoa(index)}
		if err := fn(bytes.Clone(raw), origin); err != nil {
			return fmt.Errorf("%s#%d: %w", path, index, err)
		}
		return nil
	}
	for {
		line, err := lr.next()
		if len(line) > 0 {
			if pending != nil {
				if looksLikeHeader(line) {
					if err := emit(); err != nil {
						return err
					}
					started = true
				} else {
					msg.Write(pending)
				}
				pending = nil
				prevBlank = false
			}
			switch {
			case isFromLine(line) && (prevBlank || !started):
				if err := emit(); err != nil {
					return err
				}
				started = true
				prevBlank = false
			case isFromLine(line):
				pending = bytes.Clone(line)
			default:
				msg.Write(unquoteFrom(line))
				prevBlank = isBlankLine(line)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
	if pending != nil {
		msg.Write(pending)
	}
	return emit()
}

// isFromLine reports whether line is an mbox "From " line: "From " and a
// sender, then nothing or a date with a time of day. Body text such as
// "From Russia with love", left unquoted by some writers, is not.
func isFromLine(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	f := bytes.Fields(line[5:])
	if len(f) <= 1 {
		return true
	}
	for _, w := range f[1:] {
		if isTimeOfDay(w) {
			return true
		}
	}
	return false
}

// isTimeOfDay reports whether w looks like hh:mm or hh:mm:ss.
func isTimeOfDay(w []byte) bool {
	parts := bytes.Split(w, []byte(":"))
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 2 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func isBlankLine(line []byte) bool { return len(bytes.Trim(line, "\r\n")) == 0 }

// looksLikeHeader reports whether line starts with a header field name and a colon.
func looksLikeHeader(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// unquoteFrom turns ">From " into "From ", ">>From " into ">From "...
func unquoteFrom(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
		return line[1:]
	}
	return line
}

// trimSeparator drops the empty line that mbox puts after each message.
func trimSeparator(b []byte) []byte {
	for _, eol := range []string{"\r\n", "\n", "\r"} {
		e := []byte(eol)
		if bytes.HasSuffix(b, append(bytes.Clone(e), e...)) {
			return b[:len(b)-len(e)]
		}
	}
	return b
}

// lineReader returns lines with their ends, which are those of the first
// line: "\n" (covering CRLF) or a lone "\r" (old Mac files).
type lineReader struct {
	br    *bufio.Reader
	delim byte
}

func newLineReader(br *bufio.Reader) (*lineReader, error) {
	lr := &lineReader{br: br, delim: '\n'}
	for n := 256; ; n *= 2 {
		b, err := br.Peek(n)
		if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
			if b[i] == '\r' && (i+1 >= len(b) && err == nil) {
				continue // is it CRLF? read on
			}
			if b[i] == '\r' && (i+1 >= len(b) || b[i+1] != '\n') {
				lr.delim = '\r'
			}
			return lr, nil
		}
		if err != nil || n >= br.Size() {
			if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
				return lr, nil
			}
			return lr, err
		}
	}
}

func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.br.ReadSlice(lr.delim)
	if errors.Is(err, bufio.ErrBufferFull) {
		// A very long line: gather it whole.
		buf := bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = lr.br.ReadSlice(lr.delim)
			buf = append(buf, line...)
		}
		return buf, err
	}
	return line, err
}
