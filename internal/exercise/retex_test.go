package exercise_test

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// After the play: observers mark the grid, the player's answer is set against the
// stimulus, the RETEX is written and cannot be closed without conclusions and an
// action plan; the plan, linked to a continuity activity, stays tracked afterwards
// by the establishment; the exercise counts as done for the funding indicator.
func TestRetexAndActionPlan(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		chu, ch := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
		rssi, player := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test")
		observer, direction := app.Token(t, "rssi.ght@demo.care.test"), app.Token(t, "direction@demo.care.test")
		neighbour := app.Token(t, "dsi@demo.care.test")

		// The kit the CHU's latest validated grid recommends is flagged.
		level, _, ok, err := app.Server.Maturity.KitLevel(t.Context(), chu.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kits struct {
			Items []struct {
				Level       string `json:"level"`
				Recommended bool   `json:"recommended"`
			} `json:"items"`
		}
		app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/kits?org=%d", chu.ID), nil, &kits)
		flagged := 0
		for _, k := range kits.Items {
			if k.Recommended {
				flagged++
				if k.Level != level {
					t.Errorf("kit %s flagged, the grid says %s", k.Level, level)
				}
			}
		}
		if ok && flagged != 1 || !ok && flagged != 0 {
			t.Errorf("%d kits flagged (grid validated: %v, level %q)", flagged, ok, level)
		}
		if resp := app.API(t, neighbour, "GET", fmt.Sprintf("/api/v1/kits?org=%d", chu.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour learns the CHU's level: %d", resp.StatusCode)
		}

		id := startRehearsal(t, app, rssi, 600)
		path := fmt.Sprintf("/api/v1/exercises/%d", id)
		app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
		app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "rssi.ght@demo.care.test"), "role": "observer"}, nil)
		if resp := app.API(t, observer, "POST", path+"/marks", map[string]any{"criterion": "c01", "score": 2}, nil); resp.StatusCode != 409 {
			t.Errorf("a mark before the start: %d", resp.StatusCode)
		}
		app.API(t, rssi, "POST", path+"/start", nil, nil)

		// The player answers the first stimulus that reaches the decision cell.
		var got stimuliJSON
		deadline := time.Now().Add(15 * time.Second)
		for len(got.Items) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			app.API(t, player, "GET", path+"/stimuli", nil, &got)
		}
		if len(got.Items) == 0 {
			t.Fatal("no stimulus reached the decision cell")
		}
		first := int64(got.Items[0]["id"].(float64))
		time.Sleep(200 * time.Millisecond)
		if resp := app.API(t, player, "POST", path+"/log", map[string]any{"kind": "decision", "body": "Déclenchement de la cellule de crise.", "stimulus": first}, nil); resp.StatusCode != 201 {
			t.Fatalf("answer: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}

		// The grid.
		for _, bad := range []map[string]any{{"criterion": "c99", "score": 2}, {"criterion": "c01", "score": 5}} {
			if resp := app.API(t, observer, "POST", path+"/marks", bad, nil); resp.StatusCode != 422 {
				t.Errorf("mark %v: %d", bad, resp.StatusCode)
			}
		}
		if resp := app.API(t, player, "POST", path+"/marks", map[string]any{"criterion": "c01", "score": 3}, nil); resp.StatusCode != 403 {
			t.Errorf("a player marks the grid: %d", resp.StatusCode)
		}
		if resp := app.API(t, observer, "POST", path+"/marks", map[string]any{"criterion": "c01", "score": 2, "note": "Alerte tardive de la direction."}, nil); resp.StatusCode != 201 {
			t.Fatalf("mark: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		app.API(t, observer, "POST", path+"/marks", map[string]any{"criterion": "c01", "score": 3}, nil)
		app.API(t, rssi, "POST", path+"/finish", nil, nil)

		type retex struct {
			Timeline []struct {
				Stimulus map[string]any `json:"stimulus"`
				Answer   *struct {
					Body string `json:"body"`
				} `json:"answer"`
				Delay *int `json:"response_delay_seconds"`
			} `json:"timeline"`
			Criteria []struct {
				ID      string  `json:"id"`
				Average float64 `json:"average"`
				Marks   []any   `json:"marks"`
			} `json:"criteria"`
			Actions []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"actions"`
			Closed bool `json:"closed"`
		}
		var staff retex
		app.API(t, rssi, "GET", path+"/retex", nil, &staff)
		var c01 float64
		for _, c := range staff.Criteria {
			if c.ID == "c01" {
				c01 = c.Average
			}
		}
		if c01 != 2.5 {
			t.Errorf("criterion c01 average %v, want 2.5", c01)
		}
		answered := false
		for _, row := range staff.Timeline {
			if int64(row.Stimulus["id"].(float64)) == first {
				answered = row.Answer != nil && row.Delay != nil && *row.Delay >= 0 && strings.Contains(row.Answer.Body, "cellule de crise")
			}
		}
		if !answered {
			t.Error("the answer to the first stimulus is not in the timeline")
		}
		resp := app.API(t, player, "GET", path+"/retex", nil, nil)
		if resp.StatusCode != 200 || strings.Contains(testkit.BodyOf(resp), "expected_reactions") || strings.Contains(testkit.BodyOf(resp), `"criteria"`) ||
			strings.Contains(testkit.BodyOf(resp), "Alerte tardive") {
			t.Errorf("the player's RETEX: %d, holds animator material", resp.StatusCode)
		}

		// Closing needs conclusions and an action.
		if resp := app.API(t, rssi, "POST", path+"/close", nil, nil); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "actions") {
			t.Errorf("closing an empty RETEX: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, player, "PUT", path+"/retex", map[string]any{"strengths": "x", "improvements": "y"}, nil); resp.StatusCode != 403 {
			t.Errorf("a player writes the RETEX: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "PUT", path+"/retex", map[string]any{"strengths": "Cellule réunie en 20 minutes.", "improvements": "Annuaire de crise à jour sur papier."}, nil); resp.StatusCode != 204 {
			t.Fatalf("retex: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var activity, elsewhere int64
		if err := d.Read.QueryRowContext(t.Context(), "SELECT a.id FROM activities a JOIN orgs o ON o.id = a.org_id WHERE o.path LIKE $1 ORDER BY a.id LIMIT 1", chu.Path+"%").Scan(&activity); err != nil {
			t.Fatal(err)
		}
		if err := d.Read.QueryRowContext(t.Context(), "SELECT a.id FROM activities a JOIN orgs o ON o.id = a.org_id WHERE o.path LIKE $1 ORDER BY a.id LIMIT 1", ch.Path+"%").Scan(&elsewhere); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []map[string]any{
			{"title": "", "owner": "", "due": "demain"},
			{"title": "Annuaire", "owner": "DSI", "due": "2027-01-31", "activity": elsewhere},
			{"title": "Annuaire", "owner": "DSI", "due": "2027-01-31", "status": "abandonnée"},
		} {
			if resp := app.API(t, rssi, "POST", path+"/actions", bad, nil); resp.StatusCode != 422 {
				t.Errorf("action %v: %d", bad, resp.StatusCode)
			}
		}
		var action struct {
			ID int64 `json:"id"`
		}
		if resp := app.API(t, rssi, "POST", path+"/actions", map[string]any{"title": "Imprimer l'annuaire de crise chaque trimestre", "owner": "Secrétariat de direction",
			"due": "2027-01-31", "activity": activity}, &action); resp.StatusCode != 201 {
			t.Fatalf("action: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var closed exerciseJSON
		if resp := app.API(t, rssi, "POST", path+"/close", nil, &closed); resp.StatusCode != 200 || closed.Status != "closed" {
			t.Fatalf("close: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, rssi, "PUT", path+"/retex", map[string]any{"strengths": "réécrit"}, nil); resp.StatusCode != 409 {
			t.Errorf("the RETEX changed after closing: %d", resp.StatusCode)
		}

		// The plan is followed afterwards by the establishment, not by the neighbour.
		if resp := app.API(t, direction, "PUT", fmt.Sprintf("%s/actions/%d", path, action.ID), map[string]any{"title": "Imprimer l'annuaire de crise chaque trimestre",
			"owner": "Secrétariat de direction", "due": "2027-01-31", "status": "done", "activity": activity}, nil); resp.StatusCode != 200 {
			t.Errorf("the direction follows the action: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, neighbour, "PUT", fmt.Sprintf("%s/actions/%d", path, action.ID), map[string]any{"title": "x", "owner": "x", "due": "2027-01-31"}, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour changes the action: %d", resp.StatusCode)
		}
		app.API(t, rssi, "GET", path+"/retex", nil, &staff)
		if !staff.Closed || len(staff.Actions) != 1 || staff.Actions[0].Status != "done" {
			t.Errorf("RETEX after closing: %+v", staff)
		}

		// The report: the animation team's copy holds the grid, the player's does not.
		docText := func(token, format, part string) string {
			t.Helper()
			resp := app.API(t, token, "GET", path+"/retex/report?format="+format, nil, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("report %s: %d %s", format, resp.StatusCode, testkit.BodyOf(resp))
			}
			body := testkit.BodyOf(resp)
			if format == "pdf" {
				return body
			}
			zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
			if err != nil {
				t.Fatalf("report %s: %v", format, err)
			}
			f, err := zr.Open(part)
			if err != nil {
				t.Fatalf("report %s: %v", format, err)
			}
			b, _ := io.ReadAll(f)
			return string(b)
		}
		for format, part := range map[string]string{"docx": "word/document.xml", "odt": "content.xml"} {
			text := docText(rssi, format, part)
			for _, want := range []string{"Cellule réunie en 20 minutes.", "Imprimer l&apos;annuaire", "Alerte tardive"} {
				if !strings.Contains(text, want) && !strings.Contains(text, strings.ReplaceAll(want, "&apos;", "&#39;")) && !strings.Contains(text, strings.ReplaceAll(want, "&apos;", "'")) {
					t.Errorf("the %s report lacks %q", format, want)
				}
			}
			if strings.Contains(docText(player, format, part), "Alerte tardive") {
				t.Errorf("the player's %s report holds the observers' notes", format)
			}
		}
		if d.Engine == db.SQLite {
			if pdf := docText(rssi, "pdf", ""); !strings.HasPrefix(pdf, "%PDF") {
				t.Errorf("the PDF report starts with %q", pdf[:min(8, len(pdf))])
			}
		}
		if resp := app.API(t, rssi, "GET", path+"/retex/report?format=exe", nil, nil); resp.StatusCode != 422 {
			t.Errorf("report in an unknown format: %d", resp.StatusCode)
		}

		ctx := testkit.As(t, app, "rssi@demo.care.test")
		if done, err := app.Server.Exercises.DoneIn(ctx, chu.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil || !done {
			t.Errorf("exercise done in the period for the CHU: %v %v", done, err)
		}
		if done, _ := app.Server.Exercises.DoneIn(testkit.As(t, app, "dsi@demo.care.test"), ch.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); done {
			t.Error("the neighbour's establishment counts the CHU's exercise")
		}
		if done, _ := app.Server.Exercises.DoneIn(ctx, chu.ID, time.Now().AddDate(-1, 0, 0), time.Now().Add(-time.Hour)); done {
			t.Error("the exercise counts in a period before it")
		}
	})
}
