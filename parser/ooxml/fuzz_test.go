package ooxml

import (
	"testing"

	"github.com/hospital-league/leaguemail/parser/archive"
)

func FuzzRead(f *testing.F) {
	f.Add(docx(f))
	f.Add(pkg(f, part{"_rels/.rels", relsHead + rel("r", "hyperlink", "https://x.example/", "External")}))
	lim := archive.Limits{MaxEntries: 50, MaxMemberBytes: 64 << 10, MaxTotalBytes: 256 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Read(data, lim)
		if err != nil {
			return
		}
		if len(d.Text) > int(lim.MaxTotalBytes) {
			t.Fatalf("%d bytes of text from at most %d inflated", len(d.Text), lim.MaxTotalBytes)
		}
	})
}
