package web

import (
	"net/url"
	"strings"
)

// LocalPath returns s when it is a path on this host, and "/" otherwise: a return
// address taken from a request must never send the browser to another site.
// Browsers ignore tabs and newlines in a Location and read a backslash as a slash,
// so "/\t/evil.example" or "/\\evil.example" would leave the host: refused whole,
// as is anything with a scheme, a host, user information or a fragment.
func LocalPath(s string) string {
	if s == "" || s[0] != '/' || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return "/"
	}
	out := u.RequestURI()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}
