package exercise_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"care/internal/exercise"
	"care/internal/testkit"
)

// upload posts a chronogramme file to the API.
func upload(t *testing.T, app *testkit.App, token, path, format, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, app.URL+path+"/chronogramme?format="+format, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	return app.Do(t, http.DefaultClient, req)
}

// An animator replaces the kit's chronogramme with their own file before the
// start: a bad file is refused whole with every faulty row and changes nothing; the
// exercise's kit is then exported in the open format, which reads back.
func TestChronogrammeImportAndKitExport(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi, player := app.Token(t, "rssi@demo.care.test"), app.Token(t, "pcra@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	path := fmt.Sprintf("/api/v1/exercises/%d", id)
	app.API(t, rssi, "POST", path+"/participants", map[string]any{"user": userID(t, app, "pcra@demo.care.test"), "role": "player", "cell": "decision"}, nil)
	var before stimuliJSON
	app.API(t, rssi, "GET", path+"/stimuli", nil, &before)

	bad := "décalage;canal;émetteur;destinataires;contenu;réaction attendue\n" +
		"5;email;DSI;decision;Alerte antivirus;Isoler le poste\n" +
		"500;pigeon;DSI;nulle-part;;Isoler\n" +
		"abc;sms;;decision;Texte;Répondre\n"
	resp := upload(t, app, rssi, path, "csv", bad)
	body := testkit.BodyOf(resp)
	if resp.StatusCode != 422 || !strings.Contains(body, "pigeon") || !strings.Contains(body, "nulle-part") || !strings.Contains(body, "abc") {
		t.Fatalf("bad file: %d %s", resp.StatusCode, body)
	}
	var after stimuliJSON
	app.API(t, rssi, "GET", path+"/stimuli", nil, &after)
	if len(after.Items) != len(before.Items) {
		t.Fatalf("a refused file changed the chronogramme: %d → %d stimuli", len(before.Items), len(after.Items))
	}

	good := "décalage;canal;émetteur;destinataires;titre;contenu;réaction attendue\n" +
		"0;email;Console antivirus;decision;Alerte;Trois postes signalent un chiffrement.;Isoler les postes\n" +
		"1:10;téléphone;Standard;Cellule communication;Presse;Un journaliste appelle.;Renvoyer vers la communication\n"
	if resp := upload(t, app, player, path, "csv", good); resp.StatusCode != 403 {
		t.Errorf("a player imports a chronogramme: %d", resp.StatusCode)
	}
	if resp := upload(t, app, rssi, path, "csv", good); resp.StatusCode != 200 || !strings.Contains(strings.Join(strings.Fields(testkit.BodyOf(resp)), ""), `"stimuli":2`) {
		t.Fatalf("good file: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	app.API(t, rssi, "GET", path+"/stimuli", nil, &after)
	if len(after.Items) != 2 || after.Items[1]["offset_seconds"].(float64) != 70*60 || fmt.Sprint(after.Items[1]["recipients"]) != "[communication]" {
		t.Fatalf("imported chronogramme: %+v", after.Items)
	}

	if resp := app.API(t, player, "GET", path+"/kit.yaml", nil, nil); resp.StatusCode != 403 {
		t.Errorf("a player exports the kit with its animator part: %d", resp.StatusCode)
	}
	resp = app.API(t, rssi, "GET", path+"/kit.yaml", nil, nil)
	k, err := exercise.ParseKit([]byte(testkit.BodyOf(resp)))
	if resp.StatusCode != 200 || err != nil || len(k.Animator.Stimuli) != 2 || k.Animator.Stimuli[1].Offset != 70 {
		t.Fatalf("exported kit: %d %v %+v", resp.StatusCode, err, k.Animator.Stimuli)
	}

	app.API(t, rssi, "POST", path+"/start", nil, nil)
	if resp := upload(t, app, rssi, path, "csv", good); resp.StatusCode != 409 {
		t.Errorf("import after the start: %d", resp.StatusCode)
	}
}
