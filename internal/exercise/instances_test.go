package exercise_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// counts returns how many stimuli the exercise has, how many were delivered, how
// many stimulus events were written and for how many distinct stimuli.
func counts(t *testing.T, d *db.DB, exercise int64) (total, delivered, events, distinct int) {
	t.Helper()
	err := d.Read.QueryRowContext(t.Context(), `SELECT
		(SELECT COUNT(*) FROM exercise_stimuli WHERE exercise_id = $1),
		(SELECT COUNT(*) FROM exercise_stimuli WHERE exercise_id = $1 AND delivered_at IS NOT NULL),
		(SELECT COUNT(*) FROM exercise_events WHERE exercise_id = $1 AND kind = 'stimulus'),
		(SELECT COUNT(DISTINCT ref_id) FROM exercise_events WHERE exercise_id = $1 AND kind = 'stimulus')`, exercise).Scan(&total, &delivered, &events, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	return
}

func startRehearsal(t *testing.T, app *testkit.App, token string, speed int) int64 {
	t.Helper()
	chu := app.Org(t, "CHU de Port-Émeraude")
	var ex exerciseJSON
	if resp := app.API(t, token, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID, "speed": speed}, &ex); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	return ex.ID
}

// The server stops in the middle of an exercise and another process starts on the
// same database: the exercise goes on where it was, nothing lost, nothing twice.
func TestRestartResumesExercise(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		first := testkit.NewApp(t, d)
		rssi := first.Token(t, "rssi@demo.care.test")
		id := startRehearsal(t, first, rssi, 1800) // the two hours in four seconds
		if resp := first.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/start", id), nil, nil); resp.StatusCode != 200 {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		deadline := time.Now().Add(10 * time.Second)
		for _, delivered, _, _ := counts(t, d, id); delivered < 3 && time.Now().Before(deadline); _, delivered, _, _ = counts(t, d, id) {
			time.Sleep(20 * time.Millisecond)
		}
		first.Server.Close() // the process stops: no more deliveries from it
		total, before, _, _ := counts(t, d, id)
		if before == total {
			t.Fatalf("all %d stimuli went out before the stop: nothing left to resume", total)
		}
		time.Sleep(time.Second)
		if _, during, _, _ := counts(t, d, id); during != before {
			t.Fatalf("%d stimuli delivered while no server ran", during-before)
		}

		testkit.NewApp(t, d) // the restart
		deadline = time.Now().Add(15 * time.Second)
		for _, delivered, _, _ := counts(t, d, id); delivered < total && time.Now().Before(deadline); _, delivered, _, _ = counts(t, d, id) {
			time.Sleep(50 * time.Millisecond)
		}
		total, delivered, events, distinct := counts(t, d, id)
		if delivered != total || events != total || distinct != total {
			t.Fatalf("after the restart: %d stimuli, %d delivered, %d events for %d distinct stimuli", total, delivered, events, distinct)
		}
	})
}

// Two instances on one PostgreSQL both run the delivery loop: each stimulus goes out
// once, and reaches live clients connected to either instance.
func TestTwoInstancesDeliverOnce(t *testing.T) {
	d := testkit.Postgres(t)
	a, b := testkit.NewApp(t, d), testkit.NewApp(t, d)
	rssi := a.Token(t, "rssi@demo.care.test")
	id := startRehearsal(t, a, rssi, 3600)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	onA, _ := stream(t, ctx, a.URL, rssi, id)
	onB, _ := stream(t, ctx, b.URL, rssi, id)
	if resp := b.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/start", id), nil, nil); resp.StatusCode != 200 {
		t.Fatalf("start on the second instance: %d", resp.StatusCode)
	}
	total, _, _, _ := counts(t, d, id)
	for name, events := range map[string]<-chan sseEvent{"first": onA, "second": onB} {
		seen := map[int64]int{}
		for len(seen) < total {
			ev, ok := <-events
			if !ok {
				t.Fatalf("%s instance: stream ended after %d of %d stimuli", name, len(seen), total)
			}
			if ev.Event != "stimulus" {
				continue
			}
			var s struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal([]byte(ev.Data), &s)
			seen[s.ID]++
			if seen[s.ID] > 1 {
				t.Errorf("%s instance: stimulus %d received twice", name, s.ID)
			}
		}
	}
	total, delivered, events, distinct := counts(t, d, id)
	if delivered != total || events != total || distinct != total {
		t.Fatalf("%d stimuli, %d delivered, %d events for %d distinct stimuli", total, delivered, events, distinct)
	}
}
