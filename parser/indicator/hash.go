package indicator

// hashType is the hash type of an all-hex token by its length in hex
// digits: MD5 (RFC 1321), SHA-1 and SHA-256 (FIPS 180-4).
func hashType(n int) Type {
	switch n {
	case 32:
		return MD5
	case 40:
		return SHA1
	case 64:
		return SHA256
	}
	return ""
}

// notFileHash reports whether the text before a hash labels it as a hash
// of something other than a file's bytes: an import hash (imphash) has
// the length of an MD5 and an Authenticode hash that of a SHA-256, but
// neither names a file in a feed.
func notFileHash(before []byte) bool {
	i := len(before)
	for k := 0; i > 0 && k < 8; k++ {
		if c := before[i-1]; c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-' || c == '=' {
			i--
			continue
		}
		break
	}
	for _, label := range []string{"imphash", "import hash", "authentihash"} {
		if i >= len(label) && hasPrefixFold(before[i-len(label):i], label) {
			return true
		}
	}
	return false
}

// hexLower returns b lower-cased if it is all hexadecimal digits.
func hexLower(b []byte) (string, bool) {
	var buf [64]byte
	if len(b) > len(buf) {
		return "", false
	}
	for i, c := range b {
		if !isHexDigit(c) {
			return "", false
		}
		buf[i] = lower(c)
	}
	return string(buf[:len(b)]), true
}

// cveAt parses a CVE identifier at the start of b ("CVE-2024-3094", any
// case): "CVE-", a four-digit year, '-', and a sequence number of four or
// more digits (CVE numbering since 2014). It returns the identifier
// upper-cased and its length.
func cveAt(b []byte) (string, int) {
	if !hasPrefixFold(b, "cve-") || len(b) < 13 {
		return "", 0
	}
	for i := 4; i < 8; i++ {
		if !isDigit(b[i]) {
			return "", 0
		}
	}
	if b[4] != '1' && b[4] != '2' || b[8] != '-' {
		return "", 0
	}
	n := 9
	for n < len(b) && isDigit(b[n]) && n < 9+maxCVESeq {
		n++
	}
	if n-9 < 4 || n < len(b) && isAlnum(b[n]) {
		return "", 0
	}
	buf := make([]byte, n)
	copy(buf, "CVE-")
	copy(buf[4:], b[4:n])
	return string(buf), n
}

// maxCVESeq bounds the sequence number: CVE IDs have at most seven digits
// today; one more leaves room without matching long digit strings.
const maxCVESeq = 8
