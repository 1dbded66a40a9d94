// Package live serves server-sent event streams: a page or an API client
// follows what changes (an exercise's events, new incident declarations)
// without polling. A Signal wakes the streams of one instance; each stream then
// reads what is new for its own caller, so that nothing out of the caller's
// sight is ever written to it.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"care/internal/platform/web"
)

// Signal wakes every waiter at each change. All waiters share one channel,
// closed at the change and replaced, so that a waiter that asked before a read
// never misses a change committed during it.
type Signal struct {
	mu       sync.Mutex
	next     chan struct{}
	stopping chan struct{}
	stopOnce sync.Once
}

// Wait returns a channel closed at the next change.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = make(chan struct{})
	}
	return s.next
}

// Fire wakes the waiters.
func (s *Signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next != nil {
		close(s.next)
		s.next = nil
	}
}

// Stopping is closed when the instance shuts down, so that the streams end and
// let the HTTP server stop.
func (s *Signal) Stopping() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	return s.stopping
}

// Stop ends the streams.
func (s *Signal) Stop() {
	s.Stopping()
	s.stopOnce.Do(func() { close(s.stopping) })
}

// Event is one server-sent event; ID 0 sends no id.
type Event struct {
	ID   int64
	Name string
	Data any
}

// Stream is what Serve needs of a stream.
type Stream struct {
	// Wait returns a channel closed at the next change worth a read.
	Wait func() <-chan struct{}
	// Next reads the events to send since the last call; the first call's
	// events are sent when the stream opens.
	Next func(ctx context.Context) ([]Event, error)
	// Stopping ends the stream when the instance shuts down.
	Stopping <-chan struct{}
	// Poll reads again after this long without a change (15 s when 0): the
	// fallback for a change another instance made and nobody announced.
	Poll time.Duration
}

// keepalive is how long a quiet stream waits before a comment that keeps
// proxies from closing it.
const keepalive = 15 * time.Second

// Serve streams until the client leaves, the instance stops, or the session or
// token that opened the stream ends (web.Recheck after each read, so that
// nothing written after a logout or a disabled account is sent).
func Serve(w http.ResponseWriter, r *http.Request, s Stream) {
	ctx := r.Context()
	// Ask to be woken before each read, so that a change committed during the
	// read is not left waiting for the next poll.
	wake := s.Wait()
	events, err := s.Next(ctx)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	poll := s.Poll
	if poll <= 0 {
		poll = keepalive
	}
	quiet := time.Now()
	for {
		for _, e := range events {
			if err := write(w, e); err != nil {
				return
			}
		}
		if len(events) > 0 || time.Since(quiet) > keepalive {
			if len(events) == 0 {
				fmt.Fprint(w, ": keepalive\n\n")
			}
			quiet = time.Now()
			if err := rc.Flush(); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.Stopping:
			return
		case <-wake:
		case <-time.After(poll):
		}
		wake = s.Wait()
		if events, err = s.Next(ctx); err != nil {
			return
		}
		if web.Recheck(ctx) != nil {
			return
		}
	}
}

func write(w http.ResponseWriter, e Event) error {
	b, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	if e.ID != 0 {
		if _, err := fmt.Fprintf(w, "id: %d\n", e.ID); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Name, b)
	return err
}
