package outlook

import (
	"math/rand"
	"os"
	"testing"
)

// TestMutations corrupts the small corpus files at random places. Most
// fuzzer mutations break the compound file's header and stop early; these
// keep the header and damage the directory, the FAT and the properties,
// which is where a reader's bounds are tested.
func TestMutations(t *testing.T) {
	var files [][]byte
	for _, path := range corpusFiles(t, "outlook-message-perl", "msgreader-hughbe") {
		if st, err := os.Stat(path); err == nil && st.Size() <= 32<<10 {
			if data, err := os.ReadFile(path); err == nil {
				files = append(files, data)
			}
		}
	}
	if len(files) == 0 {
		t.Skip("no small .msg files")
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	r := rand.New(rand.NewSource(1))
	var read int
	for i := range n {
		d := append([]byte(nil), files[i%len(files)]...)
		for range 1 + r.Intn(8) {
			j := 512 + r.Intn(len(d)-512) // keep the header
			switch r.Intn(3) {
			case 0:
				d[j] = byte(r.Intn(256))
			case 1:
				d[j] ^= 0xFF
			case 2:
				for k := j; k < j+4 && k < len(d); k++ {
					d[k] = 0xFF
				}
			}
		}
		if _, err := Read(d, fuzzLimits); err == nil {
			read++
		}
	}
	t.Logf("%d of %d damaged files still read", read, n)
}
