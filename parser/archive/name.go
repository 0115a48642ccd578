package archive

import "strings"

// suspicious says why name would be dangerous if someone used it as a path,
// or returns "". APPNOTE 4.4.17 requires relative names with forward
// slashes; archives made to attack extractors break that rule ("zip slip").
// Backslashes count as separators too, as Windows tools read them so.
func suspicious(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.ContainsRune(name, 0):
		return "NUL in name"
	case name[0] == '/' || name[0] == '\\':
		return "absolute path"
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return "drive letter"
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "parent directory"
		}
	}
	return ""
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
