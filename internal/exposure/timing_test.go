package exposure

import (
	"testing"
	"time"
)

// The retransmission timer of RFC 6298 §2: the first measurement R sets SRTT = R
// and RTTVAR = R/2; each next one R' sets RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R'|,
// then SRTT = 7/8·SRTT + 1/8·R'; the timeout is SRTT + 4·RTTVAR.
func TestHostTimingFollowsRFC6298(t *testing.T) {
	ms := time.Millisecond
	h := newHostTiming()
	if got := h.timeout(0, 100*ms, time.Second, 1500*ms); got != time.Second {
		t.Errorf("before any answer: %v, want the initial 1s", got)
	}
	h.observe(100*ms, 0)
	if h.srtt != 100*ms || h.rttvar != 50*ms || h.timeout(0, 10*ms, time.Second, 1500*ms) != 300*ms {
		t.Errorf("after 100ms: srtt %v rttvar %v timeout %v, want 100ms 50ms 300ms", h.srtt, h.rttvar, h.timeout(0, 10*ms, time.Second, 1500*ms))
	}
	h.observe(60*ms, 0)
	// RTTVAR = 3/4·50 + 1/4·40 = 47.5 ms; SRTT = 7/8·100 + 1/8·60 = 95 ms.
	if h.rttvar != 47500*time.Microsecond || h.srtt != 95*ms || h.timeout(0, 10*ms, time.Second, 1500*ms) != 285*ms {
		t.Errorf("after 60ms: srtt %v rttvar %v, want 95ms 47.5ms", h.srtt, h.rttvar)
	}
	if got := h.timeout(0, 400*ms, time.Second, 1500*ms); got != 400*ms {
		t.Errorf("the floor: %v", got)
	}
	if got := h.timeout(0, 10*ms, time.Second, 200*ms); got != 200*ms {
		t.Errorf("the ceiling: %v", got)
	}
	// RFC 6298 §5.5: each repeated attempt doubles the wait, up to the ceiling.
	if got := h.timeout(1, 10*ms, time.Second, 1500*ms); got != 570*ms {
		t.Errorf("a second attempt: %v, want 570ms", got)
	}
	if got := h.timeout(3, 10*ms, time.Second, 1500*ms); got != 1500*ms {
		t.Errorf("a fourth attempt: %v, want the 1.5s ceiling", got)
	}
}

// A port that gave no answer is tried again only as often as retries have been
// seen to pay on the host: once while only first attempts were answered.
func TestRetriesFollowWhatPaid(t *testing.T) {
	h := newHostTiming()
	if got := h.retries(3); got != 1 {
		t.Errorf("no answer yet: %d retries, want 1", got)
	}
	h.observe(time.Millisecond, 0)
	if got := h.retries(3); got != 1 {
		t.Errorf("first attempts answered: %d, want 1", got)
	}
	h.observe(time.Millisecond, 2)
	if got := h.retries(3); got != 3 {
		t.Errorf("a third attempt answered: %d, want 3", got)
	}
	h.observe(time.Millisecond, 5)
	if got := h.retries(3); got != 3 {
		t.Errorf("the limit: %d, want 3", got)
	}
	if got := newHostTiming().retries(0); got != 0 {
		t.Errorf("retries off: %d", got)
	}
}

// The window of attempts in flight (RFC 5681): one more per answer in slow start,
// about one more per window of answers beyond the threshold; halved once per
// round trip on losses, never under the floor.
func TestWindowGrowsOnAnswersAndHalvesOnLoss(t *testing.T) {
	w := newWindow(100, 50, 1000)
	for range 50 {
		w.answered()
	}
	if w.limit() != 150 {
		t.Errorf("slow start: %d, want 150", w.limit())
	}
	now := time.Now()
	w.lost(now, 100*time.Millisecond)
	if w.limit() != 75 {
		t.Errorf("after a loss: %d, want 75", w.limit())
	}
	w.lost(now.Add(50*time.Millisecond), 100*time.Millisecond)
	if w.limit() != 75 {
		t.Errorf("a second loss in the same round trip cut again: %d", w.limit())
	}
	for range 75 {
		w.answered()
	}
	if w.limit() != 75 && w.limit() != 76 {
		t.Errorf("congestion avoidance: %d, want about one more per window", w.limit())
	}
	w.lost(now.Add(time.Second), 100*time.Millisecond)
	w.lost(now.Add(2*time.Second), 100*time.Millisecond)
	if w.limit() != 50 {
		t.Errorf("the floor: %d, want 50", w.limit())
	}
	for range 10000 {
		w.answered()
	}
	if w.limit() > 1000 {
		t.Errorf("the ceiling: %d", w.limit())
	}
}
