package org_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

func as(t *testing.T, app *testkit.App, email string) context.Context {
	t.Helper()
	return testkit.As(t, app, email)
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func fieldKeys(err error) string {
	e, ok := problem.As(err)
	if !ok {
		return "not a problem: " + err.Error()
	}
	var keys []string
	for _, f := range e.Fields {
		keys = append(keys, f.Field+"="+f.Key)
	}
	return strings.Join(keys, " ")
}

func TestOrgServiceContract(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		orgs := app.Server.Orgs
		admin := as(t, app, "admin@demo.care.test")
		ght1, ght2 := app.Org(t, "GHT Littoral Émeraude"), app.Org(t, "GHT Volcans et Vallées")
		chu, region1 := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "R01")

		t.Run("create validates whole and writes nothing on error", func(t *testing.T) {
			before := count(t, d, "SELECT COUNT(*) FROM orgs") + count(t, d, "SELECT COUNT(*) FROM audit_log")
			_, err := orgs.Create(admin, org.Org{ParentID: ght1.ID, Level: org.LegalEntity, Name: "Doublon", FINESS: chu.FINESS, Kind: org.ES, Category: org.Public})
			if got := fieldKeys(err); got != "finess=org.error.finess_taken" {
				t.Errorf("duplicate FINESS: %s", got)
			}
			_, err = orgs.Create(admin, org.Org{ParentID: ght1.ID, Level: org.Site, Name: "", FINESS: "1", Kind: "?", Category: org.Public})
			if got := fieldKeys(err); !strings.Contains(got, "name=") || !strings.Contains(got, "finess=") || !strings.Contains(got, "kind=") || !strings.Contains(got, "parent_id=org.error.parent_level") {
				t.Errorf("bad node: %s", got)
			}
			if after := count(t, d, "SELECT COUNT(*) FROM orgs") + count(t, d, "SELECT COUNT(*) FROM audit_log"); after != before {
				t.Errorf("a refused creation changed the database: %d rows before, %d after", before, after)
			}
		})

		t.Run("create records the change in the audit trail", func(t *testing.T) {
			o, err := orgs.Create(admin, org.Org{ParentID: ght1.ID, Level: org.LegalEntity, Name: "  Nouvel EHPAD  ", FINESS: org.CompleteFINESS("35009901"), Kind: org.ESSMS, Category: org.Public})
			if err != nil {
				t.Fatal(err)
			}
			if o.Name != "Nouvel EHPAD" || o.Path != ght1.Path+itoa(o.ID)+"/" {
				t.Errorf("created %+v", o)
			}
			if n := count(t, d, "SELECT COUNT(*) FROM audit_log WHERE action = 'org.create' AND object_id = $1 AND actor = 'admin@demo.care.test'", itoa(o.ID)); n != 1 {
				t.Errorf("audit entries for the creation: %d", n)
			}
		})

		t.Run("move rewrites the subtree and refuses cycles and wrong levels", func(t *testing.T) {
			_, err := orgs.Update(admin, region1.ID, org.Patch{ParentID: &ght1.ID})
			if got := fieldKeys(err); !strings.Contains(got, "parent_id=org.error.cycle") {
				t.Errorf("moving a region under its own GHT: %s", got)
			}
			site := app.Org(t, "CHU de Port-Émeraude — Hôpital Nord")
			_, err = orgs.Update(admin, site.ID, org.Patch{ParentID: &ght2.ID})
			if got := fieldKeys(err); got != "parent_id=org.error.parent_level" {
				t.Errorf("moving a site under a GHT: %s", got)
			}
			moved, err := orgs.Update(admin, chu.ID, org.Patch{ParentID: &ght2.ID})
			if err != nil {
				t.Fatal(err)
			}
			if moved.Path != ght2.Path+itoa(chu.ID)+"/" || moved.ParentID != ght2.ID {
				t.Errorf("moved CHU: %+v", moved)
			}
			site = app.Org(t, "CHU de Port-Émeraude — Hôpital Nord")
			if site.Path != moved.Path+itoa(site.ID)+"/" {
				t.Errorf("the site did not follow its legal entity: %s", site.Path)
			}
			if n := count(t, d, "SELECT COUNT(*) FROM audit_log WHERE action = 'org.move' AND object_id = $1", itoa(chu.ID)); n != 1 {
				t.Errorf("audit entries for the move: %d", n)
			}
			if _, err := orgs.Update(admin, chu.ID, org.Patch{ParentID: &ght1.ID}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("archive hides the subtree until restored", func(t *testing.T) {
			archived := true
			if _, err := orgs.Update(admin, chu.ID, org.Patch{Archived: &archived}); err != nil {
				t.Fatal(err)
			}
			list, _, err := orgs.List(admin, org.Filter{Under: chu.Path})
			if err != nil || len(list) != 0 {
				t.Errorf("archived subtree still listed: %d (%v)", len(list), err)
			}
			all, _, _ := orgs.List(admin, org.Filter{Under: chu.Path, IncludeArchived: true})
			if len(all) != 3 {
				t.Errorf("archived subtree with archives: %d nodes, want 3", len(all))
			}
			if _, err := orgs.SetArchived(admin, chu.ID, false); err != nil {
				t.Fatal(err)
			}
			if list, _, _ := orgs.List(admin, org.Filter{Under: chu.Path}); len(list) != 3 {
				t.Errorf("restored subtree: %d nodes, want 3", len(list))
			}
			root, _ := orgs.Resolve(t.Context(), "national")
			if _, err := orgs.SetArchived(admin, root.ID, true); !problem.Is(err, problem.Conflict) {
				t.Errorf("archiving the root: %v", err)
			}
		})

		t.Run("scope: invisible is not found, visible but read-only is forbidden", func(t *testing.T) {
			rssi := as(t, app, "rssi@demo.care.test")
			list, total, err := orgs.List(rssi, org.Filter{})
			if err != nil || total != 3 || len(list) != 3 {
				t.Errorf("rssi of the CHU sees %d nodes (total %d), want the CHU and its 2 sites", len(list), total)
			}
			if _, total, _ := orgs.List(rssi, org.Filter{Query: "Clinique"}); total != 0 {
				t.Errorf("search leaks %d nodes outside the scope", total)
			}
			ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
			name := "Piraté"
			if _, err := orgs.Update(rssi, ch.ID, org.Patch{Name: &name}); !problem.Is(err, problem.NotFound) {
				t.Errorf("rssi editing a neighbour: %v, want not found", err)
			}
			if _, err := orgs.Get(rssi, ch.ID); !problem.Is(err, problem.NotFound) {
				t.Errorf("rssi reading a neighbour: %v", err)
			}
			lecteur := as(t, app, "lecteur@demo.care.test")
			ehpad := app.Org(t, "EHPAD Les Glycines")
			if _, err := orgs.Update(lecteur, ehpad.ID, org.Patch{Name: &name}); !problem.Is(err, problem.Forbidden) {
				t.Errorf("lecteur editing its own node: %v, want forbidden", err)
			}
			if got := app.Org(t, "EHPAD Les Glycines"); got.Name != "EHPAD Les Glycines" {
				t.Errorf("a refused edit changed the name to %q", got.Name)
			}
		})

		t.Run("import is all or nothing", func(t *testing.T) {
			before := count(t, d, "SELECT COUNT(*) FROM orgs")
			bad := "FINESS;Nom;Type;Catégorie;Région;GHT\n" +
				org.CompleteFINESS("35008801") + ";Bon;ES;public;R01;GHT-LE\n" +
				org.CompleteFINESS("35008802") + ";GHT inconnu;ES;public;R01;GHT-XX\n" +
				org.CompleteFINESS("35008803") + ";Région inconnue;ES;public;R99;\n" +
				chu.FINESS + ";Existe déjà;ES;public;R01;\n"
			rows, err := org.ParseCSV(strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			_, err = orgs.Import(admin, rows)
			if got := fieldKeys(err); got != "line=org.import.ght_unknown line=org.import.region_unknown line=org.import.finess_taken" {
				t.Errorf("import errors: %s", got)
			}
			if after := count(t, d, "SELECT COUNT(*) FROM orgs"); after != before {
				t.Errorf("a refused import wrote %d nodes", after-before)
			}
			good := org.CompleteFINESS("35008801") + ";Clinique du Port;ES;privé lucratif;Région Armor-Océan (fictive);GHT Littoral Émeraude\n" +
				org.CompleteFINESS("15008802") + ";EHPAD des Monts;ESSMS;public;r02;\n"
			rows, err = org.ParseCSV(strings.NewReader(good))
			if err != nil {
				t.Fatal(err)
			}
			n, err := orgs.Import(admin, rows)
			if err != nil || n != 2 {
				t.Fatalf("import: %d, %v", n, err)
			}
			if o := app.Org(t, "EHPAD des Monts"); o.ParentID != app.Org(t, "R02").ID || o.Kind != org.ESSMS {
				t.Errorf("an establishment outside any GHT hangs under its region: %+v", o)
			}
			if n := count(t, d, "SELECT COUNT(*) FROM audit_log WHERE action = 'org.import'"); n != 2 {
				t.Errorf("audit entries for the import: %d", n)
			}
			ghtRSSI := as(t, app, "rssi.ght@demo.care.test")
			rows, _ = org.ParseCSV(strings.NewReader(org.CompleteFINESS("63008803") + ";Hors GHT;ES;public;R02;GHT-VV\n"))
			if _, err := orgs.Import(ghtRSSI, rows); !strings.Contains(fieldKeys(err), "org.import.region_unknown") {
				t.Errorf("a GHT RSSI importing into another region: %v", err)
			}
		})
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
