package org_test

import (
	"context"
	"testing"

	"care/internal/authz"
	"care/internal/funding"
	"care/internal/org"
	"care/internal/testkit"
)

// The SQL expression of the candidate category gives, for every health legal
// entity of the demo tree (GHT members, public and private ones under their
// region), the category funding.CategoryOf gives one candidate: the four
// categories of the Domaine 1 call.
func TestCandidateCategorySQL(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		ctx := authz.WithSubject(context.Background(), app.Root(t))
		r1 := app.Org(t, "Région Armor-Océan (fictive)")
		if _, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: r1.ID, Level: org.LegalEntity, Name: "Hôpital local de Kerbrat", FINESS: org.CompleteFINESS("35009901"), Kind: org.ES, Category: org.Public}); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Read.QueryContext(ctx, `SELECT o.id, p.level, `+org.CandidateCategorySQL("o", "p")+` FROM orgs o JOIN orgs p ON p.id = o.parent_id
			WHERE o.level = 'legal_entity' AND o.kind = 'ES' ORDER BY o.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := map[string]int{}
		for rows.Next() {
			var id int64
			var parent, cat string
			if err := rows.Scan(&id, &parent, &cat); err != nil {
				t.Fatal(err)
			}
			o, err := app.Server.Orgs.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := funding.CategoryOf(o, org.Level(parent)); cat != want {
				t.Errorf("%s: SQL says %q, funding %q", o.Name, cat, want)
			}
			seen[cat]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, c := range org.CandidateCategories {
			if seen[c] == 0 {
				t.Errorf("no establishment of category %s in the tree: %v", c, seen)
			}
		}
	})
}
