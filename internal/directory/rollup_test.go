package directory_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"strconv"
	"testing"
	"time"

	"care/internal/directory"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// tinyDomain is a valid snapshot whose only fault is the machine-account quota
// (level 4).
func tinyDomain(at time.Time) *directory.Snapshot {
	return &directory.Snapshot{Format: directory.SnapshotFormat, CollectedAt: at, Server: "dc.local:636", BaseDN: "DC=val,DC=local",
		Domain: directory.Domain{DNSName: "val.local", SID: "S-1-5-21-7-8-9", FunctionalLevel: 10, ForestLevel: 10, MachineAccountQuota: 10, SmartcardExpire: "TRUE"}}
}

// The roll-up of a GHT, a region and the nation holds the latest audit of every
// audited node the reader may see, and nothing else.
func TestRollUp(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chv := app.Org(t, "Centre hospitalier de Val-Sainte-Claire")
		admin := testkit.As(t, app, "admin@demo.care.test")
		if _, err := app.Server.Directory.Record(admin, chv.ID, tinyDomain(time.Now().Add(-time.Hour)), directory.SourceImport); err != nil {
			t.Fatal(err)
		}
		// An audit belongs to a GHT, an establishment or a site, not to a region.
		r1 := app.Org(t, "Région Armor-Océan (fictive)")
		if _, err := app.Server.Directory.Record(admin, r1.ID, tinyDomain(time.Now()), directory.SourceImport); !problem.Is(err, problem.Conflict) {
			t.Fatalf("audit attached to a region: %v", err)
		}

		type rollup struct {
			ByLevel map[string]int `json:"by_level"`
			Rows    []struct {
				Name  string `json:"name"`
				Level int    `json:"level"`
				Open  int    `json:"open_checkpoints"`
			} `json:"rows"`
		}
		get := func(email, node string) (rollup, int) {
			var out rollup
			resp := app.API(t, app.Token(t, email), "GET", "/api/v1/orgs/"+strconv.FormatInt(app.Org(t, node).ID, 10)+"/directory/rollup", nil, nil)
			if resp.StatusCode == 200 {
				app.API(t, app.Token(t, email), "GET", "/api/v1/orgs/"+strconv.FormatInt(app.Org(t, node).ID, 10)+"/directory/rollup", nil, &out)
			}
			return out, resp.StatusCode
		}
		national, _ := get("admin@demo.care.test", "national")
		if len(national.Rows) != 2 || national.ByLevel["2"] != 1 || national.ByLevel["4"] != 1 {
			t.Fatalf("national roll-up: %+v", national)
		}
		if national.Rows[0].Name != "CHU de Port-Émeraude" || national.Rows[0].Level != 2 || national.Rows[0].Open != 3 {
			t.Errorf("worst first, with its open checkpoints: %+v", national.Rows[0])
		}
		region, _ := get("ars@demo.care.test", "Région Armor-Océan (fictive)")
		if len(region.Rows) != 1 || region.Rows[0].Name != "CHU de Port-Émeraude" {
			t.Errorf("the ARS of Armor-Océan sees %+v", region.Rows)
		}
		ght, _ := get("rssi.ght@demo.care.test", "GHT Littoral Émeraude")
		if len(ght.Rows) != 1 {
			t.Errorf("the GHT sees %+v", ght.Rows)
		}
		if _, status := get("ars@demo.care.test", "national"); status != 404 {
			t.Errorf("the ARS reads the national roll-up: %d", status)
		}
		if _, status := get("lecteur@demo.care.test", "GHT Littoral Émeraude"); status != 404 {
			t.Errorf("the EHPAD's reader reads its GHT's roll-up: %d", status)
		}
		// The EHPAD's reader sees its own node, with nothing audited.
		own, status := get("lecteur@demo.care.test", "EHPAD Les Glycines")
		if status != 200 || len(own.Rows) != 0 {
			t.Errorf("the EHPAD's own roll-up: %d %+v", status, own)
		}
	})
}

// The API takes the snapshot files the page takes: the route table gives both the
// same body limit (a 2 MiB file used to be cut at 1 MiB through the API).
func TestLargeSnapshotThroughTheAPI(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	chv := app.Org(t, "Centre hospitalier de Val-Sainte-Claire")
	admin := app.Token(t, "admin@demo.care.test")
	path := "/api/v1/orgs/" + strconv.FormatInt(chv.ID, 10) + "/directory"
	var k struct {
		ImportKey string `json:"import_key"`
	}
	app.API(t, admin, "GET", path+"/import-key", nil, &k)
	snap := tinyDomain(time.Now().Add(-time.Minute))
	at := time.Now().Add(-24 * time.Hour)
	for i := range 60000 {
		name := rand.Text() + rand.Text()
		snap.Objects = append(snap.Objects, directory.Object{DN: "CN=" + name + ",OU=Lab,DC=val,DC=local", Class: directory.ClassUser,
			Name: name[:20], SID: "S-1-5-21-7-8-9-" + strconv.Itoa(2000+i), UAC: 0x200, Created: at, Changed: at})
	}
	var file bytes.Buffer
	if err := directory.WriteSnapshot(&file, snap, []byte(k.ImportKey)); err != nil {
		t.Fatal(err)
	}
	if file.Len() < 2<<20 {
		t.Fatalf("the file is only %d bytes", file.Len())
	}
	req, _ := http.NewRequest("POST", app.URL+path+"/imports", bytes.NewReader(file.Bytes()))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/octet-stream")
	if resp := app.Do(t, http.DefaultClient, req); resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d-byte snapshot through the API: %d %.300s", file.Len(), resp.StatusCode, testkit.BodyOf(resp))
	}
}

// Each node has one latest audit, moved in the transaction that stores a newer
// one: the roll-up reads that row, whatever the history behind it.
func TestLatestAuditMovesWithEachAudit(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		chv := app.Org(t, "Centre hospitalier de Val-Sainte-Claire")
		admin := testkit.As(t, app, "admin@demo.care.test")
		latest := func() (ids []int64) {
			rows, err := d.Read.Query("SELECT id FROM directory_audits WHERE org_id = $1 AND latest", chv.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				_ = rows.Scan(&id)
				ids = append(ids, id)
			}
			return ids
		}
		var newest int64
		for i, hoursAgo := range []int{30, 20, 10} {
			snap := tinyDomain(time.Now().Add(-time.Duration(hoursAgo) * time.Hour))
			snap.Domain.MachineAccountQuota = i // a different snapshot each time
			a, err := app.Server.Directory.Record(admin, chv.ID, snap, directory.SourceImport)
			if err != nil {
				t.Fatal(err)
			}
			newest = a.ID
			if got := latest(); len(got) != 1 || got[0] != newest {
				t.Fatalf("after audit %d the latest rows are %v", newest, got)
			}
		}
	})
}
