package exercise

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	c := Clock{StartedAt: t0, Speed: 1}
	if got := c.Elapsed(t0.Add(10 * time.Minute)); got != 10*time.Minute {
		t.Errorf("10 min in: %v", got)
	}
	// Paused from 9:10 to 9:25: the quarter of an hour does not count.
	c = c.Pause(t0.Add(10 * time.Minute))
	if got := c.Elapsed(t0.Add(20 * time.Minute)); got != 10*time.Minute {
		t.Errorf("while paused: %v", got)
	}
	c = c.Resume(t0.Add(25 * time.Minute))
	if got := c.Elapsed(t0.Add(30 * time.Minute)); got != 15*time.Minute {
		t.Errorf("after the pause: %v", got)
	}
	if got := c.DueAt(20*time.Minute, t0.Add(30*time.Minute)); !got.Equal(t0.Add(35 * time.Minute)) {
		t.Errorf("a stimulus at +20 min is due at %v", got)
	}
	// A rehearsal at ×60: one wall second is one exercise minute.
	r := Clock{StartedAt: t0, Speed: 60}
	if got := r.Elapsed(t0.Add(90 * time.Second)); got != 90*time.Minute {
		t.Errorf("×60 after 90 s: %v", got)
	}
	if got := r.DueAt(120*time.Minute, t0.Add(90*time.Second)); !got.Equal(t0.Add(120 * time.Second)) {
		t.Errorf("×60, +120 min due at %v", got)
	}
	if got := (Clock{}).Elapsed(t0); got != 0 {
		t.Errorf("not started: %v", got)
	}
}
