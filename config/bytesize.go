package config

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes, written as a TOML integer (bytes) or as a
// string with a unit: "64MiB", "512 KiB", "10MB" (KiB, MiB, GiB are powers
// of 1024; kB, MB, GB of 1000).
type ByteSize struct{ Bytes int64 }

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest first: "MiB" before "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1000}, {"mb", 1000_000}, {"gb", 1000_000_000},
	{"b", 1},
}

// UnmarshalText reads a size; BurntSushi/toml hands an integer over as
// its decimal text.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	num, mult := strings.ToLower(s), int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: write it like 67108864, \"64MiB\" or \"512KiB\"", s)
	}
	b.Bytes = n * mult
	return nil
}

// MarshalText writes the size in bytes.
func (b ByteSize) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatInt(b.Bytes, 10)), nil
}
