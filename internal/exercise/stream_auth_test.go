package exercise_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// until waits for an event whose data holds want; it reports false when the
// stream ended first.
func until(t *testing.T, events <-chan string, want string) bool {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case data, ok := <-events:
			if !ok {
				return false
			}
			if strings.Contains(data, want) {
				return true
			}
		case <-deadline:
			t.Fatalf("no event with %q nor end of stream in 10 s", want)
		}
	}
}

// A live stream lasts no longer than what opened it: a disabled account's token
// stream and a logged-out session's page stream end at their next wake-up, and
// deliver nothing more.
func TestStreamsEndWithTheirSession(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude")
		rssi := app.Token(t, "rssi@demo.care.test")
		var ex exerciseJSON
		if resp := app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID}, &ex); resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		path := fmt.Sprintf("/api/v1/exercises/%d", ex.ID)
		for email, cell := range map[string]string{"pcra@demo.care.test": "decision", "direction@demo.care.test": "communication"} {
			if resp := app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, email), "role": "player", "cell": cell}, nil); resp.StatusCode != 204 {
				t.Fatalf("participant %s: %d", email, resp.StatusCode)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()

		token := app.Token(t, "pcra@demo.care.test")
		req, _ := http.NewRequestWithContext(ctx, "GET", app.URL+path+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		byToken := testkit.Follow(t, http.DefaultClient, req)

		browser := app.Login(t, "direction@demo.care.test")
		req, _ = http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/exercices/%d/flux", app.URL, ex.ID), nil)
		bySession := testkit.Follow(t, browser, req)

		if resp := app.API(t, rssi, "POST", path+"/start", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		if !until(t, byToken, `"status":"running"`) || !until(t, bySession, `"status":"running"`) {
			t.Fatal("the streams did not see the start")
		}

		admin := app.Token(t, "admin@demo.care.test")
		if resp := app.API(t, admin, "POST", fmt.Sprintf("/api/v1/users/%d/disable", userID(t, app, "pcra@demo.care.test")), nil, nil); resp.StatusCode != 204 && resp.StatusCode != 200 {
			t.Fatalf("disable: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.PostForm(t, browser, "/deconnexion", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", path+"/pause", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("pause: %d", resp.StatusCode)
		}
		if until(t, byToken, `"paused":true`) {
			t.Error("a disabled account's stream delivered the pause")
		}
		if until(t, bySession, `"paused":true`) {
			t.Error("a logged-out session's stream delivered the pause")
		}
	})
}

// A live stream follows its caller's seat: a player does not read the animation
// team's notes; made observer mid-stream, they read them from then on.
func TestStreamFollowsTheSeat(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi, id, path := withPlayer(t, d)
		step(t, app, rssi, id, "start")
		seat := func(role string) {
			t.Helper()
			if resp := app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": role, "cell": "decision"}, nil); resp.StatusCode != 204 {
				t.Fatalf("seat %s: %d %s", role, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		note := func(body string) {
			t.Helper()
			if resp := app.API(t, rssi, "POST", path+"/log", map[string]any{"kind": "note", "body": body}, nil); resp.StatusCode != 201 {
				t.Fatalf("note: %d %s", resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", app.URL+path+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+app.Token(t, "pcra@demo.care.test"))
		events := testkit.Follow(t, http.DefaultClient, req)
		read := func(want string) {
			t.Helper()
			deadline := time.After(10 * time.Second)
			for {
				select {
				case data, ok := <-events:
					if !ok {
						t.Fatal("the stream ended")
					}
					if strings.Contains(data, "note avant") {
						t.Fatal("a player read the animation team's note")
					}
					if strings.Contains(data, want) {
						return
					}
				case <-deadline:
					t.Fatalf("the stream did not deliver %q", want)
				}
			}
		}
		note("note avant")
		if resp := app.API(t, rssi, "POST", path+"/log", map[string]any{"kind": "information", "body": "repère pour tous"}, nil); resp.StatusCode != 201 {
			t.Fatalf("log: %d", resp.StatusCode)
		}
		read("repère pour tous") // the player's stream went past the note without it
		seat("observer")
		note("note après")
		read("note après")
	})
}
