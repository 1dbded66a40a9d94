package exercise

import "time"

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
