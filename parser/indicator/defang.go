package indicator

import "strings"

// Defang rewrites an indicator so that no mail client makes it a link:
// hxxp://evil[.]example/x, user[@]evil[.]example, 192.0.2[.]1.
// Refang and Extract undo it.
func Defang(ind Indicator) string {
	v := ind.Value
	switch ind.Type {
	case URL:
		return defangURL(v)
	case Domain:
		return strings.ReplaceAll(v, ".", "[.]")
	case Email:
		at := strings.LastIndexByte(v, '@')
		if at < 0 {
			return strings.ReplaceAll(v, ".", "[.]")
		}
		return v[:at] + "[@]" + strings.ReplaceAll(v[at+1:], ".", "[.]")
	case IPv4:
		if i := strings.LastIndexByte(v, '.'); i >= 0 {
			return v[:i] + "[.]" + v[i+1:]
		}
	case IPv6:
		return strings.ReplaceAll(v, ":", "[:]")
	}
	return v
}

// defangedSchemes are the written forms of defanged schemes; others keep
// their name and lose their "://" to "[://]".
var defangedSchemes = map[string]string{
	"http": "hxxp", "https": "hxxps", "ftp": "fxp", "ftps": "fxps",
}

// defangURL defangs the scheme and the dots (or, for an IPv6 literal, the
// colons) of the host; the path stays readable.
func defangURL(v string) string {
	i := strings.Index(v, "://")
	if i < 0 {
		return strings.ReplaceAll(v, ".", "[.]")
	}
	scheme, rest := v[:i], v[i+3:]
	var b strings.Builder
	if d, ok := defangedSchemes[strings.ToLower(scheme)]; ok {
		b.WriteString(d)
		b.WriteString("://")
	} else {
		b.WriteString(scheme)
		b.WriteString("[://]")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		b.WriteString(auth[:at+1])
		auth = auth[at+1:]
	}
	if strings.HasPrefix(auth, "[") {
		b.WriteString(strings.ReplaceAll(auth, ":", "[:]"))
	} else {
		b.WriteString(strings.ReplaceAll(auth, ".", "[.]"))
	}
	b.WriteString(rest[end:])
	return b.String()
}
