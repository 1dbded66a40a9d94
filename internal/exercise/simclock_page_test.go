package exercise_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// The console and the player's view show the exercise time as hh:mm and the
// simulated time of day of the beginners' kit (8 h 00, two simulated minutes a
// minute), in the page's language; so does the API.
func TestExerciseClockOnThePages(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi, id, path := withPlayer(t, d)
		app.API(t, rssi, "POST", path+"/start", nil, nil)
		app.API(t, rssi, "POST", path+"/pause", nil, nil)
		// 25 minutes played, then paused.
		t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		if _, err := d.Write.ExecContext(t.Context(), "UPDATE exercises SET started_at = $1, paused_at = $2, paused_ms = 0 WHERE id = $3", t0, t0.Add(25*time.Minute), id); err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("/exercices/%d", id)
		for _, c := range []struct{ who, lang, elapsed, simulated string }{
			{"rssi@demo.care.test", "fr", "00:25", "8 h 50"},
			{"pcra@demo.care.test", "fr", "00:25", "8 h 50"},
			{"rssi@demo.care.test", "en", "00:25", "08:50"},
		} {
			req, _ := http.NewRequest(http.MethodGet, app.URL+page, nil)
			req.AddCookie(&http.Cookie{Name: "lang", Value: c.lang})
			html := testkit.BodyOf(app.Do(t, app.Login(t, c.who), req))
			if got := between(html, `id="elapsed">`, "<"); got != c.elapsed {
				t.Errorf("%s (%s): exercise time %q, want %q", c.who, c.lang, got, c.elapsed)
			}
			if got := between(html, `id="simulated-time">`, "<"); got != c.simulated {
				t.Errorf("%s (%s): simulated time %q, want %q", c.who, c.lang, got, c.simulated)
			}
		}
		html := testkit.BodyOf(app.Get(t, app.Login(t, "rssi@demo.care.test"), page))
		if !strings.Contains(html, "<td>00:05 · 8 h 10</td>") {
			t.Errorf("the chronogramme does not give the stimulus at 5 minutes as 00:05 · 8 h 10")
		}
		var ex struct {
			Simulated string `json:"simulated_time"`
		}
		if app.API(t, rssi, "GET", path, nil, &ex); ex.Simulated != "08:50" {
			t.Errorf("simulated_time in the API: %q", ex.Simulated)
		}
	})
}
