package exercise_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

type exerciseJSON struct {
	ID            int64           `json:"id"`
	Status        string          `json:"status"`
	Paused        bool            `json:"paused"`
	Role          string          `json:"role"`
	Participant   json.RawMessage `json:"participant_part"`
	Communication json.RawMessage `json:"communication_part"`
	Animator      json.RawMessage `json:"animator_part"`
}

type stimuliJSON struct {
	Items []map[string]any `json:"items"`
}

// secret is written in the expected reactions of a local stimulus: no player may
// ever read it, whatever the path.
const secret = "RÉACTION-ATTENDUE-SECRÈTE"

func userID(t *testing.T, app *testkit.App, email string) int64 {
	t.Helper()
	u, err := app.Server.Accounts.ByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// sseEvent is one event read from a live stream.
type sseEvent struct {
	ID    string
	Event string
	Data  string
}

// stream connects to an exercise's event stream and sends what it reads on the
// returned channel; the raw text is kept for leak checks.
func stream(t *testing.T, ctx context.Context, base, token string, id int64) (<-chan sseEvent, func() string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/exercises/%d/events", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 1024)
	var mu sync.Mutex
	var raw strings.Builder
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			raw.WriteString(line + "\n")
			mu.Unlock()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			case line == "" && ev.Event != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out, func() string { mu.Lock(); defer mu.Unlock(); return raw.String() }
}

// An exercise from the beginner kit: bad input changes nothing, players get their
// parts but never the animator's, the chronogramme is edited locally, the play runs
// at rehearsal speed with pause and resume, and each player receives only what is
// addressed to their cell.
func TestExerciseLifecycleAndWhoSeesWhat(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude")
		rssi := app.Token(t, "rssi@demo.care.test")
		player, player2 := app.Token(t, "pcra@demo.care.test"), app.Token(t, "direction@demo.care.test")
		observer := app.Token(t, "rssi.ght@demo.care.test")
		reader, neighbour := app.Token(t, "ars@demo.care.test"), app.Token(t, "dsi@demo.care.test")

		var kits struct {
			Items []struct {
				ID      string `json:"id"`
				Level   string `json:"level"`
				Stimuli int    `json:"stimuli_count"`
			} `json:"items"`
		}
		app.API(t, player, "GET", "/api/v1/kits", nil, &kits)
		if len(kits.Items) != 4 || !slices.ContainsFunc(kits.Items, func(k struct {
			ID      string `json:"id"`
			Level   string `json:"level"`
			Stimuli int    `json:"stimuli_count"`
		}) bool {
			return k.ID == "kit-debutant" && k.Level == "debutant" && k.Stimuli >= 15
		}) {
			t.Fatalf("kits: %+v", kits.Items)
		}

		for _, bad := range []map[string]any{
			{"kit": "kit-inconnu", "org": chu.ID},
			{"kit": "kit-debutant", "org": chu.ID, "speed": 100000},
		} {
			if resp := app.API(t, rssi, "POST", "/api/v1/exercises", bad, nil); resp.StatusCode != 422 {
				t.Errorf("create %v: %d", bad, resp.StatusCode)
			}
		}
		if resp := app.API(t, neighbour, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID}, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour creates an exercise for the CHU: %d", resp.StatusCode)
		}
		var ex exerciseJSON
		if resp := app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID, "speed": 3600}, &ex); resp.StatusCode != 201 || ex.Status != "draft" {
			t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		path := fmt.Sprintf("/api/v1/exercises/%d", ex.ID)

		// Participants: bad ones are refused whole.
		for _, bad := range []map[string]any{
			{"user": userID(t, app, "pcra@demo.care.test"), "role": "player"},                        // no cell
			{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "inconnue"},    // unknown cell
			{"user": userID(t, app, "pcra@demo.care.test"), "role": "chef", "cell": "decision"},      // unknown role
			{"user": userID(t, app, "lecteur@demo.care.test"), "role": "player", "cell": "decision"}, // another establishment
			{"user": int64(999999), "role": "player", "cell": "decision"},                            // nobody
		} {
			if resp := app.API(t, rssi, "POST", path+"/participants", bad, nil); resp.StatusCode != 422 {
				t.Errorf("participant %v: %d", bad, resp.StatusCode)
			}
		}
		if resp := app.API(t, player, "GET", path, nil, nil); resp.StatusCode != 200 {
			t.Errorf("a reader of the CHU sees the exercise exists: %d", resp.StatusCode)
		}
		for email, seat := range map[string][2]string{
			"pcra@demo.care.test":      {"player", "decision"},
			"direction@demo.care.test": {"player", "communication"},
			"rssi.ght@demo.care.test":  {"observer", ""},
		} {
			if resp := app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, email), "role": seat[0], "cell": seat[1]}, nil); resp.StatusCode != 204 {
				t.Fatalf("participant %s: %d %s", email, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		if resp := app.API(t, player, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "animator"}, nil); resp.StatusCode != 403 {
			t.Errorf("a player makes themself animator: %d", resp.StatusCode)
		}

		// Parts: players get theirs, never the animator's; a reader gets none.
		var seen exerciseJSON
		app.API(t, player, "GET", path, nil, &seen)
		if seen.Role != "player" || len(seen.Participant) < 10 || len(seen.Communication) < 10 || len(seen.Animator) != 0 {
			t.Errorf("player's view: role %q, parts %d/%d/%d", seen.Role, len(seen.Participant), len(seen.Communication), len(seen.Animator))
		}
		seen = exerciseJSON{}
		app.API(t, observer, "GET", path, nil, &seen)
		if len(seen.Animator) < 10 {
			t.Error("the observer has no observation grid")
		}
		seen = exerciseJSON{}
		app.API(t, reader, "GET", path, nil, &seen)
		if len(seen.Participant) != 0 || len(seen.Animator) != 0 {
			t.Error("a non-participant reader got kit parts")
		}
		for _, sub := range []string{"/stimuli", "/log", "/events"} {
			if resp := app.API(t, reader, "GET", path+sub, nil, nil); resp.StatusCode != 403 {
				t.Errorf("non-participant GET %s: %d", sub, resp.StatusCode)
			}
			if resp := app.API(t, neighbour, "GET", path+sub, nil, nil); resp.StatusCode != 404 {
				t.Errorf("neighbour GET %s: %d", sub, resp.StatusCode)
			}
		}

		// The chronogramme, edited locally before the start.
		var all stimuliJSON
		app.API(t, rssi, "GET", path+"/stimuli", nil, &all)
		if len(all.Items) < 15 || all.Items[0]["expected_reactions"] == nil {
			t.Fatalf("animator's chronogramme: %d stimuli", len(all.Items))
		}
		kitCount := len(all.Items)
		if resp := app.API(t, rssi, "POST", path+"/stimuli", map[string]any{"offset_seconds": 3 * 3600, "channel": "email", "sender": "x", "recipients": []string{"decision"}, "content": "x"}, nil); resp.StatusCode != 422 {
			t.Errorf("a stimulus beyond the end: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", path+"/stimuli", map[string]any{"offset_seconds": 60, "channel": "pigeon", "sender": "x", "recipients": []string{"nulle-part"}, "content": "x"}, nil); resp.StatusCode != 422 ||
			!strings.Contains(testkit.BodyOf(resp), "pigeon") || !strings.Contains(testkit.BodyOf(resp), "nulle-part") {
			t.Errorf("bad channel and cell: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, rssi, "POST", path+"/stimuli", map[string]any{"ref": "local-1", "offset_seconds": 90, "channel": "telephone", "sender": "Standard",
			"recipients": []string{"decision"}, "content": "Un journaliste appelle le standard.", "expected_reactions": []string{secret}}, nil); resp.StatusCode != 200 {
			t.Fatalf("local stimulus: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		removed := int64(all.Items[len(all.Items)-1]["id"].(float64))
		if resp := app.API(t, rssi, "DELETE", fmt.Sprintf("%s/stimuli/%d", path, removed), nil, nil); resp.StatusCode != 204 {
			t.Errorf("removing a stimulus: %d", resp.StatusCode)
		}
		if resp := app.API(t, player, "GET", path+"/stimuli", nil, &all); resp.StatusCode != 200 || len(all.Items) != 0 {
			t.Errorf("before the start a player sees %d stimuli", len(all.Items))
		}
		if resp := app.API(t, player, "POST", path+"/log", map[string]any{"body": "trop tôt"}, nil); resp.StatusCode != 409 {
			t.Errorf("log before the start: %d", resp.StatusCode)
		}

		// Play at ×3600: the two hours last two seconds of wall time.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		events, raw := stream(t, ctx, app.URL, player, ex.ID)
		if resp := app.API(t, player, "POST", path+"/start", nil, nil); resp.StatusCode != 403 {
			t.Errorf("a player starts the exercise: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", path+"/start", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("start: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, rssi, "POST", path+"/start", nil, nil); resp.StatusCode != 409 {
			t.Errorf("starting twice: %d", resp.StatusCode)
		}
		var entry map[string]any
		if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "decision", "body": "Cellule de crise activée."}, &entry); resp.StatusCode != 201 {
			t.Fatalf("log: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "rumeur", "body": ""}, nil); resp.StatusCode != 422 {
			t.Errorf("bad log entry: %d", resp.StatusCode)
		}
		// A player posting to another exercise.
		var other exerciseJSON
		app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-intermediaire", "org": chu.ID}, &other)
		app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/start", other.ID), nil, nil)
		if resp := app.API(t, player, "POST", fmt.Sprintf("/api/v1/exercises/%d/log", other.ID), map[string]any{"body": "intrus"}, nil); resp.StatusCode != 403 {
			t.Errorf("a player posts to another exercise: %d", resp.StatusCode)
		}

		// The whole chronogramme reaches the player's screen, in order, for their cell only.
		var got []map[string]any
		var logs int
		deadline := time.After(20 * time.Second)
		want := 0
		app.API(t, rssi, "GET", path+"/stimuli", nil, &all)
		for _, s := range all.Items {
			if rs := fmt.Sprint(s["recipients"]); strings.Contains(rs, "decision") || strings.Contains(rs, "all") {
				want++
			}
		}
	read:
		for len(got) < want {
			select {
			case ev, ok := <-events:
				if !ok {
					break read
				}
				switch ev.Event {
				case "stimulus":
					var s map[string]any
					_ = json.Unmarshal([]byte(ev.Data), &s)
					got = append(got, s)
				case "log":
					logs++
				}
			case <-deadline:
				break read
			}
		}
		if len(got) != want {
			t.Fatalf("the player received %d of the %d stimuli for the cell", len(got), want)
		}
		for i, s := range got {
			if _, ok := s["expected_reactions"]; ok {
				t.Errorf("stimulus %v carries expected reactions to a player", s["ref"])
			}
			if rs := fmt.Sprint(s["recipients"]); !strings.Contains(rs, "decision") && !strings.Contains(rs, "all") {
				t.Errorf("stimulus %v for %s reached the decision cell", s["ref"], rs)
			}
			if i > 0 && s["offset_seconds"].(float64) < got[i-1]["offset_seconds"].(float64) {
				t.Errorf("stimulus %v arrived after a later one", s["ref"])
			}
		}
		if logs != 1 {
			t.Errorf("log entries seen live: %d", logs)
		}
		if strings.Contains(raw(), secret) {
			t.Error("the live stream gave a player the expected reactions")
		}
		app.API(t, player2, "GET", path+"/stimuli", nil, &all)
		for _, s := range all.Items {
			if rs := fmt.Sprint(s["recipients"]); !strings.Contains(rs, "communication") && !strings.Contains(rs, "all") {
				t.Errorf("the communication cell sees %v, for %s", s["ref"], rs)
			}
		}
		for _, tok := range []string{player, player2} {
			for _, sub := range []string{"", "/stimuli", "/log"} {
				if resp := app.API(t, tok, "GET", path+sub, nil, nil); strings.Contains(testkit.BodyOf(resp), secret) {
					t.Errorf("GET %s gives a player the expected reactions", sub)
				}
			}
		}
		// The observer sees every delivered stimulus, whatever its cell, once all are out.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if app.API(t, observer, "GET", path+"/stimuli", nil, &all); len(all.Items) >= kitCount {
				break
			}
		}
		if len(all.Items) != kitCount || !strings.Contains(fmt.Sprint(all.Items), secret) {
			t.Errorf("the observer sees %d delivered stimuli (want %d) and the expected reactions %v", len(all.Items), kitCount, strings.Contains(fmt.Sprint(all.Items), secret))
		}

		// Pause, resume, finish; nothing is written after the end.
		if resp := app.API(t, rssi, "POST", path+"/resume", nil, nil); resp.StatusCode != 409 {
			t.Errorf("resume while not paused: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", path+"/pause", nil, &ex); resp.StatusCode != 200 || !ex.Paused {
			t.Errorf("pause: %d %+v", resp.StatusCode, ex)
		}
		if resp := app.API(t, rssi, "POST", path+"/resume", nil, &ex); resp.StatusCode != 200 || ex.Paused {
			t.Errorf("resume: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", path+"/finish", nil, &ex); resp.StatusCode != 200 || ex.Status != "finished" {
			t.Errorf("finish: %d %+v", resp.StatusCode, ex)
		}
		if resp := app.API(t, player, "POST", path+"/log", map[string]any{"body": "après la fin"}, nil); resp.StatusCode != 409 {
			t.Errorf("log after the end: %d", resp.StatusCode)
		}
	})
}

// deliveredCount is how many stimuli of the exercise at path were delivered, as
// token reads them.
func deliveredCount(t *testing.T, app *testkit.App, token, path string) int {
	t.Helper()
	var all stimuliJSON
	app.API(t, token, "GET", path+"/stimuli", nil, &all)
	n := 0
	for _, s := range all.Items {
		if s["delivered_at"] != nil {
			n++
		}
	}
	return n
}

// The delivery clock stops while paused: a stimulus due during the pause is held
// until the resume.
func TestPauseHoldsStimuli(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	chu := app.Org(t, "CHU de Port-Émeraude")
	rssi := app.Token(t, "rssi@demo.care.test")
	var ex exerciseJSON
	app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID, "speed": 3600}, &ex)
	path := fmt.Sprintf("/api/v1/exercises/%d", ex.ID)
	app.API(t, rssi, "POST", path+"/start", nil, nil)
	app.API(t, rssi, "POST", path+"/pause", nil, nil)
	delivered := func() int { return deliveredCount(t, app, rssi, path) }
	before := delivered()
	// At ×3600, 2 s of wall time would be the whole two hours of the kit.
	time.Sleep(2 * time.Second)
	if n := delivered(); n != before {
		t.Fatalf("%d stimuli delivered while paused", n-before)
	}
	app.API(t, rssi, "POST", path+"/resume", nil, nil)
	deadline := time.Now().Add(10 * time.Second)
	for delivered() == before && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if delivered() == before {
		t.Fatal("no stimulus after the resume")
	}
}

// The platform stops for ten minutes during an exercise (no instance ticks it):
// when it comes back, the silence is not counted as exercise time, so the stimuli
// of those ten minutes do not all go out at once; the trail says so.
func TestOutageIsNotExerciseTime(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		chu := app.Org(t, "CHU de Port-Émeraude")
		rssi := app.Token(t, "rssi@demo.care.test")
		var ex exerciseJSON
		app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID}, &ex)
		path := fmt.Sprintf("/api/v1/exercises/%d", ex.ID)
		app.API(t, rssi, "POST", path+"/start", nil, nil)
		delivered := func() int { return deliveredCount(t, app, rssi, path) }
		time.Sleep(500 * time.Millisecond)
		before := delivered()
		// As if the instance had died ten minutes ago, right after the start.
		ago := db.Now().Add(-10 * time.Minute)
		if _, err := d.Write.Exec("UPDATE exercises SET started_at = $1, ticked_at = $1 WHERE id = $2", ago, ex.ID); err != nil {
			t.Fatal(err)
		}
		var paused int64
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && paused == 0; time.Sleep(100 * time.Millisecond) {
			d.Read.QueryRow("SELECT paused_ms FROM exercises WHERE id = $1", ex.ID).Scan(&paused)
		}
		if paused < (10*time.Minute - 5*time.Second).Milliseconds() {
			t.Fatalf("the outage was not bridged: %d ms paused", paused)
		}
		time.Sleep(500 * time.Millisecond)
		if n := delivered(); n != before {
			t.Errorf("%d stimuli of the outage went out at once", n-before)
		}
		var trail struct{ Total int }
		app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/api/v1/audit?action=exercise.outage", nil, &trail)
		if trail.Total != 1 {
			t.Errorf("%d outage entries in the trail", trail.Total)
		}
	})
}
