package directory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"care/internal/platform/secret"
)

// ParseSecretKey reads the instance's secret key (see secret.ParseKey).
func ParseSecretKey(s string) ([]byte, error) { return secret.ParseKey(s) }

// destination is what a stored password is bound to: the server it may be sent to,
// the account, and how the connection is protected. The seal covers it, so that a
// password stored for one server never opens for another, whatever changed the row.
func (src Source) destination() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%q %q %t %t %t %q %t %q", src.URL, src.BindDN, src.StartTLS, src.AllowPlain, src.Insecure, src.CAPEM, src.Kerberos, src.SPN))
	return hex.EncodeToString(sum[:])
}

// seal encrypts a bind password for one establishment and one destination.
func seal(key []byte, org int64, src Source, plain string) ([]byte, error) {
	return secret.Seal(key, sourceContext(org)+":"+src.destination(), []byte(plain))
}

// unseal opens a password sealed for this establishment and destination. Passwords
// stored before the seal named the destination open with the establishment alone.
func unseal(key []byte, org int64, src Source, sealed []byte) (string, error) {
	plain, err := secret.Open(key, sourceContext(org)+":"+src.destination(), sealed)
	if err != nil {
		plain, err = secret.Open(key, sourceContext(org), sealed)
	}
	return string(plain), err
}

func sourceContext(org int64) string { return "care-directory-source:" + strconv.FormatInt(org, 10) }

// privateNetworks are the ranges "private" stands for in ParseNetworks (RFC 1918
// and unique local IPv6 addresses, RFC 4193).
var privateNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7")}

// ParseNetworks reads the networks an administrator allows directory audits to
// reach: a comma-separated list of CIDR blocks, where "private" stands for every
// private range.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		switch part {
		case "":
			continue
		case "private":
			out = append(out, privateNetworks...)
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("réseau %q : attendu un bloc CIDR (10.20.0.0/16) ou « private »", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
