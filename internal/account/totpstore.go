package account

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"care/internal/platform/secret"
)

// sealedPrefix marks a TOTP seed stored sealed with the instance's secret key; a
// seed without it was stored before the key was configured, and is sealed at the
// next successful code.
const sealedPrefix = "enc:"

func totpContext(userID int64) string { return "care-totp:" + strconv.FormatInt(userID, 10) }

// storeTOTP is what the users table keeps of a seed.
func (s *Service) storeTOTP(userID int64, seed string) (string, error) {
	if s.SecretKey == nil {
		return seed, nil
	}
	b, err := secret.Seal(s.SecretKey, totpContext(userID), []byte(seed))
	if err != nil {
		return "", err
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// readTOTP returns the seed of a stored value, and whether it should be sealed now.
func (s *Service) readTOTP(userID int64, stored string) (seed string, reseal bool, err error) {
	raw, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, s.SecretKey != nil && stored != "", nil
	}
	if s.SecretKey == nil {
		return "", false, errors.New("account: the TOTP seeds are sealed: start the instance with its secret key")
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", false, errors.New("account: a sealed TOTP seed is damaged")
	}
	plain, err := secret.Open(s.SecretKey, totpContext(userID), b)
	return string(plain), false, err
}
