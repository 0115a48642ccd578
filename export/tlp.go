package export

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol level, ordered from the least to the
// most restricted, so that levels compare with < and >.
type TLP int

// The TLP levels. TLP 1.0 white is TLP 2.0 clear.
const (
	Clear TLP = iota
	Green
	Amber
	AmberStrict
	Red
)

var tlpNames = [...]string{"clear", "green", "amber", "amber+strict", "red"}

// String returns the TLP 2.0 name: clear, green, amber, amber+strict, red.
func (l TLP) String() string {
	if l < Clear || l > Red {
		return fmt.Sprintf("TLP(%d)", int(l))
	}
	return tlpNames[l]
}

// ParseTLP reads a TLP name in any case, with or without a "tlp:" prefix;
// white is read as clear.
func ParseTLP(s string) (TLP, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "tlp:")
	if n == "white" {
		return Clear, nil
	}
	for i, name := range tlpNames {
		if n == name {
			return TLP(i), nil
		}
	}
	return 0, fmt.Errorf("unknown TLP %q (want clear, green, amber, amber+strict or red)", s)
}

// tlpOf reads a record's TLP. A value that is missing or not a TLP is
// read as red: what we cannot classify must not leave.
func tlpOf(s string) TLP {
	l, err := ParseTLP(s)
	if err != nil {
		return Red
	}
	return l
}
