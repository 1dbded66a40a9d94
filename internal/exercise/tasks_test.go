package exercise_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/testkit"
)

// An action written in the main courante is a task of its cell: that cell or an
// animator marks it done, another cell may not. The animation team's notes never
// reach a player, neither in the log nor on the live stream.
func TestTasksAndAnimatorNotes(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi, player, other := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test"), app.Token(t, "direction@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "direction@demo.care.test"), "role": "player", "cell": "communication"}, nil)
	app.API(t, rssi, "POST", path+"/start", nil, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, raw := stream(t, ctx, app.URL, player, id)

	var task struct {
		ID int64 `json:"id"`
	}
	if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "action", "body": "Prévenir l'ARS"}, &task); resp.StatusCode != 201 {
		t.Fatalf("action: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "note", "body": "x"}, nil); resp.StatusCode != 422 {
		t.Errorf("a player writes an animation note: %d", resp.StatusCode)
	}
	if resp := app.API(t, rssi, "POST", path+"/log", map[string]any{"kind": "note", "body": "NOTE-ANIMATION: relancer la cellule"}, nil); resp.StatusCode != 201 {
		t.Fatalf("note: %d", resp.StatusCode)
	}
	if resp := app.API(t, other, "POST", fmt.Sprintf("%s/log/%d/done", path, task.ID), nil, nil); resp.StatusCode != 403 {
		t.Errorf("another cell marks the task done: %d", resp.StatusCode)
	}
	if resp := app.API(t, player, "POST", fmt.Sprintf("%s/log/%d/done", path, task.ID), nil, nil); resp.StatusCode != 204 {
		t.Errorf("the cell marks its task done: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := app.API(t, player, "POST", fmt.Sprintf("%s/log/%d/done", path, task.ID), nil, nil); resp.StatusCode != 404 {
		t.Errorf("a task done twice: %d", resp.StatusCode)
	}
	var log struct {
		Items []map[string]any `json:"items"`
	}
	app.API(t, player, "GET", path+"/log", nil, &log)
	if len(log.Items) != 1 || log.Items[0]["done_at"] == nil {
		t.Errorf("the player's log: %+v", log.Items)
	}
	app.API(t, rssi, "GET", path+"/log", nil, &log)
	if len(log.Items) != 2 {
		t.Errorf("the animator's log has %d entries", len(log.Items))
	}
	if body := testkit.BodyOf(app.Get(t, app.Login(t, "pcra@demo.care.test"), fmt.Sprintf("/exercices/%d", id))); strings.Contains(body, "NOTE-ANIMATION") || !strings.Contains(body, "Prévenir l&#39;ARS") {
		t.Error("the player's page shows the animation note or misses the cell's task")
	}
	time.Sleep(700 * time.Millisecond) // more than one poll of the stream
	if strings.Contains(raw(), "NOTE-ANIMATION") {
		t.Error("the live stream gave a player the animation note")
	}
}
