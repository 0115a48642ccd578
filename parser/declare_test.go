package parser

import "testing"

func TestDeclareUTF8(t *testing.T) {
	const ru = "https://сбер-онлайн.рф/login"
	tests := []struct {
		name, raw, want string
	}{
		{"LF mail without a type", "Subject: x\n\n" + ru + "\n", "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n" + ru + "\n"},
		{"CRLF mail without a type", "Subject: x\r\n\r\n" + ru + "\r\n", "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + ru + "\r\n"},
		{"declared type kept", "Subject: x\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n" + ru + "\r\n", "Subject: x\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n" + ru + "\r\n"},
		{"ASCII body kept", "Subject: x\r\n\r\nhttps://plain.example-phish.top/\r\n", "Subject: x\r\n\r\nhttps://plain.example-phish.top/\r\n"},
		{"bare LFs in a CRLF body are not its end of header", "Subject: x\r\n\r\n" + ru + "\n\nmore\r\n", "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + ru + "\n\nmore\r\n"},
		{"LF blank line before a CRLF one ends the header", "Subject: x\n\n" + ru + "\r\n\r\nmore", "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n" + ru + "\r\n\r\nmore"},
		{"no body", "Subject: x\r\n", "Subject: x\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(declareUTF8([]byte(tt.raw))); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
