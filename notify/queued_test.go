package notify

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/store"
)

// Files queued with a mail (package takedown's XARF reports) are attached
// as queued, under a plain file name; a malformed list is final.
func TestQueuedFiles(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	xarf := `{"xarf_version":"4.0.0","url":"http://vpn-renew.evil.example/login"}`
	m := e.enqueue(1, store.KindTakedown, []string{"abuse@hoster.example"},
		`{"text":"1. url hxxp://vpn-renew[.]evil[.]example/login","recipient_name":"Hoster",
		  "files":[{"filename":"../../etc/xarf-1.json","content_type":"application/json","data":"`+b64(xarf)+`"}]}`)
	m.Template = "takedown"
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	v, err := s.buildView(e.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Render(s.tmpl, m, v)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 1 || env.Attachments[0].FileName != "xarf-1.json" || string(env.Attachments[0].Content) != xarf {
		t.Fatalf("attachments: %+v", env.Attachments)
	}
	if env.GetHeader("Auto-Submitted") != "" {
		t.Errorf("a takedown request is marked Auto-Submitted: %s", env.GetHeader("Auto-Submitted"))
	}

	for _, bad := range []string{
		`{"files":"xarf"}`,
		`{"files":[{"filename":"x.json","content_type":"not a type","data":""}]}`,
		`{"files":[{"filename":"","content_type":"application/json","data":""}]}`,
	} {
		m.Data = []byte(bad)
		if _, err := Render(s.tmpl, m, v); !errors.As(err, new(*permanentError)) {
			t.Errorf("%s: %v, want a permanent error", bad, err)
		}
	}
}

func b64(s string) string {
	var b bytes.Buffer
	writeBase64(&b, []byte(s))
	return string(bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), nil))
}
