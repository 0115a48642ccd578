package taxii

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"

	"github.com/hospital-league/leaguemail/export"
)

// viewCache keeps each collection's entries while the data they were made
// from is the same: a consumer paging through a collection, or polling it
// with nothing new, costs a read of the tickets and a hash instead of the
// whole export (see BenchmarkObjectsPage). Only this process records
// date_added, so entries made from the same data have the same stamps.
type viewCache struct {
	mu sync.Mutex
	m  map[string]cachedView
}

type cachedView struct {
	sum     [sha256.Size]byte
	entries []entry
}

func (c *viewCache) get(collection string, sum [sha256.Size]byte) ([]entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[collection]
	if !ok || v.sum != sum {
		return nil, false
	}
	return v.entries, true
}

func (c *viewCache) put(collection string, sum [sha256.Size]byte, es []entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedView)
	}
	c.m[collection] = cachedView{sum: sum, entries: es}
}

// fingerprint hashes everything of a view that the export reads.
func fingerprint(ts []export.Ticket, o export.Options) [sha256.Size]byte {
	h := sha256.New()
	str := func(s string) {
		binary.Write(h, binary.LittleEndian, int64(len(s)))
		h.Write([]byte(s))
	}
	str(o.League)
	str(o.TLPMax)
	for _, t := range ts {
		num(h, t.Number)
		num(h, t.Created.UnixNano())
		num(h, t.Updated.UnixNano())
		str(t.Severity)
		str(t.TLP)
		str(t.State)
		num(h, int64(len(t.Indicators)))
		for _, in := range t.Indicators {
			str(in.Type)
			str(in.Value)
			str(in.TLP)
			num(h, in.FirstSeen.UnixNano())
			num(h, in.LastSeen.UnixNano())
			if in.Verified {
				num(h, 1)
			} else {
				num(h, 0)
			}
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func num(h hash.Hash, n int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
}
