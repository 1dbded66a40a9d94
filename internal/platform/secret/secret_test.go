package secret

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	sealed, err := Seal(key, "user:1", []byte("JBSWY3DP"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DP")) {
		t.Fatal("the plain text shows through")
	}
	if got, err := Open(key, "user:1", sealed); err != nil || string(got) != "JBSWY3DP" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := Open(key, "user:2", sealed); err == nil {
		t.Fatal("a value moved to another owner opened")
	}
	if _, err := Open(bytes.Repeat([]byte{8}, 32), "user:1", sealed); err == nil {
		t.Fatal("another key opened it")
	}
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("a short key was accepted")
	}
}
