package exposure

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"html"
	"io"
	"math/bits"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Favicon hashes: the icon a web service shows names its product as the public
// databases know it (Shodan's http.favicon.hash, FOFA's icon_hash), in
// content/fingerprints/favicon.yaml. The hash is theirs, so that a hash they
// publish can be taken as it is: MurmurHash3 x86 32-bit, seed 0, over the
// icon's bytes in base64 with a newline every 76 characters and one at the end
// (Python's base64.encodebytes), read as a signed 32-bit integer. Source:
// Shodan, "Deep Dive: http.favicon" (blog.shodan.io), and the MurmurHash3
// reference (Austin Appleby, SMHasher, MurmurHash3_x86_32).

// faviconCap bounds the icon read: an icon is a few kilobytes; a bigger answer
// is not hashed (a cut body would give a hash nobody publishes).
const faviconCap = 100 << 10

// FaviconHash is the hash the public databases give the icon's bytes.
func FaviconHash(icon []byte) int32 {
	return int32(murmur3(encodeBytes(icon), 0))
}

// encodeBytes is base64 (RFC 2045 line length) as Python's base64.encodebytes
// writes it: a newline after every 76 characters and after the last line.
func encodeBytes(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	out := make([]byte, 0, len(enc)+len(enc)/76+1)
	for len(enc) > 76 {
		out = append(append(out, enc[:76]...), '\n')
		enc = enc[76:]
	}
	if enc != "" {
		out = append(append(out, enc...), '\n')
	}
	return out
}

// murmur3 is MurmurHash3_x86_32 (Appleby, SMHasher): 4-byte little-endian
// blocks mixed into the state, the 1 to 3 bytes left mixed without the state
// rotation, then the length and the final avalanche (fmix32).
func murmur3(data []byte, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	mix := func(k uint32) uint32 { return bits.RotateLeft32(k*c1, 15) * c2 }
	h := seed
	n := len(data) / 4
	for i := range n {
		h ^= mix(binary.LittleEndian.Uint32(data[4*i:]))
		h = bits.RotateLeft32(h, 13)*5 + 0xe6546b64
	}
	if tail := data[4*n:]; len(tail) > 0 {
		var k uint32
		for i := len(tail) - 1; i >= 0; i-- {
			k = k<<8 | uint32(tail[i])
		}
		h ^= mix(k)
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

var (
	linkTagRE = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	attrRE    = regexp.MustCompile(`(?is)\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// faviconURL is where the page's icon is: the <link rel="icon"> of the page
// already read when it stays on the page's own scheme, host and port (the
// declared target only), else /favicon.ico, where browsers look by default.
func faviconURL(page *url.URL, body []byte) string {
	def := page.ResolveReference(&url.URL{Path: "/favicon.ico"}).String()
	for _, tag := range linkTagRE.FindAll(body, -1) {
		var rel, href string
		for _, m := range attrRE.FindAllSubmatch(tag, -1) {
			v := html.UnescapeString(string(m[2]) + string(m[3]) + string(m[4]))
			if strings.EqualFold(string(m[1]), "rel") {
				rel = v
			} else {
				href = v
			}
		}
		if !slices.Contains(strings.Fields(strings.ToLower(rel)), "icon") || strings.TrimSpace(href) == "" {
			continue
		}
		u, err := page.Parse(strings.TrimSpace(href))
		if err != nil || u.Scheme != page.Scheme || u.Host != page.Host {
			return def
		}
		u.Fragment = ""
		return u.String()
	}
	return def
}

// fetchFavicon sends the one GET for the icon with the page's client (same
// timeout, no redirect followed, no proxy) and hashes a 200 answer.
func fetchFavicon(ctx context.Context, client *http.Client, target string) (int32, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("User-Agent", "CaRE-exposure-audit")
	resp, err := client.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	icon, err := io.ReadAll(io.LimitReader(resp.Body, faviconCap+1))
	if err != nil || len(icon) == 0 || len(icon) > faviconCap {
		return 0, false
	}
	return FaviconHash(icon), true
}

// faviconText is the text the favicon fingerprints match: the hash in decimal,
// as the public databases write it.
func faviconText(h *HTTPInfo) string {
	if h == nil || h.FaviconHash == nil {
		return ""
	}
	return strconv.Itoa(int(*h.FaviconHash))
}
