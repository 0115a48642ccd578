package htmlattach

import "testing"

func FuzzRead(f *testing.F) {
	f.Add([]byte(`<meta http-equiv=refresh content="0;url=https://x.example/"><form action="/p">`))
	f.Add([]byte(`<script>location.href="https://a.example/";atob("PGEgaHJlZj0iaHR0cHM6Ly9iLmV4YW1wbGUvIj4=")</script>`))
	f.Add([]byte(`<a href="data:text/html;base64,PHNjcmlwdD5hdG9iKCJZUT09Iik8L3NjcmlwdD4=">`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Read(data)
		if len(d.Links) > maxLinks || len(d.Payloads) > maxPayloads {
			t.Fatalf("%d links, %d payloads over the bounds", len(d.Links), len(d.Payloads))
		}
	})
}
