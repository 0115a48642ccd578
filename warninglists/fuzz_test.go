package warninglists

import "testing"

// FuzzList reads a list.json of any content and matches values against
// it: a checkout is data from elsewhere, and must never panic the gateway.
func FuzzList(f *testing.F) {
	f.Add([]byte(`{"name":"n","description":"d","version":1,"type":"cidr","matching_attributes":["ip-src"],"list":["10.0.0.0/8","::1"]}`), "ipv4", "10.1.2.3")
	f.Add([]byte(`{"name":"n","description":"d","version":1,"type":"regex","list":["/^a(b+$/i"]}`), "url", "https://ab/")
	f.Add([]byte(`{"name":"n","description":"d","version":1,"type":"hostname","list":["*.web.app",".",""]}`), "domain", "x.web.app")
	f.Add([]byte(`{"name":"n","description":"d","version":1,"type":"string","list":[".google.com"]}`), "url", "https://docs.google.com/")
	f.Fuzz(func(t *testing.T, data []byte, typ, value string) {
		l, err := decode(data)
		if err != nil {
			return
		}
		s, _ := Compile([]*List{l})
		s.Match(typ, value)
	})
}
