package directory

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

// rocaKey builds an RSA key the way the vulnerable Infineon library did (Nemec et
// al. 2017, §2): each prime is k·M + (65537^a mod M), M the product of the small
// primes of the fingerprint.
func rocaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	m := big.NewInt(1)
	for _, p := range rocaPrimes {
		m.Mul(m, big.NewInt(p))
	}
	prime := func() *big.Int {
		for {
			a, _ := rand.Int(rand.Reader, m)
			k, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits/2-m.BitLen())))
			k.SetBit(k, bits/2-m.BitLen()-1, 1)
			p := new(big.Int).Exp(big.NewInt(65537), a, m)
			p.Add(p, new(big.Int).Mul(k, m))
			if p.ProbablyPrime(20) {
				return p
			}
		}
	}
	p, q := prime(), prime()
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537}, Primes: []*big.Int{p, q}}
	phi := new(big.Int).Mul(new(big.Int).Sub(p, big.NewInt(1)), new(big.Int).Sub(q, big.NewInt(1)))
	key.D = new(big.Int).ModInverse(big.NewInt(65537), phi)
	if key.D == nil {
		return rocaKey(t, bits)
	}
	key.Precompute()
	return key
}

func caCert(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC de test"}, NotBefore: time.Now(),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, SignatureAlgorithm: x509.SHA256WithRSA}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// A CA key generated like the Infineon library's is found by its fingerprint and
// raises vuln_certificates_vuln at level 1; an ordinary key and random moduli do
// not (ANSSI places ROCA at level 1 of vuln_certificates_vuln).
func TestROCAFingerprint(t *testing.T) {
	weak := rocaKey(t, 2048)
	if !rocaVulnerable(weak.N) {
		t.Fatal("a modulus built like the vulnerable library's is not recognised")
	}
	var found bool
	for _, p := range certProblems(caCert(t, weak)) {
		found = found || p.level == 1 && strings.Contains(p.why, "ROCA")
	}
	if !found {
		t.Errorf("the ROCA certificate raises no level-1 problem: %+v", certProblems(caCert(t, weak)))
	}
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if problems := certProblems(caCert(t, good)); len(problems) != 0 {
		t.Errorf("an ordinary 2048-bit CA: %+v", problems)
	}
	for range 2000 {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 2048))
		if rocaVulnerable(n.SetBit(n, 0, 1)) {
			t.Fatalf("a random modulus bears the fingerprint: %v", n)
		}
	}
}
