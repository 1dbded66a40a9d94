package incident_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"care/internal/incident"
	"care/internal/platform/i18n"
	"care/internal/testkit"
)

// The autosave of the draft (htmx): each change saves the form and answers a
// status fragment; a bad value answers the translated error and saves nothing.
func TestAutosave(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	chu := app.Org(t, "CHU de Port-Émeraude").ID
	id := mustDraft(t, app, chu)
	rssi := app.Login(t, "rssi@demo.care.test")
	save := func(form url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/incidents/%d/brouillon", app.URL, id), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("HX-Request", "true")
		return app.Do(t, rssi, req)
	}
	resp := save(url.Values{"summary": {"Messagerie inaccessible"}, "categories": {"normal_functioning"}, "type": {"compromise"}, "occurred_at": {"2026-02-01T08:00"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 200 || !strings.Contains(body, "Brouillon enregistré") || strings.Contains(body, "<html") {
		t.Fatalf("autosave: %d %s", resp.StatusCode, body)
	}
	resp = save(url.Values{"summary": {"Autre"}, "occurred_at": {"2026-02-01T08:00"}, "detected_at": {"2026-01-31T08:00"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "ne peut pas précéder") {
		t.Fatalf("bad autosave: %d %s", resp.StatusCode, body)
	}
	resp = save(url.Values{"occurred_at": {"demain"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "Date et heure illisibles") {
		t.Fatalf("unreadable date: %d %s", resp.StatusCode, body)
	}
	i, err := app.Server.Incidents.Incident(testkit.As(t, app, "rssi@demo.care.test"), id)
	if err != nil || i.Summary != "Messagerie inaccessible" || i.Type != "compromise" || i.DetectedAt != nil {
		t.Errorf("stored draft: %+v %v", i, err)
	}
	// The ARS referent cannot save it: it does not even see it.
	ars := app.Login(t, "ars@demo.care.test")
	if r := app.PostForm(t, ars, fmt.Sprintf("/incidents/%d/brouillon", id), url.Values{"summary": {"x"}}); r.StatusCode != 404 {
		t.Errorf("the ARS saves a draft: %d", r.StatusCode)
	}
}

// The PDF is the declaration as submitted: rendered from the copy frozen at
// submission, whatever the row says afterwards, with what came later in its
// own part. Attachments come from both sides, read by both.
func TestDocumentFrozenAndAttachments(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	chu, _ := demoIncidents(t, app)
	rssi := app.Login(t, "rssi@demo.care.test")
	resp := app.PostFile(t, rssi, fmt.Sprintf("/incidents/%d/pieces", chu), nil, "journal.txt", []byte("06:00 détection\n"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("attach: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	resp = app.PostForm(t, rssi, fmt.Sprintf("/incidents/%d/portail", chu), url.Values{"declared_at": {"2025-10-14T10:00"}, "reference": {"SIG-2025-0042"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal record: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	resp = app.PostForm(t, rssi, fmt.Sprintf("/incidents/%d/portail", chu), url.Values{"declared_at": {"2099-10-14T10:00"}, "reference": {"X"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, "dans le futur") {
		t.Errorf("portal record in the future: %d", resp.StatusCode)
	}
	// Tamper with the row: the document still says what was submitted.
	if _, err := app.DB.Write.ExecContext(t.Context(), "UPDATE incidents SET summary = $1 WHERE id = $2", "réécrit après coup", chu); err != nil {
		t.Fatal(err)
	}
	cert := testkit.As(t, app, "cert@demo.care.test")
	doc, err := app.Server.Incidents.Document(cert, chu, i18n.FR)
	if err != nil {
		t.Fatal(err)
	}
	html := doc.HTML()
	declared, later, ok := strings.Cut(html, "Ajouts postérieurs à la déclaration")
	if !ok || !strings.Contains(declared, "Fichiers chiffrés sur les serveurs d&#39;imagerie") && !strings.Contains(declared, "Fichiers chiffrés sur les serveurs d'imagerie") || strings.Contains(html, "réécrit après coup") {
		t.Errorf("declaration part: %s", declared)
	}
	for _, want := range []string{"SIG-2025-0042", "journal.txt", "Prise en charge par CERT Santé", "gravité élevée"} {
		if !strings.Contains(later, want) {
			t.Errorf("the later part lacks %q", want)
		}
	}
	files, err := app.Server.Incidents.Files(cert, chu)
	if err != nil || len(files) != 1 || files[0].Side != incident.SideEstablishment {
		t.Fatalf("files: %+v %v", files, err)
	}
	certWeb := app.Login(t, "cert@demo.care.test")
	resp = app.Get(t, certWeb, fmt.Sprintf("/incidents/%d/pieces/%d", chu, files[0].ID))
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(data, []byte("06:00 détection\n")) {
		t.Errorf("download as CERT Santé: %d %q", resp.StatusCode, data)
	}
	lecteur := app.Login(t, "lecteur@demo.care.test")
	if r := app.Get(t, lecteur, fmt.Sprintf("/incidents/%d/pieces/%d", chu, files[0].ID)); r.StatusCode != 404 {
		t.Errorf("download by a reader of another establishment: %d", r.StatusCode)
	}
	page := testkit.BodyOf(app.Get(t, certWeb, fmt.Sprintf("/incidents/%d", chu)))
	if !strings.Contains(page, "Déclaré sur le portail le 14/10/2025 par Lou Rssi, référence SIG-2025-0042") {
		t.Errorf("the portal record is not on the page")
	}
}
