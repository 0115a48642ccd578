package parser

import (
	"strings"
	"testing"
)

// recallKinds are the attachments the readers of recall.go open: a mail
// without one of them must parse as fast as before they existed.
func readsRecall(m *Message) bool {
	for _, a := range m.Attachments {
		t := a.SniffedType
		if t == "application/pdf" || t == "text/html" || t == "application/x-7z-compressed" || t == "application/x-rar-compressed" ||
			strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "application/vnd.openxmlformats-officedocument.") {
			return true
		}
	}
	return false
}

// splitPhish parts the honeypot phish into the mails with no attachment
// of those kinds and the others.
func splitPhish(b *testing.B) (common, recall [][]byte) {
	for _, raw := range loadPhish(b) {
		if readsRecall(Parse(raw, testOpts)) {
			recall = append(recall, raw)
		} else {
			common = append(common, raw)
		}
	}
	return common, recall
}

func benchMails(b *testing.B, mails [][]byte) {
	if len(mails) == 0 {
		b.Skip("no mails")
	}
	b.SetBytes(totalSize(mails) / int64(len(mails)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(mails) == 0 {
			pictures.reset()
		}
		Parse(mails[i%len(mails)], testOpts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkParseCommon is the parse of the honeypot mails that carry no
// picture, PDF, Office document, HTML page, 7z or RAR.
func BenchmarkParseCommon(b *testing.B) {
	common, _ := splitPhish(b)
	b.Logf("%d mails", len(common))
	benchMails(b, common)
}

// BenchmarkParseRecallKinds is the parse of the others.
func BenchmarkParseRecallKinds(b *testing.B) {
	_, recall := splitPhish(b)
	b.Logf("%d mails", len(recall))
	benchMails(b, recall)
}
