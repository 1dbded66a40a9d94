package exercise_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// The animator plans the exercise with its date and place and sends the kit's
// invitation: each player receives it filled in ("le mardi 8 décembre 2026, de
// 9 h 30 à 11 h 30", the place); the notice page shows the internal notice filled
// in too. Before the exercise is planned, or with a place too long, nothing is
// sent or changed.
func TestInvitationAndNoticeFromTheKit(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app, rssi, id, path := withPlayer(t, d)
		app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "rssi.ght@demo.care.test"), "role": "observer"}, nil)

		if resp := app.API(t, rssi, "POST", path+"/invitations", nil, nil); resp.StatusCode != 409 {
			t.Errorf("invitations before planning: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		date := time.Date(2026, 12, 8, 9, 30, 0, 0, time.Local).Format(time.RFC3339)
		if resp := app.API(t, rssi, "POST", path+"/plan", map[string]any{"date": date, "place": strings.Repeat("x", 201)}, nil); resp.StatusCode != 422 {
			t.Errorf("a place too long: %d", resp.StatusCode)
		}
		var ex struct {
			Status string `json:"status"`
			Place  string `json:"place"`
		}
		if app.API(t, rssi, "GET", path, nil, &ex); ex.Status != "draft" {
			t.Errorf("after a refused plan, the exercise is %s", ex.Status)
		}
		if resp := app.API(t, rssi, "POST", path+"/plan", map[string]any{"date": date, "place": "Salle du conseil, bâtiment A"}, nil); resp.StatusCode != 204 {
			t.Fatalf("plan: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if app.API(t, rssi, "GET", path, nil, &ex); ex.Place != "Salle du conseil, bâtiment A" {
			t.Errorf("place: %q", ex.Place)
		}
		player := app.Token(t, "pcra@demo.care.test")
		if resp := app.API(t, player, "POST", path+"/invitations", nil, nil); resp.StatusCode != 403 {
			t.Errorf("a player sends the invitations: %d", resp.StatusCode)
		}
		var sent struct {
			Sent int `json:"sent"`
		}
		if resp := app.API(t, rssi, "POST", path+"/invitations", nil, &sent); resp.StatusCode != 200 || sent.Sent != 1 {
			t.Fatalf("invitations: %d, %d sent", resp.StatusCode, sent.Sent)
		}
		var mail testkit.Mail
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && mail.Data == ""; time.Sleep(20 * time.Millisecond) {
			for _, m := range app.Mail.Messages() {
				if slices.Contains(m.To, "pcra@demo.care.test") && strings.Contains(m.Data, "Madame, Monsieur") {
					mail = m
				}
			}
		}
		for _, want := range []string{"L'exercice aura lieu le mardi 8 décembre 2026, de 9 h 30 à 11 h 30. Lieu : Salle du conseil, bâtiment A.", "Subject: =?utf-8?q?Exercice_de_gestion_de_crise_cyber"} {
			if !strings.Contains(mail.Data, want) {
				t.Errorf("the invitation lacks %q: %q", want, mail.Data)
			}
		}
		if strings.ContainsAny(mail.Data[strings.Index(mail.Data, "Madame"):], "[]{}") {
			t.Errorf("a placeholder survives in the invitation: %q", mail.Data)
		}
		for _, m := range app.Mail.Messages() {
			if slices.Contains(m.To, "rssi.ght@demo.care.test") {
				t.Error("the observer got the players' invitation")
			}
		}

		// The API gives the participants the communication part filled in.
		var part struct {
			Communication struct {
				InternalNotice string `json:"internal_notice"`
			} `json:"communication_part"`
		}
		if app.API(t, player, "GET", path, nil, &part); !strings.Contains(part.Communication.InternalNotice, "le mardi 8 décembre 2026, de 9 h 30 à 11 h 30") {
			t.Errorf("the internal notice in the API: %q", part.Communication.InternalNotice)
		}

		// The notice page, for the participants.
		html := testkit.BodyOf(app.Get(t, app.Login(t, "pcra@demo.care.test"), fmt.Sprintf("/exercices/%d/note", id)))
		notice := between(html, `id="internal-notice">`, "</div>")
		if !strings.Contains(notice, "le mardi 8 décembre 2026, de 9 h 30 à 11 h 30") || strings.ContainsAny(notice, "[]{}") {
			t.Errorf("the internal notice: %q", notice)
		}
		if resp := app.Get(t, app.Login(t, "dsi@demo.care.test"), fmt.Sprintf("/exercices/%d/note", id)); resp.StatusCode != 404 {
			t.Errorf("the neighbour's DSI reads the notice: %d", resp.StatusCode)
		}
	})
}
