package directory

import "math/big"

// ROCA (CVE-2017-15361, Nemec et al., "The Return of Coppersmith's Attack", ACM CCS
// 2017): the RSA primes of a vulnerable Infineon library are k·M + (65537^a mod M),
// M a product of the first primes; the modulus then lies, modulo each of those
// primes, in the subgroup that 65537 generates. The paper's detector tests that
// fingerprint on the primes up to 167; a random modulus passes it with a
// negligible probability.

// rocaPrimes are the small primes of the fingerprint test.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
	103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaSubgroups holds, for each prime, the residues that powers of 65537 take.
var rocaSubgroups = func() []map[int64]bool {
	out := make([]map[int64]bool, len(rocaPrimes))
	for i, p := range rocaPrimes {
		set := map[int64]bool{}
		for r := int64(1); !set[r]; r = r * (65537 % p) % p {
			set[r] = true
		}
		out[i] = set
	}
	return out
}()

// rocaVulnerable reports whether an RSA modulus bears the ROCA fingerprint.
func rocaVulnerable(n *big.Int) bool {
	if n == nil || n.Sign() <= 0 {
		return false
	}
	var r big.Int
	for i, p := range rocaPrimes {
		if !rocaSubgroups[i][r.Mod(n, big.NewInt(p)).Int64()] {
			return false
		}
	}
	return true
}
