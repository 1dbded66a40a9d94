package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/directory"
	"care/internal/testkit"
)

// The CH's DSI audits the real (Samba) directory from the page: a wrong password
// is refused with a message by the field, the audit shows level 1 and its evidence,
// the DSI names an owner and a due date for a checkpoint, downloads the report;
// after the fixes a second audit, imported from a sealed snapshot, shows the
// checkpoint fixed, the domain at level 5 and the level history holds both audits.
func TestJourneyDirectoryAudit(t *testing.T) {
	dc := testkit.Samba(t)
	dc.Run(t, "seed")
	j := newJourney(t)
	j.login("dsi@demo.care.test", demo.Password)
	ch := j.app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
	j.open(fmt.Sprintf("/annuaire?org=%d", ch.ID))
	j.wantH1("Audit Active Directory")

	fill := func(password string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.ID("url"), "ldaps://127.0.0.1"),
			chromedp.SetValue(chromedp.ID("bind_dn"), dc.Auditor),
			chromedp.SetValue(chromedp.ID("password"), password),
			chromedp.SetValue(chromedp.ID("ca_pem"), string(dc.CA)),
		}
	}
	if status := j.submit("a wrong password", `#run-form button[type=submit]`, fill("wrong")...); status != 422 {
		t.Fatalf("wrong password: %d", status)
	}
	if got := j.text(`#run-form .field-error`); !strings.Contains(got, "mot de passe") {
		t.Errorf("message by the field: %q", got)
	}
	if got := eval[string](j, `document.getElementById('password').value`); got != "" {
		t.Errorf("the password was put back in the form: %q", got)
	}

	if status := j.submit("auditing", `#run-form button[type=submit]`, fill(dc.Password)...); status != 200 {
		t.Fatalf("audit: %d", status)
	}
	if got := j.text("#level"); got != "1 / 5" {
		t.Fatalf("level %q", got)
	}
	spn := j.text(`#vuln1_spn_priv`)
	if !strings.Contains(spn, "nouveau") || !strings.Contains(spn, "CN=svc_sql,OU=Lab,DC=care,DC=test") || !strings.Contains(spn, "Remédiation") {
		t.Errorf("the Kerberoasting checkpoint: %q", spn)
	}
	auditPath := j.path()
	for path, kind := range map[string]string{auditPath + "/resultats.xlsx": "spreadsheetml", auditPath + "/rapport.pdf": "application/pdf"} {
		got, err := chromedp.Run(j.ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%s).then(async r => r.status + '|' + r.headers.get('content-type') + '|' + (await r.arrayBuffer()).byteLength)`, js(path)), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if parts := strings.Split(got, "|"); len(parts) != 3 || parts[0] != "200" || !strings.Contains(parts[1], kind) {
			t.Errorf("%s: %q", path, got)
		}
	}

	// Owner and due date of the checkpoint, on the establishment's page.
	j.open(fmt.Sprintf("/annuaire?org=%d", ch.ID))
	row := `#tracked tr[data-check="vuln1_spn_priv"]`
	j.submit("naming an owner", row+` button[type=submit]`,
		chromedp.Click(chromedp.CSS(row+` summary`)),
		chromedp.SetValue(chromedp.CSS(row+` input[name="owner"]`), "Équipe infrastructure"),
		chromedp.SetValue(chromedp.CSS(row+` input[name="due_on"]`), "2027-01-31"))
	if got := eval[string](j, `document.querySelector('#tracked tr[data-check="vuln1_spn_priv"] input[name="owner"]').value`); got != "Équipe infrastructure" {
		t.Errorf("owner after saving: %q", got)
	}

	// After the fixes, the offline path: a snapshot sealed with the page's key.
	dc.Run(t, "fix")
	command := j.text("#import-command")
	key := command[strings.LastIndex(command, " ")+1:]
	snap, err := directory.Collect(t.Context(), directory.Config{URL: "ldaps://127.0.0.1", BindDN: dc.Auditor, Password: dc.Password, CAPEM: dc.CA})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "annuaire.care-ad")
	f, _ := os.Create(file)
	if err := directory.WriteSnapshot(f, snap, []byte(key)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if status := j.submit("importing", `form[action$="/import"] button[type=submit]`, chromedp.SetUploadFiles(chromedp.ID("file"), []string{file})); status != 200 {
		t.Fatalf("import: %d", status)
	}
	if got := j.text(`#vuln1_spn_priv`); !strings.Contains(got, "corrigé") {
		t.Errorf("after the fixes: %q", got)
	}
	j.open(fmt.Sprintf("/annuaire?org=%d", ch.ID))
	if got := j.text(`#tracked tr[data-check="vuln1_spn_priv"]`); !strings.Contains(got, "corrigé") || !strings.Contains(got, "Équipe infrastructure") {
		t.Errorf("follow-up after the fixes: %q", got)
	}
	if bars := eval[int](j, `document.querySelectorAll('svg.chart rect').length`); bars != 2 {
		t.Errorf("level history: %d bars, want 2", bars)
	}
	if got, level := j.text("#open"), j.text("#level"); got != "0" || level != "5 / 5" {
		t.Errorf("after the fixes: %s open checkpoints, level %s", got, level)
	}
}
