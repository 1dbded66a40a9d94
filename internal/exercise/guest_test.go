package exercise_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

// A préfecture's officer is invited by e-mail, chooses a password from the link,
// and then sees the exercise they are seated in and nothing else.
func TestGuestSeesOnlyTheirExercise(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi, player := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	other := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)

	for _, bad := range []map[string]any{
		{"email": "pas-une-adresse", "name": "Agent", "role": "player", "cell": "communication"},
		{"email": "agent@prefecture.test", "name": "Agent", "role": "player", "cell": "inconnue"},
		{"email": "agent@prefecture.test", "name": "", "role": "observer"},
	} {
		if resp := app.API(t, rssi, "POST", path+"/guests", bad, nil); resp.StatusCode != 422 {
			t.Errorf("invitation %v: %d", bad, resp.StatusCode)
		}
	}
	if _, err := app.Server.Accounts.ByEmail(t.Context(), "agent@prefecture.test"); err == nil {
		t.Fatal("a refused invitation created the account")
	}
	if resp := app.API(t, player, "POST", path+"/guests", map[string]any{"email": "agent@prefecture.test", "name": "Agent", "role": "player", "cell": "communication"}, nil); resp.StatusCode != 403 {
		t.Errorf("a player invites: %d", resp.StatusCode)
	}
	if resp := app.API(t, rssi, "POST", path+"/guests", map[string]any{"email": "agent@prefecture.test", "name": "Camille Préfecture", "role": "player", "cell": "communication"}, nil); resp.StatusCode != 204 {
		t.Fatalf("invitation: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	m := app.Mail.Wait(t, 1)
	link := regexp.MustCompile(`/reinitialisation/[A-Za-z0-9]+`).FindString(m.Data)
	if link == "" || !strings.Contains(strings.Join(m.To, ","), "agent@prefecture.test") {
		t.Fatalf("invitation mail to %v: %q", m.To, m.Data)
	}
	c := app.Browser(t)
	if resp := app.PostForm(t, c, link, url.Values{"password": {"Un mot de passe de préfecture"}, "confirm": {"Un mot de passe de préfecture"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("choosing the password: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if resp := app.PostForm(t, c, "/connexion", url.Values{"email": {"agent@prefecture.test"}, "password": {"Un mot de passe de préfecture"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("guest login: %d", resp.StatusCode)
	}
	if resp := app.Get(t, c, fmt.Sprintf("/exercices/%d", id)); resp.StatusCode != 200 || !strings.Contains(testkit.BodyOf(resp), "Stimuli reçus") {
		t.Errorf("the guest's exercise: %d", resp.StatusCode)
	}
	if resp := app.Get(t, c, fmt.Sprintf("/exercices/%d", other)); resp.StatusCode != 404 {
		t.Errorf("another exercise of the CHU: %d", resp.StatusCode)
	}
	list := testkit.BodyOf(app.Get(t, c, "/exercices"))
	if strings.Count(list, `href="/exercices/`) != 1 {
		t.Errorf("the guest's list shows %d exercises", strings.Count(list, `href="/exercices/`))
	}
	if body := testkit.BodyOf(app.Get(t, c, "/organisations")); strings.Contains(body, "CHU de Port-Émeraude") {
		t.Error("the guest browses the organisation tree")
	}
}
