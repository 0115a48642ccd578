package indicator

import "testing"

func TestDefangText(t *testing.T) {
	x := New(Options{Exclude: []string{"league.example"}})
	for in, want := range map[string]string{
		"Fwd: verify your account at https://evil-bank.com/login": "Fwd: verify your account at hxxps://evil-bank[.]com/login",
		"HTTPS://Evil-Bank.COM/Login and evil-bank.com":           "hxxps://Evil-Bank[.]COM/Login and evil-bank[.]com",
		"mail billing@Evil.example now":                           "mail billing@Evil[.]example now",
		"from 203.0.113.7":                                        "from 203.0.113[.]7",
		"write to report@league.example":                          "write to report@league.example",
		"apple at xn--pple-43d.com or аpple.com":                  "apple at xn--pple-43d[.]com or аpple[.]com",
		"nothing here. Really.":                                   "nothing here. Really.",
		"":                                                        "",
	} {
		if got := x.DefangText(in); got != want {
			t.Errorf("DefangText(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
