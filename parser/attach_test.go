package parser

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mailWith builds a report as a webmail writes it: a short text, and one
// attachment in base64.
func mailWith(filename, ctype string, data []byte) []byte {
	var b strings.Builder
	b.WriteString("From: Lea Roux <lea.roux@chu-ouest.example.fr>\r\nTo: report@league.example\r\n")
	b.WriteString("Subject: sample attached\r\nMessage-ID: <att-1@chu-ouest.example.fr>\r\nDate: Tue, 24 Nov 2026 08:00:00 +0100\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n")
	b.WriteString("--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSample attached, password infected.\r\n")
	fmt.Fprintf(&b, "--sep\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", ctype, filename, filename)
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--sep--\r\n")
	return []byte(b.String())
}

func TestParseZipWithPassword(t *testing.T) {
	zip, err := os.ReadFile("archive/testdata/infected.zip")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(mailWith("sample.zip", "application/zip", zip), testOpts)
	var members []Attachment
	for _, a := range m.Attachments {
		if a.Container == "sample.zip" {
			members = append(members, a)
		}
	}
	if len(members) != 2 || members[0].Filename != "sample.txt" || members[0].Depth != 1 || members[0].Size != 60 || members[0].SHA256 == "" {
		t.Fatalf("members = %+v", members)
	}
	// Members of a zip are samples: their hashes go to the feeds.
	if !has(m, "sha256", members[0].SHA256, "") {
		t.Error("the member's sha256 is not an indicator")
	}
	if len(m.Errors) > 0 {
		t.Errorf("errors: %q", m.Errors)
	}
}

func TestParseZipUnknownPassword(t *testing.T) {
	zip, err := os.ReadFile("archive/testdata/unknown-password.zip")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(mailWith("locked.zip", "application/octet-stream", zip), testOpts)
	found := false
	for _, a := range m.Attachments {
		if a.Container == "locked.zip" && a.Encrypted {
			found = true
		}
	}
	if !found {
		t.Errorf("the encrypted member is not listed as such: %+v", m.Attachments)
	}
}

// TestParseOutlookMsg wraps real Outlook files of the corpus in a report,
// as a hospital forwards a mail "as attachment" from Outlook.
func TestParseOutlookMsg(t *testing.T) {
	dir := filepath.Join(corpusDir, "outlook-message-perl/t/files")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus not found")
	}
	data, err := os.ReadFile(filepath.Join(dir, "charset.msg"))
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(mailWith("Fwd phish.msg", "application/vnd.ms-outlook", data), testOpts)
	if len(m.Evidence) == 0 || m.Evidence[0].How != "msg" {
		t.Fatalf("the .msg was not read as a forwarded mail: %+v (errors %q)", m.Evidence, m.Errors)
	}
	if m.Evidence[0].Subject == "" && m.Evidence[0].From == "" {
		t.Errorf("evidence without subject nor sender: %+v", m.Evidence[0])
	}
	// The same file given on its own is a mail too.
	top := Parse(data, testOpts)
	if top.NotMail() || top.Subject != m.Evidence[0].Subject {
		t.Errorf("the .msg on its own: subject %q, errors %q", top.Subject, top.Errors)
	}
}

func TestParseTextAttachmentByBytes(t *testing.T) {
	// A list sent as application/octet-stream with no telling name: its
	// bytes are text, so it is read.
	m := Parse(mailWith("export", "application/octet-stream", []byte("bad: hxxps://evil-cdn[.]example[.]com/p.js\n")), testOpts)
	if !has(m, "url", "https://evil-cdn.example.com/p.js", LayerReport) {
		t.Errorf("indicators = %+v", m.Indicators)
	}
}

// TestParseWinmailDat wraps a real winmail.dat of the corpus in a mail as
// Exchange sends it: its files are the mail's attachments.
func TestParseWinmailDat(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "mimekit/UnitTests/TestData/tnef/two-files.tnef"))
	if err != nil {
		t.Skip("corpus not found")
	}
	m := Parse(mailWith("winmail.dat", "application/ms-tnef", data), testOpts)
	var names []string
	for _, a := range m.Attachments {
		if a.Container == "winmail.dat" {
			names = append(names, a.Filename)
			if a.Depth != 0 || a.SHA256 == "" {
				t.Errorf("attachment %+v", a)
			}
		}
	}
	if strings.Join(names, ",") != "AUTHORS,README" {
		t.Errorf("files in winmail.dat = %q, want AUTHORS and README", names)
	}
}
