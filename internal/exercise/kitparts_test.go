package exercise_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// goName is a JSON key written as a Go field name (Rules, InternalNotice,
// TitleEN), which the API never answers with.
var goName = regexp.MustCompile(`"[A-Z][A-Za-z]*"\s*:`)

// The kit's parts in GET /api/v1/exercises/{id} are snake_case like the rest of
// the API, and the kit's cells are listed (id, name) so that an API client can
// seat a player in one of them.
func TestKitPartsInTheAPI(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		rssi := app.Token(t, "rssi@demo.care.test")
		id := startRehearsal(t, app, rssi, 1)
		path := fmt.Sprintf("/api/v1/exercises/%d", id)
		resp := app.API(t, rssi, "GET", path, nil, nil)
		body := testkit.BodyOf(resp)
		if m := goName.FindAllString(body, 5); len(m) > 0 {
			t.Errorf("the exercise answers Go field names: %v", m)
		}
		var ex struct {
			Cells []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"cells"`
			Participant struct {
				Rules  []string `json:"rules"`
				Sheets []struct {
					Title string   `json:"title"`
					Items []string `json:"items"`
				} `json:"sheets"`
				Glossary []struct {
					Term string `json:"term"`
				} `json:"glossary"`
			} `json:"participant_part"`
			Communication struct {
				Invitation     string `json:"invitation"`
				InternalNotice string `json:"internal_notice"`
			} `json:"communication_part"`
			Animator struct {
				Scenario string `json:"scenario"`
				Criteria []struct {
					ID string `json:"id"`
				} `json:"criteria"`
				Retex []struct {
					Prompts []string `json:"prompts"`
				} `json:"retex_template"`
			} `json:"animator_part"`
		}
		if err := json.Unmarshal([]byte(body), &ex); err != nil {
			t.Fatal(err)
		}
		if len(ex.Participant.Rules) == 0 || len(ex.Participant.Sheets) == 0 || len(ex.Participant.Sheets[0].Items) == 0 || len(ex.Participant.Glossary) == 0 {
			t.Errorf("participant part: %+v", ex.Participant)
		}
		if ex.Communication.Invitation == "" || ex.Communication.InternalNotice == "" {
			t.Errorf("communication part: %+v", ex.Communication)
		}
		if ex.Animator.Scenario == "" || len(ex.Animator.Criteria) == 0 || len(ex.Animator.Retex) == 0 || len(ex.Animator.Retex[0].Prompts) == 0 {
			t.Errorf("animator part: %.200s", body)
		}
		cells := map[string]string{}
		for _, c := range ex.Cells {
			cells[c.ID] = c.Name
		}
		if cells["decision"] == "" || cells["communication"] == "" || len(cells) != 3 {
			t.Fatalf("cells of the beginners' kit: %v", ex.Cells)
		}
		// A client seats a player in a cell read from the answer.
		if resp := app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": ex.Cells[0].ID}, nil); resp.StatusCode != 204 {
			t.Fatalf("seating in cell %s: %d %s", ex.Cells[0].ID, resp.StatusCode, testkit.BodyOf(resp))
		}
		// The player reads the cells and the snake_case parts too, not the animator part.
		player := app.Token(t, "pcra@demo.care.test")
		body = testkit.BodyOf(app.API(t, player, "GET", path, nil, nil))
		if m := goName.FindAllString(body, 5); len(m) > 0 {
			t.Errorf("the player's answer has Go field names: %v", m)
		}
		var seen struct {
			Cells    []map[string]any `json:"cells"`
			Animator json.RawMessage  `json:"animator_part"`
		}
		if err := json.Unmarshal([]byte(body), &seen); err != nil {
			t.Fatal(err)
		}
		if len(seen.Cells) != 3 || seen.Animator != nil {
			t.Errorf("the player reads %d cells and the animator part %s", len(seen.Cells), seen.Animator)
		}
	})
}

// withPlayer starts the app on d without its loops, and a rehearsal of the
// beginners' kit animated by the CHU's RSSI (token rssi) with the PCRA lead seated
// as a player of the decision cell; path is the exercise's API path.
func withPlayer(t *testing.T, d *db.DB) (app *testkit.App, rssi string, id int64, path string) {
	t.Helper()
	app = testkit.NewApp(t, d, testkit.WithoutLoops)
	rssi = app.Token(t, "rssi@demo.care.test")
	id = startRehearsal(t, app, rssi, 1)
	path = fmt.Sprintf("/api/v1/exercises/%d", id)
	if resp := app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil); resp.StatusCode != 204 {
		t.Fatalf("seat the player: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	return app, rssi, id, path
}
