package heaptest

import "testing"

var kept []byte

func TestPeak(t *testing.T) {
	if p := Peak(1<<30, func() { kept = make([]byte, 32<<20) }); p < 32<<20 || p > 40<<20 {
		t.Errorf("a 32 MB allocation: peak %d", p)
	}
	kept = nil
	if p := Peak(1<<30, func() {}); p > 1<<20 {
		t.Errorf("nothing allocated: peak %d", p)
	}
}
