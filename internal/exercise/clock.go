package exercise

import (
	"fmt"
	"time"
)

// Clock is the time of a running exercise: wall time since T0, less the time spent
// paused, multiplied by the speed factor of a rehearsal.
type Clock struct {
	StartedAt time.Time
	PausedAt  *time.Time    // set while paused
	Paused    time.Duration // spent paused before PausedAt
	Speed     int
}

// Elapsed is the exercise time reached at now.
func (c Clock) Elapsed(now time.Time) time.Duration {
	if c.StartedAt.IsZero() {
		return 0
	}
	end := now
	if c.PausedAt != nil {
		end = *c.PausedAt
	}
	run := end.Sub(c.StartedAt) - c.Paused
	if run < 0 {
		run = 0
	}
	speed := max(c.Speed, 1)
	return run * time.Duration(speed)
}

// DueAt is the wall time at which exercise time reaches offset, if the exercise is
// not paused in between.
func (c Clock) DueAt(offset time.Duration, now time.Time) time.Time {
	left := offset - c.Elapsed(now)
	if left <= 0 {
		return now
	}
	return now.Add(left / time.Duration(max(c.Speed, 1)))
}

// Reaches is the wall time at which a running clock reaches offset: T0, plus the
// time spent paused, plus offset at the clock's speed, rounded up so that
// Elapsed(Reaches(offset)) >= offset. A paused clock reaches nothing until it
// resumes, which moves the time.
func (c Clock) Reaches(offset time.Duration) time.Time {
	speed := time.Duration(max(c.Speed, 1))
	return c.StartedAt.Add(c.Paused + (offset+speed-1)/speed)
}

// Pause stops the clock at now.
func (c Clock) Pause(now time.Time) Clock {
	if c.PausedAt == nil {
		c.PausedAt = &now
	}
	return c
}

// Resume restarts a paused clock at now, the pause not counted.
func (c Clock) Resume(now time.Time) Clock {
	if c.PausedAt != nil {
		c.Paused += now.Sub(*c.PausedAt)
		c.PausedAt = nil
	}
	return c
}

// HHMM writes an exercise time as hours and minutes, "01:25" (any seconds left
// out).
func HHMM(d time.Duration) string {
	m := max(int(d/time.Minute), 0)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// Start is the simulated time of day at T0, in minutes after midnight, when the
// kit gives one.
func (k Kit) Start() (int, bool) {
	var h, m int
	if len(k.StartTime) != 5 {
		return 0, false
	}
	if _, err := fmt.Sscanf(k.StartTime, "%2d:%2d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// SimulatedAt is the simulated time of day, in minutes after midnight (past 24
// hours on a later day), reached at exercise time elapsed, when the kit gives a
// start hour: the débutant kit "commence le lundi à 8 h 00 (heure simulée)", a
// minute of play being "environ deux minutes simulées".
func (k Kit) SimulatedAt(elapsed time.Duration) (int, bool) {
	start, ok := k.Start()
	if !ok {
		return 0, false
	}
	return start + int(elapsed/time.Minute)*max(k.TimeScale, 1), true
}
