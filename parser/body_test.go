package parser

import "testing"

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
