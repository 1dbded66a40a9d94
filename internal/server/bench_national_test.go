package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/demo"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// BenchmarkNational measures the views the national team and an ARS referent open,
// on the national dataset (`care demo --scale national`: 18 regions, about 135 GHT,
// 38,000 structures, five years of history), on SQLite and on PostgreSQL, and
// logs the dataset's generation time. Each view reports its median and 95th
// percentile. The directory roll-up query is also timed as it was before the
// latest flag (the newest audit looked up per node through the history).
//
//	TEST_DATABASE_URL=… go test ./internal/server -run '^$' -bench National -benchtime 30x -timeout 60m
func BenchmarkNational(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = testkit.SQLite(b)
			} else {
				d = testkit.Postgres(b)
			}
			var g demo.Generated
			app := testkit.NewAppSeeded(b, d, func(ctx context.Context, d *db.DB, srv *server.Server) (err error) {
				g, err = demo.National(ctx, d, demo.Services{Orgs: srv.Orgs, Accounts: srv.Accounts, Maturity: srv.Maturity, Exercises: srv.Exercises, Funding: srv.Funding}, demo.NationalScale, time.Now().UTC())
				return err
			}, func(c *server.Config) { c.NoLoops = true })
			b.Logf("%s: generated %d regions, %d GHT, %d health establishments, %d medico-social structures, %d assessments, %d exercises, %d directory audits, %d exposure scans, %d plans, %d candidatures in %s",
				engine, g.Regions, g.GHT, g.Health, g.MedicoSocial, g.Assessments, g.Exercises, g.DirectoryAudits, g.ExposureScans, g.Plans, g.Candidatures, g.Took.Round(100*time.Millisecond))
			root := app.Org(b, "national").ID
			var bretagne int64
			if err := d.Read.QueryRow("SELECT id FROM orgs WHERE level = 'region' AND code = '53'").Scan(&bretagne); err != nil {
				b.Fatal(err)
			}
			pilot := app.Login(b, "pilote@national.care.test")
			ars := app.Login(b, "ars.bretagne@national.care.test")
			for _, v := range []struct {
				name string
				as   string
				path string
			}{
				{"national/home", "pilot", "/"},
				{"national/maturity", "pilot", fmt.Sprintf("/syntheses?noeud=%d&questionnaire=questionnaire-maturite", root)},
				{"national/directory", "pilot", fmt.Sprintf("/annuaire?org=%d", root)},
				{"national/candidatures", "pilot", "/financement/candidatures"},
				{"national/programme", "pilot", fmt.Sprintf("/programme?org=%d", root)},
				{"region/home", "ars", "/"},
				{"region/maturity", "ars", fmt.Sprintf("/syntheses?noeud=%d&questionnaire=questionnaire-maturite", bretagne)},
				{"region/directory", "ars", fmt.Sprintf("/annuaire?org=%d", bretagne)},
				{"region/candidatures", "ars", "/financement/candidatures"},
				{"region/programme", "ars", fmt.Sprintf("/programme?org=%d", bretagne)},
			} {
				c := pilot
				if v.as == "ars" {
					c = ars
				}
				b.Run(v.name, func(b *testing.B) { testkit.PageLatency(b, c, app.URL+v.path) })
			}
			// The directory roll-up's query, national scope: the latest flag against the
			// newest audit looked up per node, as the query read before.
			scope := "o.path LIKE '" + strings.ReplaceAll(app.Org(b, "national").Path, "'", "''") + "%'"
			for name, latest := range map[string]string{
				"directory-rollup-query/latest-flag": "a.latest",
				"directory-rollup-query/history":     "a.id = (SELECT l.id FROM directory_audits l WHERE l.org_id = a.org_id ORDER BY l.collected_at DESC, l.id DESC LIMIT 1)",
			} {
				query := "SELECT o.id, a.level FROM directory_audits a JOIN orgs o ON o.id = a.org_id WHERE o.archived_at IS NULL AND " + scope + " AND " + latest + " ORDER BY a.level, o.name"
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						rows, err := d.Read.Query(query)
						if err != nil {
							b.Fatal(err)
						}
						n := 0
						for rows.Next() {
							n++
						}
						rows.Close()
						if n == 0 {
							b.Fatal("no row")
						}
					}
				})
			}
		})
	}
}
