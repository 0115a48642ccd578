package notify

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Server
		err  string
	}{
		{in: "smtp://report%40league.example:s3cret@mail.example", want: Server{StartTLS, "mail.example", "587", "report@league.example", "s3cret"}},
		{in: "smtps://u:p@mail.example", want: Server{ImplicitTLS, "mail.example", "465", "u", "p"}},
		{in: "smtp://127.0.0.1:2525?tls=none", want: Server{NoTLS, "127.0.0.1", "2525", "", ""}},
		{in: "smtp://u:p@[::1]:25?tls=none", want: Server{NoTLS, "::1", "25", "u", "p"}},
		{in: "smtp://u:s3cret@mail.example?tls=none", err: "loopback"},
		{in: "smtps://127.0.0.1?tls=none", err: "pick one"},
		{in: "http://mail.example", err: "scheme"},
		{in: "smtp://u@mail.example", err: "both"},
		{in: "smtp://mail.example:99999", err: "port"},
		{in: "smtp://mail.example?x=1", err: "unknown parameter"},
		{in: "smtp://u:s3cret@mail.example/x", err: "path"},
		{in: "smtp://u:s3cret@mail example", err: "smtp url"},
	} {
		got, err := ParseURL(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one saying %q", c.in, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error shows the password: %v", c.in, err)
			}
			continue
		}
		if err != nil || *got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}
