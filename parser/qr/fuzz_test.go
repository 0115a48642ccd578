package qr

import "testing"

func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, code(f, "https://phish.example/login", 120)))
	f.Add(encodeJPEG(f, code(f, "https://phish.example/login", 120)))
	f.Add(bombPNG(1<<20, 1<<20))
	f.Add([]byte("GIF89a"))
	// A small limit keeps each input quick: the fuzzer grows headers.
	lim := Limits{MaxPixels: 512 * 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := Decode(data, lim)
		if err != nil && texts != nil {
			t.Fatalf("texts %q with error %v", texts, err)
		}
	})
}
