package parser

import (
	"strings"
	"testing"
)

// TestSplitBodyMarks: the marks that start forwarded or quoted text are
// found in any case and behind stars, and a line that only resembles one
// is the sender's own (the checks skip most lines on their first byte).
func TestSplitBodyMarks(t *testing.T) {
	tests := []struct {
		name  string
		mark  string
		reply bool
		want  region
	}{
		{"gmail forward", "---------- Forwarded message ---------", false, regionForwarded},
		{"forward in capitals", "---------- FORWARDED MESSAGE ---------", false, regionForwarded},
		{"apple mail, bold", "**Begin forwarded message:**", false, regionForwarded},
		{"apple mail in French", "Début du message réexpédié :", false, regionForwarded},
		{"German, capitalised", "ANFANG DER WEITERGELEITETEN NACHRICHT:", false, regionForwarded},
		{"outlook original in a reply", "-----Original Message-----", true, regionQuoted},
		{"original in capitals", "-----ORIGINAL MESSAGE-----", true, regionQuoted},
		{"original in a report is evidence", "-----Original Message-----", false, regionForwarded},
		{"a sentence about a forward", "Forwarded message below, please check", false, regionOwn},
		{"dashes around other words", "----- Important -----", false, regionOwn},
		{"outlook on the web: underscores above the header block",
			"________________________________\nFrom: IT Desk <it@h.example>\nSent: Monday, 30 November 2026 09:12\nTo: Ward 4\nSubject: Password expiry",
			false, regionForwarded},
		{"a line of underscores alone", "________________________________", false, regionOwn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "Please look at this.\n" + tt.mark + "\nhttps://phish.example-bad.top/login\n"
			segs := splitBody(text, tt.reply)
			last := segs[len(segs)-1]
			if got := regionAt(segs, len(text)-2); got != tt.want {
				t.Errorf("the line after %q is in region %v, want %v (segments %v, last %v)", tt.mark, got, tt.want, segs, last)
			}
		})
	}
}

func TestPrefixFold(t *testing.T) {
	tests := []struct {
		s, prefix string
		want      bool
	}{
		{"MAILTO:a@b.example", "mailto:", true},
		{"MailTo:", "mailto:", true},
		{"mailt", "mailto:", false},
		{"CID:image001.png@01D", "cid:", true},
		{"data:image/png;base64,AAAA", "data:", true},
		{"https://cid.example/", "cid:", false},
		{"\u212a", "k", false}, // the Kelvin sign is not ASCII k
	}
	for _, tt := range tests {
		if got := prefixFold(tt.s, tt.prefix); got != tt.want {
			t.Errorf("prefixFold(%q, %q) = %v, want %v", tt.s, tt.prefix, got, tt.want)
		}
	}
}

// TestLineScreens checks that the screens which spare lowering a line only
// ever rule out lines the full checks would refuse too.
func TestLineScreens(t *testing.T) {
	lines := []string{
		"On Mon, 3 Mar 2026 at 10:12, Alex <alex@hospital.example> wrote:",
		"  ON Monday Alex wrote:", "On Monday, 3 March 2026, Alex", "<alex@hospital.example> wrote:",
		"Le lun. 3 mars 2026 à 10:12, Alex a écrit :", "Am 03.03.2026 schrieb Alex:",
		"El lunes, Alex escribió:", "Il giorno lun ha scritto:", "Op ma schreef Alex:", "Em seg escreveu:",
		"In a message Alex wrote:", "On\u00a0Monday Alex wrote:", "\u00a0On Monday Alex wrote:",
		"Alex wrote:", "Thanks,", "Please find the invoice attached.", "", "   ", ">On Monday Alex wrote:",
		"From: Alex <alex@hospital.example>", "*From:* Alex", "FROM: Alex", "De : Alex", "de: Alex",
		"Von: Alex", "Van: Alex", "Da: Alex", "Od: Alex", "Från: Alex", "Fra: Alex", "\u00a0From: Alex",
		"Sent: Monday", "Subject: Invoice", "ôn dit:", "12:30:", "on", "onx wrote:",
	}
	for _, l := range lines {
		full := normSpaces(strings.ToLower(strings.TrimSpace(l)))
		attr := attributionLine(full)
		for _, p := range attributionStarts {
			attr = attr || strings.HasPrefix(full, p)
		}
		if attr && !mayBeAttribution(l) {
			t.Errorf("%q: ruled out as an attribution, the full check would look further", l)
		}
		// The first test of isOutlookBlock, screened and in full.
		spans := splitLines(l + "\nSent: Monday\n")
		if hasLabel(stripStars(l), fromLabels) != isOutlookBlock(spans, l+"\nSent: Monday\n", 0) {
			t.Errorf("%q: the Outlook block screen disagrees with hasLabel", l)
		}
	}
}
