package exercise_test

import (
	"fmt"
	"strings"
	"testing"

	"care/internal/testkit"
)

// A regional exercise: the console says that the animation plays the GHT and
// SAMU cells and marks the stimuli addressed to them, until a player is seated
// in one; the API tells a client which cells are optional.
func TestRegionalExerciseSimulatesTheGHTAndTheSAMU(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		rssi := app.Token(t, "rssi@demo.care.test")
		var ex struct {
			ID    int64 `json:"id"`
			Cells []struct {
				ID       string `json:"id"`
				Optional bool   `json:"optional"`
			} `json:"cells"`
		}
		if resp := app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-regional", "org": app.Org(t, "CHU de Port-Émeraude").ID}, &ex); resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		optional := map[string]bool{}
		for _, c := range ex.Cells {
			optional[c.ID] = c.Optional
		}
		if !optional["ght"] || !optional["samu"] || optional["ars"] || optional["prefecture"] {
			t.Errorf("optional cells in the API: %v", optional)
		}
		browser := app.Login(t, "rssi@demo.care.test")
		page := fmt.Sprintf("/exercices/%d", ex.ID)
		html := testkit.BodyOf(app.Get(t, browser, page))
		line := between(html, `id="simulated"`, "</p>")
		if !strings.Contains(line, "Direction de crise du GHT") || !strings.Contains(line, "SAMU-Centre 15") || strings.Contains(line, "Préfecture") {
			t.Errorf("the console's line on simulated cells: %q", line)
		}
		if n := strings.Count(html, `class="badge simulated"`); n == 0 {
			t.Error("no stimulus is marked as played by the animation")
		}
		before := strings.Count(html, `class="badge simulated"`)
		if resp := app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/participants", ex.ID), map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "samu"}, nil); resp.StatusCode != 204 {
			t.Fatalf("seat in the SAMU cell: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		html = testkit.BodyOf(app.Get(t, browser, page))
		line = between(html, `id="simulated"`, "</p>")
		if !strings.Contains(line, "Direction de crise du GHT") || strings.Contains(line, "SAMU-Centre 15") {
			t.Errorf("with a player in the SAMU cell, the line says: %q", line)
		}
		if after := strings.Count(html, `class="badge simulated"`); after >= before || after == 0 {
			t.Errorf("stimuli marked as played by the animation: %d before seating the SAMU, %d after", before, after)
		}
	})
}

// between is the text of s after the first from, up to the next to ("" when from
// is absent).
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		s = s[:j]
	}
	return s
}
