package exercise_test

import (
	"fmt"
	"strings"
	"testing"

	"care/internal/testkit"
)

// Error answers never carry animator material: a player who guesses the id of a
// stimulus still to come learns nothing of it, whatever they try.
func TestErrorsLeakNothingToPlayers(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi, player := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	var all stimuliJSON
	app.API(t, rssi, "GET", path+"/stimuli", nil, &all)
	last := all.Items[len(all.Items)-1]
	sid := int64(last["id"].(float64))
	app.API(t, rssi, "POST", path+"/start", nil, nil)

	secrets := []string{last["title"].(string), last["content"].(string)}
	for _, e := range last["expected_reactions"].([]any) {
		secrets = append(secrets, e.(string))
	}
	for _, try := range []struct{ method, path string }{
		{"POST", fmt.Sprintf("%s/stimuli/%d/send", path, sid)},
		{"POST", fmt.Sprintf("%s/stimuli/%d/skip", path, sid)},
		{"DELETE", fmt.Sprintf("%s/stimuli/%d", path, sid)},
		{"PUT", fmt.Sprintf("%s/stimuli/%d", path, sid)},
		{"POST", path + "/log"},
		{"POST", path + "/marks"},
		{"GET", path + "/kit.yaml"},
		{"GET", fmt.Sprintf("%s/stimuli/%d", path, sid)},
	} {
		body := map[string]any{"kind": "information", "body": "réponse", "stimulus": sid, "criterion": "c01", "score": 2}
		resp := app.API(t, player, try.method, try.path, body, nil)
		if resp.StatusCode < 400 {
			t.Errorf("%s %s: %d", try.method, try.path, resp.StatusCode)
		}
		for _, s := range secrets {
			if strings.Contains(testkit.BodyOf(resp), s) {
				t.Errorf("%s %s answers with animator material (%.30q)", try.method, try.path, s)
			}
		}
	}
}
