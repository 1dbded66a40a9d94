// Package secret encrypts the few secrets the platform must be able to read back
// (TOTP seeds, bind passwords of scheduled directory audits) with the instance's
// key: AES-256-GCM, each value bound to what it belongs to.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// ParseKey reads the instance's secret key: 32 bytes, base64-encoded.
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != 32 {
		return nil, errors.New("the secret key must be 32 bytes in base64 (openssl rand -base64 32)")
	}
	return k, nil
}

// Seal encrypts plain; context (the owner's kind and id) is bound as additional
// data, so a sealed value copied to another row does not open.
func Seal(key []byte, context string, plain []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, []byte(context)), nil
}

// Open decrypts what Seal made with the same key and context.
func Open(key []byte, context string, sealed []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("secret: sealed value is damaged")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(context))
	if err != nil {
		return nil, errors.New("secret: sealed value does not open with this key")
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
