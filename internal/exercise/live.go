package exercise

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
)

// The live side of an exercise: the stream of its events, the feed each seat
// reads from it, and the signals that wake the streams of this instance.

// Event is one entry of an exercise's stream.
type Event struct {
	Seq      int64
	Kind     string // stimulus, log, mark, state
	RefID    int64
	Audience string
	At       time.Time
}

// FeedItem is an event with what it carries, as the caller may see it.
type FeedItem struct {
	Seq      int64
	Kind     string
	Stimulus *Line
	Log      *LogEntry
	Mark     *Mark
	Status   string
	Paused   bool
}

// Feed returns what happened in the exercise after seq, for the caller's seat, to
// its participants: one read, as an API call makes it. Live streams read through
// a Follower instead.
func (s *Service) Feed(ctx context.Context, id, after int64) ([]FeedItem, error) {
	return s.Follow(id).Feed(ctx, after)
}

// Follower reads an exercise's feed for one caller across the reads of a live
// stream. The full access check (open: the exercise, the caller's seat, its node
// with org.Load) runs at the first read and again whenever the seat or the node
// changed; otherwise the read shared by the streams woken together
// (sharedEvents), which holds the events and every seat of the exercise, tells
// that nothing did. The events are then filtered for the seat.
type Follower struct {
	s      *Service
	id     int64
	seat   Seat
	key    seatKey
	opened bool
}

// Follow starts following exercise id.
func (s *Service) Follow(id int64) *Follower { return &Follower{s: s, id: id} }

// Feed returns what happened after seq, as the caller's seat may see it.
func (f *Follower) Feed(ctx context.Context, after int64) ([]FeedItem, error) {
	r, err := f.s.sharedEvents(ctx, f.id, after)
	if err != nil {
		return nil, err
	}
	key := r.seatOf(authz.Current(ctx).UserID)
	if !f.opened || key != f.key {
		o, err := open(ctx, f.s.DB.Read, f.id, false, participant)
		if err != nil {
			return nil, err
		}
		f.seat, f.key, f.opened = o.Seat, key, true
	}
	events := r.events
	out := []FeedItem{}
	for _, ev := range events {
		if !f.seat.Sees(ev.Event) {
			continue
		}
		it := ev.item
		if it.Stimulus != nil {
			st, ok := f.seat.Shown(*it.Stimulus)
			if !ok {
				continue
			}
			it.Stimulus = &st
		}
		out = append(out, it)
	}
	return out, nil
}

// feedEvent is an event with what it carries, for every seat: a stimulus whole
// (Feed hides what the seat may not read).
type feedEvent struct {
	Event
	item FeedItem
}

// readEvents reads the events of exercise id after seq with what they carry.
func readEvents(ctx context.Context, q db.Querier, id, after int64) ([]feedEvent, error) {
	events, err := listEvents(ctx, q, id, after)
	if err != nil {
		return nil, err
	}
	out := make([]feedEvent, 0, len(events))
	var status string
	var paused bool
	for _, ev := range events {
		it := FeedItem{Seq: ev.Seq, Kind: ev.Kind}
		switch ev.Kind {
		case "stimulus":
			st, err := getStimulus(ctx, q, id, ev.RefID)
			if err != nil {
				return nil, err
			}
			it.Stimulus = &st
		case "log":
			l, err := getLogEntry(ctx, q, id, ev.RefID)
			if err != nil {
				return nil, err
			}
			it.Log = &l
		case "mark":
			m, err := getMark(ctx, q, id, ev.RefID)
			if err != nil {
				return nil, err
			}
			it.Mark = &m
		case "state":
			// The state as it stands now, read after the events: never older than
			// the events that announce it.
			if status == "" {
				if status, paused, err = stateOf(ctx, q, id); err != nil {
					return nil, err
				}
			}
			it.Status, it.Paused = status, paused
		}
		out = append(out, feedEvent{Event: ev, item: it})
	}
	return out, nil
}

// A wake-up sends the streams of an exercise to read its new events together:
// one of them reads them (readEvents), the others wait for that read and share
// it. A read serves the streams of its generation (the number of wake-ups of the
// exercise when it began) for sharedFresh at most: a stream woken after it began
// reads anew, so that no stream misses an event committed during the read.
type sharedRead struct {
	gen    uint64
	after  int64
	at     time.Time
	done   chan struct{}
	seats  seats
	events []feedEvent
	err    error
}

const sharedFresh = time.Second

// sharedEvents returns the seats and the events of exercise id after seq, read
// by this call or by another one of the same wake-up.
func (s *Service) sharedEvents(ctx context.Context, id, after int64) (*sharedRead, error) {
	s.mu.Lock()
	r := s.reads[id]
	if r != nil && r.gen == s.gens[id] && r.after == after && time.Since(r.at) < sharedFresh {
		s.mu.Unlock()
		select {
		case <-r.done:
			return r, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.reads == nil {
		s.reads = map[int64]*sharedRead{}
	}
	r = &sharedRead{gen: s.gens[id], after: after, at: time.Now(), done: make(chan struct{})}
	s.reads[id] = r
	s.mu.Unlock()
	// The read serves others: it does not end with this caller's request.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// The seats before the events, as a stream's own check came before its read.
	if r.seats, r.err = readSeats(rctx, s.DB.Read, id); r.err == nil {
		r.events, r.err = readEvents(rctx, s.DB.Read, id, after)
	}
	close(r.done)
	return r, r.err
}

// Stopping is closed when the instance shuts down, so that live streams end and
// let the HTTP server stop.
func (s *Service) Stopping() <-chan struct{} { return s.stop.Stopping() }

// Stop ends the live streams of this instance and waits for the e-mail copies
// under way.
func (s *Service) Stop() {
	s.stop.Stop()
	s.mailed.Wait()
	s.watching.Wait()
}

// Wait returns a channel closed at the next event of the exercise: written by
// this instance, announced by another one (PostgreSQL) or seen by the watcher's
// look (Watch). All waiters of an exercise share one channel, replaced at each
// event.
func (s *Service) Wait(id int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signals == nil {
		s.signals = map[int64]chan struct{}{}
	}
	ch, ok := s.signals[id]
	if !ok {
		ch = make(chan struct{})
		s.signals[id] = ch
	}
	return ch
}

// watcher looks for an exercise's new events on behalf of every open stream of this
// instance: one indexed query per period, whatever the number of players. On
// PostgreSQL the notifications of the other instances' events wake the streams
// first (notified), and the look is the fallback for a lost one; on SQLite, one
// process, it is the only way another process's event is seen.
type watcher struct {
	streams int
	seen    int64 // the last event number the streams were woken for; -1 before the first look
	cancel  context.CancelFunc
}

// Watch keeps a watcher on the exercise while the stream that calls it is open; the
// watcher wakes the local streams (Wait) when another instance writes an event.
// Call the returned function when the stream ends.
func (s *Service) Watch(id int64) (stop func()) {
	stopping := s.Stopping()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers == nil {
		s.watchers = map[int64]*watcher{}
	}
	w := s.watchers[id]
	if w == nil {
		ctx, cancel := context.WithCancel(context.Background())
		w = &watcher{cancel: cancel, seen: -1}
		s.watchers[id] = w
		every := s.WatchEvery
		if every <= 0 {
			every = 100 * time.Millisecond
		}
		s.watching.Go(func() { s.watch(ctx, stopping, id, every) })
	}
	w.streams++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if w.streams--; w.streams == 0 {
				w.cancel()
				delete(s.watchers, id)
				delete(s.reads, id)
				delete(s.gens, id)
			}
		})
	}
}

func (s *Service) watch(ctx context.Context, stopping <-chan struct{}, id int64, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		// The first look wakes too (seen is -1): a stream that opened just before
		// may have read the feed before an event this look sees.
		if seq, err := lastSeq(ctx, s.DB.Read, id); err == nil {
			s.saw(id, seq, false)
		}
		select {
		case <-ctx.Done():
			return
		case <-stopping:
			return
		case <-t.C:
		}
	}
}

// saw wakes the local streams of exercise id for its event seq, unless they were
// already woken for it or a later one: by this instance's write, the look or a
// notification. mine tells that this instance wrote the event and woke its
// streams itself: the event is only marked seen.
func (s *Service) saw(id, seq int64, mine bool) {
	s.mu.Lock()
	w := s.watchers[id]
	fresh := w != nil && seq > w.seen
	if fresh {
		w.seen = seq
	}
	s.mu.Unlock()
	if fresh && !mine {
		s.signal(id)
	}
}

// notifyChannel is the PostgreSQL channel on which an instance announces each
// event it writes, as "exercise seq kind instance", to every instance (itself
// included).
const notifyChannel = "care_exercise"

// instance names this instance in its notifications.
func (s *Service) instance() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name == "" {
		s.name = rand.Text()
	}
	return s.name
}

// emit appends an event to the exercise's stream and, on PostgreSQL, announces it
// to every instance when the transaction commits: their streams of the exercise
// wake without waiting for their watcher's look, and a change of state re-arms
// their delivery timers.
func (s *Service) emit(ctx context.Context, tx *sql.Tx, exercise int64, kind string, ref int64, audience string) error {
	seq, err := appendEvent(ctx, tx, exercise, kind, ref, audience)
	if err != nil {
		return err
	}
	return s.DB.Notify(ctx, tx, notifyChannel, fmt.Sprintf("%d %d %s %s", exercise, seq, kind, s.instance()))
}

// notified handles an event announced on notifyChannel. Another instance's wakes
// this instance's streams, and a start, pause, resume, outage or delivery makes
// the delivery loop look again at what is due; this instance's own is only
// marked seen (its writer woke the streams and re-armed the loop after the
// commit), so that the streams are not woken twice.
func (s *Service) notified(payload string) {
	var id, seq int64
	var kind, from string
	if _, err := fmt.Sscanf(payload, "%d %d %s %s", &id, &seq, &kind, &from); err != nil {
		slog.Warn("exercise: unreadable notification", "payload", payload)
		return
	}
	mine := from == s.instance()
	s.saw(id, seq, mine)
	if !mine && (kind == "state" || kind == "stimulus") {
		s.Rearm()
	}
}

// wake wakes the local streams of exercise id after this instance wrote an event
// of it (the transaction committed). The last event number is read first, when
// streams watch the exercise, so that neither the watcher's next look nor the
// notification of the same event wakes them again.
func (s *Service) wake(id int64) {
	s.mu.Lock()
	_, watched := s.watchers[id]
	s.mu.Unlock()
	if watched {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		seq, err := lastSeq(ctx, s.DB.Read, id)
		cancel()
		if err == nil {
			s.saw(id, seq, true)
		}
	}
	s.signal(id)
}

// signal closes the channel the local streams of exercise id wait on.
func (s *Service) signal(id int64) {
	s.mu.Lock()
	if s.gens == nil {
		s.gens = map[int64]uint64{}
	}
	s.gens[id]++ // before the streams wake: they read anew
	ch, ok := s.signals[id]
	delete(s.signals, id)
	s.mu.Unlock()
	if ok {
		close(ch)
	}
}
