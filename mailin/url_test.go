package mailin

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Account
	}{
		{"imaps://report%40league.example:s3cret@mail.example/INBOX",
			Account{Security: ImplicitTLS, Host: "mail.example", Port: "993", Username: "report@league.example", Password: "s3cret", Mailbox: "INBOX"}},
		{"imap://u:Zq9@mail.example", Account{Security: StartTLS, Host: "mail.example", Port: "143", Username: "u", Password: "Zq9", Mailbox: "INBOX"}},
		{"imap://u:Zq9@mail.example:1143/Abuse?tls=starttls&auth=login",
			Account{Security: StartTLS, Host: "mail.example", Port: "1143", Username: "u", Password: "Zq9", Mailbox: "Abuse", Auth: "login"}},
		{"imap://u:Zq9@127.0.0.1:1143/INBOX?tls=none", Account{Security: NoTLS, Host: "127.0.0.1", Port: "1143", Username: "u", Password: "Zq9", Mailbox: "INBOX"}},
		{"imap://u:Zq9@[::1]:1143/?tls=none", Account{Security: NoTLS, Host: "::1", Port: "1143", Username: "u", Password: "Zq9", Mailbox: "INBOX"}},
		{"imap://u:Zq9@localhost/INBOX?tls=none&auth=plain", Account{Security: NoTLS, Host: "localhost", Port: "143", Username: "u", Password: "Zq9", Mailbox: "INBOX", Auth: "plain"}},
	} {
		a, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.url, err)
			continue
		}
		if *a != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.url, *a, tc.want)
		}
		if strings.Contains(a.String(), a.Password) {
			t.Errorf("String() = %q shows the password", a.String())
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"pop3://u:hunter2@h/INBOX", `scheme "pop3"`},
		{"mail.example", "no scheme"},
		{"imaps://h/INBOX", "no user name"},
		{"imaps://u@h/INBOX", `no password for user "u"`},
		{"imaps://u:hunter2@/INBOX", "no host"},
		{"imaps://u:hunter2@h:99999/INBOX", `port "99999"`},
		{"imap://u:hunter2@mail.example/INBOX?tls=none", `loopback host, not "mail.example"`},
		{"imaps://u:hunter2@127.0.0.1/INBOX?tls=none", "needs the imap:// scheme"},
		{"imap://u:hunter2@h/INBOX?tls=maybe", `tls="maybe"`},
		{"imap://u:hunter2@h/INBOX?auth=cram-md5", `auth="cram-md5"`},
		{"imap://u:hunter2@h/INBOX?folder=x", `unknown parameter "folder"`},
		{"imap://u:hunter2@h/%zz", "invalid URL escape"},
		{"imap://u:hunter2@h/INBOX#x", "fragment"},
	} {
		_, err := ParseURL(tc.url)
		if err == nil {
			t.Errorf("ParseURL(%q): no error, want %q", tc.url, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %q, want it to say %q", tc.url, err, tc.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q) = %q: shows the password", tc.url, err)
		}
	}
}

func TestAccountName(t *testing.T) {
	a, _ := ParseURL("imaps://report%40league.example:pw@Mail.Example:993/INBOX")
	b, _ := ParseURL("imap://report%40league.example:other@mail.example:143/INBOX")
	if a.Name() != b.Name() {
		t.Errorf("Name differs with TLS mode and port: %q vs %q", a.Name(), b.Name())
	}
	if want := "imap://report%40league.example@mail.example/INBOX"; a.Name() != want {
		t.Errorf("Name = %q, want %q", a.Name(), want)
	}
}

func TestConfigErrors(t *testing.T) {
	sink := newMemSink()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "imaps://u:Zq9@h/INBOX", IdleRestart: 30 * 60e9}, "idle restart"},
		{Config{URL: "imaps://u:Zq9@h/INBOX", Processed: "X", Failed: "X"}, "must differ"},
		{Config{URL: "imaps://u:Zq9@h/INBOX", CAFile: "/nonexistent/ca.pem"}, "CA file"},
		{Config{URL: "imaps://u:Zq9@h/INBOX", RetryMin: 10e9, RetryMax: 1e9}, "retry bounds"},
	} {
		if _, err := New(tc.cfg, sink); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(Config{URL: "imaps://u:Zq9@h/INBOX"}, nil); err == nil {
		t.Error("New with no sink: no error")
	}
}
