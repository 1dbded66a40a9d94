package live

import (
	"testing"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// A change wakes every waiter that asked before it, and only those.
func TestSignalWakesThoseWhoAskedBefore(t *testing.T) {
	var s Signal
	a, b := s.Wait(), s.Wait()
	if closed(a) {
		t.Fatal("woken before any change")
	}
	s.Fire()
	if !closed(a) || !closed(b) {
		t.Fatal("a change left a waiter asleep")
	}
	if c := s.Wait(); closed(c) {
		t.Fatal("a waiter after the change is woken by it")
	}
	s.Fire() // no panic on a channel already closed
	s.Stop()
	s.Stop()
	if !closed(s.Stopping()) {
		t.Fatal("Stop left the streams running")
	}
}
