package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// nationalSeed generates a programme of scale sc through the server's services.
func nationalSeed(sc demo.Scale, g *demo.Generated) func(context.Context, *db.DB, *server.Server) error {
	return func(ctx context.Context, d *db.DB, srv *server.Server) (err error) {
		*g, err = demo.National(ctx, d, demo.Services{Orgs: srv.Orgs, Accounts: srv.Accounts, Maturity: srv.Maturity, Exercises: srv.Exercises, Funding: srv.Funding}, sc, time.Now().UTC())
		return err
	}
}

// A generated programme has the 18 regions and the sizes asked for, history with
// one latest row per node and capability, and accounts that read their scope.
func TestNationalProgramme(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		sc := demo.Scale{Health: 120, MedicoSocial: 360, GHT: 20, Years: 3}
		var g demo.Generated
		app := testkit.NewAppSeeded(t, d, nationalSeed(sc, &g))
		ctx := context.Background()
		count := func(query string, args ...any) (n int) {
			t.Helper()
			if err := d.Read.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Each region gets its share, at least one: rounding moves totals by a few.
		if g.Regions != 18 || g.GHT < sc.GHT || g.GHT > sc.GHT+18 || g.Health < sc.Health-9 || g.Health > sc.Health+18 || g.MedicoSocial < sc.MedicoSocial-9 || g.MedicoSocial > sc.MedicoSocial+18 {
			t.Fatalf("generated %+v for %+v", g, sc)
		}
		if n := count("SELECT COUNT(*) FROM orgs WHERE level = 'legal_entity'"); n != g.Health+g.MedicoSocial {
			t.Errorf("%d legal entities stored, %d counted", n, g.Health+g.MedicoSocial)
		}
		if g.Assessments == 0 || g.Exercises == 0 || g.DirectoryAudits == 0 || g.ExposureScans == 0 || g.Plans == 0 || g.Candidatures == 0 {
			t.Fatalf("a capability has no history: %+v", g)
		}
		// One latest row per node, and it is the newest.
		for _, c := range []struct{ table, at, where string }{
			{"assessments", "validated_at", "status = 'validated'"},
			{"directory_audits", "collected_at", "TRUE"},
			{"exposure_scans", "finished_at", "status = 'done'"},
		} {
			nodes := count(fmt.Sprintf("SELECT COUNT(DISTINCT org_id) FROM %s WHERE %s", c.table, c.where))
			latest := count(fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE latest", c.table))
			newest := count(fmt.Sprintf("SELECT COUNT(*) FROM %[1]s x WHERE latest AND x.%[2]s = (SELECT MAX(y.%[2]s) FROM %[1]s y WHERE y.org_id = x.org_id AND %[3]s)", c.table, c.at, c.where))
			if nodes == 0 || latest != nodes || newest != nodes {
				t.Errorf("%s: %d nodes, %d latest rows, %d of them the newest", c.table, nodes, latest, newest)
			}
		}
		if n := count("SELECT COUNT(*) FROM exercises WHERE status = 'finished' AND finished_at > $1", time.Now()); n != 0 {
			t.Errorf("%d exercises finished in the future", n)
		}
		// The ARS of Bretagne reads its region's roll-up and not the nation's.
		var bretagne int64
		if err := d.Read.QueryRowContext(ctx, "SELECT id FROM orgs WHERE level = 'region' AND code = '53'").Scan(&bretagne); err != nil {
			t.Fatal(err)
		}
		var ru struct {
			Total struct {
				Establishments int `json:"establishments"`
			} `json:"total"`
		}
		ars := app.Token(t, "ars.bretagne@national.care.test")
		if resp := app.API(t, ars, "GET", fmt.Sprintf("/api/v1/rollups?org=%d&questionnaire=questionnaire-maturite", bretagne), nil, &ru); resp.StatusCode != 200 {
			t.Fatalf("regional roll-up: %d", resp.StatusCode)
		}
		want := count(`SELECT COUNT(*) FROM assessments a JOIN orgs o ON o.id = a.org_id JOIN orgs r ON o.path LIKE r.path || '%'
			WHERE a.latest AND r.id = $1`, bretagne)
		if ru.Total.Establishments != want || want == 0 {
			t.Errorf("Bretagne's roll-up counts %d establishments, the database %d", ru.Total.Establishments, want)
		}
		root := app.Org(t, "national")
		if resp := app.API(t, ars, "GET", fmt.Sprintf("/api/v1/rollups?org=%d&questionnaire=questionnaire-maturite", root.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("the ARS reads the national roll-up: %d", resp.StatusCode)
		}
		// A second run refuses a database that is not empty.
		if _, err := demo.National(ctx, d, demo.Services{Orgs: app.Server.Orgs}, sc, time.Now()); err == nil {
			t.Error("a second generation was accepted")
		}
	})
}
