package directory

import (
	"strconv"

	"care/internal/platform/secret"
)

// ParseSecretKey reads the instance's secret key (see secret.ParseKey).
func ParseSecretKey(s string) ([]byte, error) { return secret.ParseKey(s) }

// seal encrypts a bind password for one establishment.
func seal(key []byte, org int64, plain string) ([]byte, error) {
	return secret.Seal(key, sourceContext(org), []byte(plain))
}

func unseal(key []byte, org int64, sealed []byte) (string, error) {
	plain, err := secret.Open(key, sourceContext(org), sealed)
	return string(plain), err
}

func sourceContext(org int64) string { return "care-directory-source:" + strconv.FormatInt(org, 10) }
