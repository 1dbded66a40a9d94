package account

import (
	"encoding/base32"
	"testing"
	"time"
)

// RFC 6238 appendix B vectors for SHA-1 (8 digits there; we keep the last 6).
func TestTOTPCodeRFC6238(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	cases := map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037"}
	for unix, want := range cases {
		got, err := TOTPCode(secret, TOTPStep(time.Unix(unix, 0)))
		if err != nil || got != want {
			t.Errorf("t=%d: got %q, %v; want %q", unix, got, err, want)
		}
	}
}

func TestMatchTOTPRefusesReplayAndDrift(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	code, _ := TOTPCode(secret, TOTPStep(now))
	step, ok := MatchTOTP(secret, code, now, 0)
	if !ok {
		t.Fatal("current code refused")
	}
	if _, ok := MatchTOTP(secret, code, now, step); ok {
		t.Error("the same code was accepted twice")
	}
	old, _ := TOTPCode(secret, TOTPStep(now)-3)
	if _, ok := MatchTOTP(secret, old, now, 0); ok {
		t.Error("a code three steps old was accepted")
	}
	if _, ok := MatchTOTP(secret, "12345", now, 0); ok {
		t.Error("a 5-digit code was accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") {
		t.Error("right password refused")
	}
	if CheckPassword(h, "correct horse batterx") {
		t.Error("wrong password accepted")
	}
	if CheckPassword("garbage", "x") {
		t.Error("malformed hash accepted")
	}
	if first, second := HashPassword("a"), HashPassword("a"); first == second {
		t.Error("two hashes of one password are equal: no salt")
	}
}
