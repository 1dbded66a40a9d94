package exercise_test

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

// At national scale the list of exercises comes a page at a time, under the node
// chosen, with the count of all: the nation holds tens of thousands.
func TestExerciseListPages(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		app := testkit.NewAppSeeded(t, d, func(ctx context.Context, d *db.DB, srv *server.Server) error {
			_, err := demo.National(ctx, d, demo.Services{Orgs: srv.Orgs, Accounts: srv.Accounts, Maturity: srv.Maturity, Exercises: srv.Exercises, Funding: srv.Funding},
				demo.Scale{Health: 60, MedicoSocial: 120, GHT: 18, Years: 3}, time.Now().UTC())
			return err
		})
		count := func(query string, args ...any) (n int) {
			if err := d.Read.QueryRow(query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		var bretagne int64
		var bpath string
		if err := d.Read.QueryRow("SELECT id, path FROM orgs WHERE level = 'region' AND code = '53'").Scan(&bretagne, &bpath); err != nil {
			t.Fatal(err)
		}
		all := count("SELECT COUNT(*) FROM exercises")
		inBretagne := count("SELECT COUNT(*) FROM exercises e JOIN orgs o ON o.id = e.org_id WHERE o.path LIKE $1", bpath+"%")
		if all <= 60 || inBretagne == 0 {
			t.Fatalf("dataset: %d exercises, %d in Bretagne", all, inBretagne)
		}
		type pageJSON struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
			Total  int `json:"total"`
			Limit  int `json:"limit"`
			Offset int `json:"offset"`
		}
		pilot := app.Token(t, "pilote@national.care.test")
		var p pageJSON
		if resp := app.API(t, pilot, "GET", "/api/v1/exercises?limit=10&offset=5", nil, &p); resp.StatusCode != 200 || p.Total != all || len(p.Items) != 10 || p.Offset != 5 {
			t.Fatalf("national page: %d, %d items of %d (want %d)", resp.StatusCode, len(p.Items), p.Total, all)
		}
		var b pageJSON
		app.API(t, app.Token(t, "ars.bretagne@national.care.test"), "GET", fmt.Sprintf("/api/v1/exercises?org=%d&limit=1000", bretagne), nil, &b)
		if b.Total != inBretagne || len(b.Items) != inBretagne {
			t.Errorf("Bretagne: %d items, total %d, want %d", len(b.Items), b.Total, inBretagne)
		}
		if resp := app.API(t, app.Token(t, "ars.bretagne@national.care.test"), "GET", fmt.Sprintf("/api/v1/exercises?org=%d", app.Org(t, "national").ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("the ARS lists the nation's exercises: %d", resp.StatusCode)
		}
		if resp := app.API(t, pilot, "GET", "/api/v1/exercises?limit=0", nil, nil); resp.StatusCode != 422 {
			t.Errorf("limit 0: %d", resp.StatusCode)
		}
		c := app.Login(t, "pilote@national.care.test")
		page := testkit.BodyOf(app.Get(t, c, "/exercices"))
		if !strings.Contains(page, fmt.Sprintf("Exercices 1 à 50 sur %d", all)) || !strings.Contains(page, "offset=50") || strings.Count(page, `<tr><td><a href="/exercices/`) != 50 {
			t.Errorf("the national list page:\n%.2000s", page[strings.Index(page, `id="h-list"`):])
		}
	})
}
