package pdf

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func FuzzRead(f *testing.F) {
	f.Add(phishPDF(f))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj trailer << /Root 1 0 R >>"))
	lim := Limits{MaxObjects: 1000, MaxPages: 10, MaxImages: 2, MaxDecodedBytes: 1 << 20, MaxImagePixels: 1 << 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := Read(ctx, data, lim)
		if err != nil {
			return
		}
		if len(d.Images) > lim.MaxImages {
			t.Fatalf("%d pictures over the cap", len(d.Images))
		}
	})
}

func FuzzContentText(f *testing.F) {
	f.Add([]byte(`BT /F1 12 Tf [(a) -300 (b)] TJ 0 -14 Td (c\) \101) Tj <00410042> Tj ET BI ID x EI`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b bytes.Buffer
		contentText(data, &b)
		if b.Len() > 4*len(data)+16 {
			t.Fatalf("%d bytes of text from %d", b.Len(), len(data))
		}
	})
}
