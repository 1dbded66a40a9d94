package exercise_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// The delivery loop delivers at the due time by a timer, not at the next tick:
// these tests run it with a safety look an hour apart, so that only the timer
// (armed to the next due stimulus, re-armed on every change of state) can explain
// a delivery. The limits of their waits are far below that hour and say nothing
// of how fast a delivery is.

// timerApp starts the product on d without its loops, runs its delivery loop
// with a safety look every hour until the test ends, and returns the app and the
// animator's token.
func timerApp(t *testing.T, d *db.DB) (*testkit.App, string) {
	t.Helper()
	app := testkit.NewApp(t, d, testkit.WithoutLoops)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { app.Server.Exercises.Run(ctx, time.Hour) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return app, app.Token(t, "rssi@demo.care.test")
}

// timedExercise creates an exercise of the CHU at speed whose chronogramme holds
// only stimuli at the given offsets (seconds, to every cell), and returns its id
// and theirs.
func timedExercise(t *testing.T, app *testkit.App, token string, speed int, offsets ...int) (int64, []int64) {
	t.Helper()
	id := startRehearsal(t, app, token, speed)
	path := fmt.Sprintf("/api/v1/exercises/%d/stimuli", id)
	var kit stimuliJSON
	app.API(t, token, "GET", path, nil, &kit)
	for _, st := range kit.Items {
		if resp := app.API(t, token, "DELETE", fmt.Sprintf("%s/%v", path, st["id"]), nil, nil); resp.StatusCode >= 300 {
			t.Fatalf("remove stimulus %v: %d", st["id"], resp.StatusCode)
		}
	}
	var ids []int64
	for i, offset := range offsets {
		var saved struct {
			ID int64 `json:"id"`
		}
		if resp := app.API(t, token, "POST", path, map[string]any{"ref": fmt.Sprintf("timer-%d", i), "offset_seconds": offset, "channel": "email",
			"sender": "Cellule d'animation", "recipients": []string{"all"}, "title": fmt.Sprintf("Message %d", i), "content": "Point de situation demandé."}, &saved); resp.StatusCode != 200 {
			t.Fatalf("add stimulus at %d s: %d %s", offset, resp.StatusCode, testkit.BodyOf(resp))
		}
		ids = append(ids, saved.ID)
	}
	return id, ids
}

// step moves the exercise through its life by the API.
func step(t *testing.T, app *testkit.App, token string, id int64, name string) {
	t.Helper()
	if resp := app.API(t, token, "POST", fmt.Sprintf("/api/v1/exercises/%d/%s", id, name), nil, nil); resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", name, resp.StatusCode, testkit.BodyOf(resp))
	}
}

// isDelivered reports whether stimulus sid is recorded sent.
func isDelivered(t *testing.T, d *db.DB, sid int64) bool {
	t.Helper()
	var at *time.Time
	if err := d.Read.QueryRowContext(t.Context(), "SELECT delivered_at FROM exercise_stimuli WHERE id = $1", sid).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at != nil
}

// eventually waits until cond holds, failing with what after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after %v: %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reaches is when the running exercise id, as stored, reaches offset seconds.
func reaches(t *testing.T, d *db.DB, id int64, speed, offset int) time.Time {
	t.Helper()
	var started time.Time
	var pausedMS int64
	if err := d.Read.QueryRowContext(t.Context(), "SELECT started_at, paused_ms FROM exercises WHERE id = $1", id).Scan(&started, &pausedMS); err != nil {
		t.Fatal(err)
	}
	return started.Add(time.Duration(pausedMS)*time.Millisecond + time.Duration(offset)*time.Second/time.Duration(speed))
}

// A stimulus due 300 ms after T0 is delivered by the timer armed to it, the safety
// look being an hour away.
func TestTimerDeliversDueStimulus(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi := timerApp(t, d)
		id, sids := timedExercise(t, app, rssi, 200, 60) // 60 s of exercise at ×200: 300 ms
		step(t, app, rssi, id, "start")
		eventually(t, 20*time.Second, "the stimulus due at T0 + 300 ms recorded sent", func() bool { return isDelivered(t, d, sids[0]) })
		eventually(t, 10*time.Second, "the timer disarmed, nothing left to deliver", func() bool { _, armed := app.Server.Exercises.Armed(); return !armed })
	})
}

// Pausing disarms the timer (nothing is delivered while paused); resuming re-arms
// it to the next stimulus, later by the time spent paused.
func TestTimerPauseDisarmsResumeRearms(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi := timerApp(t, d)
		ex := app.Server.Exercises
		// At ×200: the first at T0 + 300 ms, the second at T0 + 30 s.
		id, sids := timedExercise(t, app, rssi, 200, 60, 6000)
		step(t, app, rssi, id, "start")
		eventually(t, 20*time.Second, "the first stimulus recorded sent", func() bool { return isDelivered(t, d, sids[0]) })
		eventually(t, 10*time.Second, "the timer armed to the second stimulus", func() bool {
			at, armed := ex.Armed()
			return armed && at.Equal(reaches(t, d, id, 200, 6000))
		})

		step(t, app, rssi, id, "pause")
		eventually(t, 10*time.Second, "the timer disarmed by the pause", func() bool { _, armed := ex.Armed(); return !armed })
		time.Sleep(100 * time.Millisecond) // the pause counts
		step(t, app, rssi, id, "resume")
		var at time.Time
		eventually(t, 10*time.Second, "the timer re-armed by the resume", func() bool {
			var armed bool
			at, armed = ex.Armed()
			return armed
		})
		want := reaches(t, d, id, 200, 6000)
		if !at.Equal(want) {
			t.Fatalf("re-armed at %v, want %v (T0 + paused + 30 s)", at, want)
		}
		var pausedMS int64
		if err := d.Read.QueryRowContext(t.Context(), "SELECT paused_ms FROM exercises WHERE id = $1", id).Scan(&pausedMS); err != nil || pausedMS < 100 {
			t.Fatalf("the pause is not counted: %d ms (%v)", pausedMS, err)
		}
		if isDelivered(t, d, sids[1]) {
			t.Fatal("the second stimulus went out before its time")
		}
	})
}

// The timer follows the speed of each exercise: armed to the slow exercise's
// stimulus, it is re-armed to the earlier one of a faster exercise that starts.
// (An exercise's speed is set when it is created; the start is the change of
// speed the delivery loop sees.)
func TestTimerFollowsSpeed(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi := timerApp(t, d)
		ex := app.Server.Exercises
		slow, _ := timedExercise(t, app, rssi, 1, 3600)  // T0 + 1 h
		fast, _ := timedExercise(t, app, rssi, 60, 3600) // T0 + 1 min
		step(t, app, rssi, slow, "start")
		eventually(t, 10*time.Second, "the timer armed to the slow exercise's stimulus", func() bool {
			at, armed := ex.Armed()
			return armed && at.Equal(reaches(t, d, slow, 1, 3600))
		})
		step(t, app, rssi, fast, "start")
		eventually(t, 10*time.Second, "the timer re-armed to the fast exercise's stimulus", func() bool {
			at, armed := ex.Armed()
			return armed && at.Equal(reaches(t, d, fast, 60, 3600))
		})
	})
}

// Two instances on one PostgreSQL: a stimulus sent now on the first reaches a
// stream of the second by the notification of its event, the second's watcher
// looking only once an hour and its streams reading their feed every 15 s.
func TestNotificationWakesOtherInstance(t *testing.T) {
	d := testkit.Postgres(t)
	a := testkit.NewApp(t, d, testkit.WithoutLoops)
	b := testkit.NewApp(t, d)
	b.Server.Exercises.WatchEvery = time.Hour
	rssi := a.Token(t, "rssi@demo.care.test")
	id, sids := timedExercise(t, a, rssi, 1, 3000, 3060)
	step(t, a, rssi, id, "start")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	onB, _ := stream(t, ctx, b.URL, rssi, id)
	for _, sid := range sids {
		// The first may be seen by the watcher's first look, at the stream's
		// opening; the second only by a notification.
		if resp := a.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/stimuli/%d/send", id, sid), nil, nil); resp.StatusCode >= 300 {
			t.Fatalf("send now: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		limit := time.After(10 * time.Second)
	read:
		for {
			select {
			case ev, ok := <-onB:
				if !ok {
					t.Fatal("the stream of the second instance ended")
				}
				var st struct {
					ID int64 `json:"id"`
				}
				if ev.Event == "stimulus" && json.Unmarshal([]byte(ev.Data), &st) == nil && st.ID == sid {
					break read
				}
			case <-limit:
				t.Fatalf("stimulus %d sent now on the first instance did not reach the second's stream within 10 s", sid)
			}
		}
	}
}
