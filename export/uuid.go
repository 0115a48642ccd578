package export

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// uuid is an RFC 9562 UUID.
type uuid [16]byte

// rootSpace is the namespace of every league's namespace: a random UUID
// chosen once for leaguemail. Changing it would change every id ever
// published.
var rootSpace = uuid{0x28, 0xc0, 0x03, 0x17, 0x71, 0x99, 0x4c, 0x83, 0x88, 0x2c, 0xe1, 0x46, 0x9c, 0x9f, 0x6d, 0xae}

// uuid5 returns the name-based UUID (version 5, SHA-1) of name in ns.
// SHA-1 is what the UUID version demands; nothing relies on it being
// hard to collide.
func uuid5(ns uuid, name string) uuid {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u uuid
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u
}

func (u uuid) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// ids derives the ids of one league's objects.
type ids struct {
	league string
	ns     uuid
}

func newIDs(league string) ids { return ids{league, uuid5(rootSpace, "league:"+league)} }

// id returns the UUID of the thing named by parts, joined with '|' (which
// no type name or number holds, so the last part may hold anything).
func (x ids) id(parts ...string) string {
	return uuid5(x.ns, strings.Join(parts, "|")).String()
}
