package exercise_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
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

// From the console: the date is set and a chronogramme file is uploaded; a bad
// file comes back with its faulty rows on the page.
func TestConsolePlanAndUpload(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	id := startRehearsal(t, app, rssi, 1)
	c := app.Login(t, "rssi@demo.care.test")
	page := fmt.Sprintf("/exercices/%d", id)
	if resp := app.PostForm(t, c, page+"/planifier", url.Values{"planned_for": {"2027-03-15T09:00"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("planning: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	var ex exerciseJSON
	app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/exercises/%d", id), nil, &ex)
	if ex.Status != "planned" {
		t.Errorf("status after planning: %s", ex.Status)
	}
	send := func(name, body string) *http.Response {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(body))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, app.URL+page+"/chronogramme", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", app.URL)
		return app.Do(t, c, req)
	}
	if resp := send("mauvais.csv", "décalage;canal;émetteur;destinataires;contenu;réaction attendue\n5;pigeon;DSI;decision;Texte;Réagir\n"); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "pigeon") {
		t.Errorf("bad upload: %d", resp.StatusCode)
	}
	if resp := send("bon.csv", "décalage;canal;émetteur;destinataires;contenu;réaction attendue\n5;email;DSI;decision;Texte;Réagir\n"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	var all stimuliJSON
	app.API(t, rssi, "GET", fmt.Sprintf("/api/v1/exercises/%d/stimuli", id), nil, &all)
	if len(all.Items) != 1 {
		t.Errorf("%d stimuli after the upload", len(all.Items))
	}
}
