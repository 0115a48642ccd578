package parser

import (
	"slices"
	"testing"
)

// TestQRCacheRepeatedPicture: the second mail of a campaign, whose code is
// the same picture, gives the same link as the first, from the cache; the
// budget of pixels is still spent per mail.
func TestQRCacheRepeatedPicture(t *testing.T) {
	url := "https://campaign-qr.example-phish.top/verify"
	pic := pngOf(t, qrPicture(t, url))
	for i := range 2 {
		m := Parse(mailParts("Scan this?", part{ctype: "image/png", filename: "code.png", disposition: "attachment", data: pic}), testOpts)
		if !slices.ContainsFunc(m.Indicators, func(ind Indicator) bool { return ind.Value == url }) {
			t.Fatalf("mail %d: %s not found (indicators %v)", i+1, url, m.Indicators)
		}
	}
	if _, ok := pictures.get(pictureKey(pic)); !ok {
		t.Error("the searched picture is not in the cache")
	}
}

func TestQRCacheBound(t *testing.T) {
	c := &qrCache{max: 3}
	for i := range 10 {
		c.put([32]byte{byte(i)}, []string{"x"})
		if len(c.texts) > c.max {
			t.Fatalf("after %d puts the cache holds %d, over its bound %d", i+1, len(c.texts), c.max)
		}
	}
	if got, ok := c.get([32]byte{9}); !ok || !slices.Equal(got, []string{"x"}) {
		t.Errorf("the last picture put is not found: %v %v", got, ok)
	}
}
