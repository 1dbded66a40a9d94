package directory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

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
