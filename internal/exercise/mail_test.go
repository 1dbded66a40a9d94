package exercise_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/testkit"
)

// With SMTP configured, each stimulus also reaches the players of its cells by
// e-mail, marked as an exercise; a player of another cell gets none of it.
func TestStimuliByEmail(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "direction@demo.care.test"), "role": "player", "cell": "communication"}, nil)
	var all stimuliJSON
	app.API(t, rssi, "GET", path+"/stimuli", nil, &all)
	var only map[string]any // a stimulus for the decision cell alone
	for _, s := range all.Items {
		if fmt.Sprint(s["recipients"]) == "[decision]" {
			only = s
			break
		}
	}
	if only == nil {
		t.Fatal("the kit has no stimulus for the decision cell alone")
	}
	mark := []rune(only["content"].(string))
	marker := string(mark[:min(30, len(mark))])
	app.API(t, rssi, "POST", path+"/start", nil, nil)
	if resp := app.API(t, rssi, "POST", fmt.Sprintf("%s/stimuli/%d/send", path, int64(only["id"].(float64))), nil, nil); resp.StatusCode != 204 {
		t.Fatalf("send now: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	m := app.Mail.Wait(t, 1)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(m.Data, marker) && time.Now().Before(deadline) {
		for _, x := range app.Mail.Messages() {
			if strings.Contains(x.Data, marker) {
				m = x
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(strings.Join(m.To, ","), "pcra@demo.care.test") || !strings.Contains(m.Data, "EXERCICE") {
		t.Fatalf("mail for the decision cell: to %v, %q", m.To, m.Data)
	}
	time.Sleep(300 * time.Millisecond)
	for _, x := range app.Mail.Messages() {
		if strings.Contains(strings.Join(x.To, ","), "direction@") && strings.Contains(x.Data, marker) {
			t.Error("the communication cell got the decision cell's stimulus by e-mail")
		}
	}
}
