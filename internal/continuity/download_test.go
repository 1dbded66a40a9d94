package continuity_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"care/internal/testkit"
)

// docText reads the body part of a DOCX or ODT.
func docText(t *testing.T, body, format string) string {
	t.Helper()
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("%s is not a zip: %v", format, err)
	}
	part := map[string]string{"docx": "word/document.xml", "odt": "content.xml"}[format]
	for _, f := range zr.File {
		if f.Name == part {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("%s without %s", format, part)
	return ""
}

// Downloading a plan reads it; "Générer une nouvelle version" is its own action,
// posted and audited. The download names the establishment and the day, in its
// file name and in the document.
func TestDownloadRecordsNoVersion(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		chu, ehpad := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "EHPAD Les Glycines")
		ctx := testkit.As(t, app, "pcra@demo.care.test")
		versions := func() int {
			v, err := app.Server.Continuity.Versions(ctx, chu.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(v)
		}
		audited := func() int {
			var n int
			if err := d.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE action = 'continuity.plan_generate' AND org_path = $1", chu.Path).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before, auditedBefore := versions(), audited()
		today := time.Now()

		token := app.Token(t, "pcra@demo.care.test")
		resp := app.API(t, token, "GET", fmt.Sprintf("/api/v1/orgs/%d/pcra?format=docx", chu.ID), nil, nil)
		body := testkit.BodyOf(resp)
		if resp.StatusCode != 200 {
			t.Fatalf("download: %d %s", resp.StatusCode, body)
		}
		cd := resp.Header.Get("Content-Disposition")
		if !strings.Contains(cd, `filename="pcra-chu-de-port-emeraude-`+today.Format(time.DateOnly)+`.docx"`) ||
			!strings.Contains(cd, "filename*=UTF-8''PCRA%20-%20CHU%20de%20Port-%C3%89meraude%20-%20"+today.Format(time.DateOnly)+".docx") {
			t.Errorf("Content-Disposition: %s", cd)
		}
		if text := docText(t, body, "docx"); !strings.Contains(text, "CHU de Port-Émeraude") || !strings.Contains(text, "édité le "+today.Format("02/01/2006")) {
			t.Error("the document does not name the establishment and the day")
		}
		client := app.Login(t, "pcra@demo.care.test")
		if resp := app.Get(t, client, fmt.Sprintf("/continuite/noeud/%d/pcra?format=odt", chu.ID)); resp.StatusCode != 200 || !bytes.HasPrefix([]byte(testkit.BodyOf(resp)), []byte("PK")) {
			t.Errorf("page download: %d", resp.StatusCode)
		}
		if resp := app.PostForm(t, client, fmt.Sprintf("/continuite/noeud/%d/pcra?format=docx", chu.ID), nil); resp.StatusCode < 400 {
			t.Errorf("the download still answers a POST: %d", resp.StatusCode)
		}
		if resp := app.API(t, token, "GET", fmt.Sprintf("/api/v1/orgs/%d/pcra?format=rtf", chu.ID), nil, nil); resp.StatusCode != 422 {
			t.Errorf("rtf: %d", resp.StatusCode)
		}
		if n := versions(); n != before || audited() != auditedBefore {
			t.Fatalf("downloads recorded versions: %d, was %d", n, before)
		}

		// A reader downloads the plan of what it sees but records no version.
		reader := app.Login(t, "lecteur@demo.care.test")
		if resp := app.Get(t, reader, fmt.Sprintf("/continuite/noeud/%d/pcra?format=docx", ehpad.ID)); resp.StatusCode != 200 {
			t.Errorf("a reader's download: %d", resp.StatusCode)
		}
		if resp := app.PostForm(t, reader, fmt.Sprintf("/continuite/noeud/%d/versions", ehpad.ID), nil); resp.StatusCode != 403 {
			t.Errorf("a reader records a version: %d", resp.StatusCode)
		}
		if resp := app.Get(t, reader, fmt.Sprintf("/continuite/noeud/%d/pcra?format=docx", chu.ID)); resp.StatusCode != 404 {
			t.Errorf("a reader downloads another establishment's plan: %d", resp.StatusCode)
		}

		// "Générer une nouvelle version": one more version, audited.
		page := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite?org=%d&onglet=document", chu.ID)))
		if !strings.Contains(page, `action="/continuite/noeud/`+fmt.Sprint(chu.ID)+`/versions"`) || !strings.Contains(page, "Générer une nouvelle version") {
			t.Error("the page does not offer the new version as its own action")
		}
		if resp := app.PostForm(t, client, fmt.Sprintf("/continuite/noeud/%d/versions", chu.ID), nil); resp.StatusCode != 303 {
			t.Fatalf("new version: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var v struct {
			Version   int    `json:"version"`
			ChangeLog string `json:"change_log"`
		}
		if resp := app.API(t, token, "POST", fmt.Sprintf("/api/v1/orgs/%d/pcra/versions", chu.ID), nil, &v); resp.StatusCode != 201 || v.Version != before+2 || !strings.Contains(v.ChangeLog, "sans changement") {
			t.Errorf("API new version: %d %+v", resp.StatusCode, v)
		}
		if n := versions(); n != before+2 || audited() != auditedBefore+2 {
			t.Errorf("versions %d (want %d), audited %d (want %d)", n, before+2, audited(), auditedBefore+2)
		}
		resp = app.API(t, token, "GET", fmt.Sprintf("/api/v1/orgs/%d/pcra?format=docx", chu.ID), nil, nil)
		if text := docText(t, testkit.BodyOf(resp), "docx"); !strings.Contains(text, fmt.Sprintf("version %d du ", before+2)) {
			t.Error("the download does not name the latest version")
		}
	})
}
