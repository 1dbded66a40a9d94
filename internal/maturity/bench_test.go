package maturity_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// BenchmarkNationalRollUp measures the national roll-up page (HTML, as the national
// team opens it) over 38,000 generated establishments — 18 regions, 135 GHT — each
// with one validated cyber-maturity assessment, on SQLite and on PostgreSQL.
// It reports the median and the 95th percentile of the page's response time.
//
//	TEST_DATABASE_URL=… go test ./internal/maturity -run '^$' -bench NationalRollUp -benchtime 40x
func BenchmarkNationalRollUp(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = testkit.SQLite(b)
			} else {
				d = testkit.Postgres(b)
			}
			app := testkit.NewApp(b, d)
			start := time.Now()
			root, slug := generate(b, app, 38_000)
			b.Logf("%s: generated 38,000 establishments with validated assessments in %s", engine, time.Since(start).Round(time.Millisecond))
			c := app.Login(b, "pilote@demo.care.test")
			path := fmt.Sprintf("/syntheses?noeud=%d&questionnaire=%s", root, slug)
			if resp := app.Get(b, c, path); resp.StatusCode != 200 || !strings.Contains(testkit.BodyOf(resp), "38") {
				b.Fatalf("roll-up page: %d", resp.StatusCode)
			}
			testkit.PageLatency(b, c, app.URL+path)
		})
	}
}

// generate writes n establishments spread over 18 regions of 7 or 8 GHT each, with
// a validated assessment each, straight in SQL (ids chosen above the demo's), and
// returns the national root's id and the questionnaire's slug.
func generate(b *testing.B, app *testkit.App, n int) (int64, string) {
	ctx := context.Background()
	d := app.DB
	root, err := app.Server.Orgs.Resolve(ctx, "national")
	if err != nil {
		b.Fatal(err)
	}
	var qid int64
	if err := d.Read.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE slug = 'questionnaire-maturite'").Scan(&qid); err != nil {
		b.Fatal(err)
	}
	q, err := app.Server.Maturity.Questionnaire(ctx, qid)
	if err != nil {
		b.Fatal(err)
	}
	now := db.Now()
	type row = []any
	var orgs, assessments []row
	id := int64(1_000_000)
	levels := []string{"debutant", "intermediaire", "confirme"}
	const regions, ghtPerRegion = 18, 135.0 / 18
	ght := 0
	for r := range regions {
		id++
		region := id
		rpath := fmt.Sprintf("%s%d/", root.Path, region)
		orgs = append(orgs, row{region, root.ID, rpath, "region", fmt.Sprintf("Région %02d", r), "", nil, "", ""})
		var ghts []struct {
			id   int64
			path string
		}
		for range int(ghtPerRegion + float64(r%2)/2) {
			id++
			ght++
			p := fmt.Sprintf("%s%d/", rpath, id)
			orgs = append(orgs, row{id, region, p, "ght", fmt.Sprintf("GHT %03d", ght), "", nil, "", ""})
			ghts = append(ghts, struct {
				id   int64
				path string
			}{id, p})
		}
		for e := range n / regions {
			id++
			parent, ppath := region, rpath
			if e%5 != 0 { // four establishments in five belong to a GHT
				g := ghts[e%len(ghts)]
				parent, ppath = g.id, g.path
			}
			finess := fmt.Sprintf("%08d", id)
			orgs = append(orgs, row{id, parent, fmt.Sprintf("%s%d/", ppath, id), "legal_entity", "Établissement " + finess, "", finess + "0", "ES", "public"})
			var themes []string
			for i, t := range q.Themes {
				themes = append(themes, fmt.Sprintf("%s=%d", t.ID, (int(id)*7+i*13)%101))
			}
			pct := float64((int(id) * 37) % 101)
			assessments = append(assessments, row{id, id, qid, levels[int(pct)/34], pct, strings.Join(themes, ";")})
		}
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		if err := db.InsertRows(ctx, tx, "orgs (id, parent_id, path, level, name, code, finess, kind, category, created_at, updated_at)", orgs, now, now); err != nil {
			return err
		}
		return db.InsertRows(ctx, tx, "assessments (id, org_id, questionnaire_id, level, percent, theme_scores, status, latest, created_at, updated_at, validated_at)", assessments, "validated", true, now, now, now)
	})
	if err != nil {
		b.Fatal(err)
	}
	return root.ID, "questionnaire-maturite"
}
