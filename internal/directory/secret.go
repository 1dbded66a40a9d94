package directory

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
)

// ParseSecretKey reads the instance's secret key: 32 bytes, base64-encoded.
func ParseSecretKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != 32 {
		return nil, errors.New("the secret key must be 32 bytes in base64 (openssl rand -base64 32)")
	}
	return k, nil
}

// seal encrypts a bind password for one establishment (AES-256-GCM; the
// establishment's id is bound as additional data, so a ciphertext copied to another
// row does not open).
func seal(key []byte, org int64, plain string) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, []byte(plain), aad(org)), nil
}

func unseal(key []byte, org int64, sealed []byte) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", errors.New("directory: stored password is damaged")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad(org))
	if err != nil {
		return "", errors.New("directory: stored password does not open with this key")
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func aad(org int64) []byte { return []byte("care-directory-source:" + strconv.FormatInt(org, 10)) }
