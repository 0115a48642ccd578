package mailcrypto

import (
	"testing"

	"github.com/hospital-league/leaguemail/internal/gnupgtest"
)

// gnupg adapts gnupgtest.Home to the names these tests use.
type gnupg struct{ *gnupgtest.Home }

func newGnuPG(t *testing.T) *gnupg { return &gnupg{gnupgtest.New(t)} }

func (g *gnupg) run(stdin []byte, args ...string) ([]byte, string, error) {
	return g.Run(stdin, args...)
}
func (g *gnupg) must(stdin []byte, args ...string) []byte { return g.Must(stdin, args...) }
func (g *gnupg) newKey(address string) []byte             { return g.NewKey(address) }
func (g *gnupg) importKey(armored []byte)                 { g.Import(armored) }
