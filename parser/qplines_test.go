package parser

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestQPLines compares the one-pass decoding with the cleaner and
// mime/quotedprintable, on bodies made to hit each rule the proof of
// qpLines rests on, then on random ones.
func TestQPLines(t *testing.T) {
	tests := []struct {
		name, body string
		fast       bool // decoded by qpLines, not left to the readers
	}{
		{"empty", "", true},
		{"plain", "Dear customer,\r\nlog in.\r\n", true},
		{"escapes", "caf=C3=A9 =3D =e9=\r\nsoft", true},
		{"soft breaks, LF and CRLF", "a=\nb=\r\nc=", true},
		{"soft break after blanks", "a  =\r\nb \t=\n", true},
		{"blanks stripped", "a \t\r\nb \nc  ", true},
		{"blanks after an equals sign", "a= \r\nb=\t\nc= \t \r\n", true},
		{"equals before CR CR LF", "a=\r\r\nb", true},
		{"equals at the end", "abc=", true},
		{"equals and CR at the end", "abc=\r", true},
		{"equals and one hex digit", "a=4\nb=4", true},
		{"equals and no hex", "=G1 =ZZ == ==41 =\x00", true},
		{"lone CRs", "a\rb\r\r\nc\r", true},
		{"stray bytes", "\x00\x01\x7f\xe9\xff\x0b\x0c\r\n\x85", true},
		{"line at the cleaner's limit", strings.Repeat("a", maxQPLine-4) + "\n" + strings.Repeat("=41", 340) + "\n", true},
		{"line over the cleaner's limit", strings.Repeat("a", maxQPLine+10) + "\n", false},
		{"escaped bytes over the limit", strings.Repeat("\x01", 400) + "\n", false},
		{"CRs keep the cleaner's lines short", strings.Repeat(strings.Repeat("a", 900)+"\r", 5) + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fast := qpLines([]byte(tt.body))
			if fast != tt.fast {
				t.Errorf("qpLines ok = %v, want %v", fast, tt.fast)
			}
			want, ok := decodeQPReaders([]byte(tt.body))
			if fast && (!ok || !bytes.Equal(got, want)) {
				t.Errorf("qpLines = %q\nreaders = %q (ok %v)", got, want, ok)
			}
			if all, ok2 := decodeQP([]byte(tt.body)); ok2 != ok || !bytes.Equal(all, want) {
				t.Errorf("decodeQP = %q, %v; readers %q, %v", all, ok2, want, ok)
			}
		})
	}

	rng := rand.New(rand.NewPCG(19, 2))
	pieces := []string{"=", "=3D", "=3d", "=\r\n", "=\n", "=\r", "= \n", "=\t\r\n", "=4", "=G1", "=a", "\r\n", "\n", "\r", "\t", " ", " \r\n", "\xe9", "\x00", "\x7f", "abc", "<a href=3D", strings.Repeat("z", 70)}
	fast := 0
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for n := rng.IntN(60); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		body := []byte(b.String())
		want, ok := decodeQPReaders(body)
		got, isFast := qpLines(body)
		if !isFast {
			continue
		}
		fast++
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("body %q:\nqpLines = %q\nreaders = %q (ok %v)", body, got, want, ok)
		}
	}
	if fast < 2000 {
		t.Errorf("%d of 3000 random bodies decoded in one pass", fast)
	}
}

// FuzzQPLines checks the one-pass quoted-printable decoding against the
// cleaner and mime/quotedprintable it stands for.
func FuzzQPLines(f *testing.F) {
	for _, s := range []string{"caf=C3=A9 =3D=\r\nb", "a= \r\nb=\t\nc=", "=G1 ==41 =4", "a\rb\r\r\n\x00\xe9 \t"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, fast := qpLines(body)
		if !fast {
			return
		}
		want, ok := decodeQPReaders(body)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("body %q:\nqpLines = %q\nreaders = %q (ok %v)", body, got, want, ok)
		}
	})
}
