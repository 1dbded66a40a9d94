package catalogue_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"care/internal/authz"
	"care/internal/catalogue"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// newCatalogue is a database holding the national root and the starting set,
// and a context acting as an administrator (the national pilot's rights).
func newCatalogue(t *testing.T, d *db.DB) (*catalogue.Service, context.Context) {
	t.Helper()
	root, err := (&org.Service{DB: d}).EnsureRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := &catalogue.Service{DB: d}
	if err := s.SyncShipped(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, authz.WithSubject(t.Context(), authz.Subject{Grants: []authz.Grant{{Role: authz.Admin, OrgID: root.ID, OrgPath: root.Path}}})
}

func titles(res catalogue.Result) []string {
	var out []string
	for _, o := range res.Items {
		out = append(out, o.Title)
	}
	return out
}

func offer(title, description string) catalogue.Offer {
	return catalogue.Offer{Title: title, Provider: "Test", ProviderType: "other", Themes: []string{"reconstruire"}, Audience: []string{"es"},
		Cost: "free", URL: "https://example.org/" + title, Description: description}
}

// Search finds "sauvegarde" when asked "SAUVEGARDÉ", and the reverse, on both
// engines; a word's beginning finds it ("sauvegard" → "sauvegardes").
func TestSearchIgnoresAccentsAndCase(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		s, ctx := newCatalogue(t, d)
		plain, err := s.Create(ctx, offer("Coffre", "Copie de sauvegarde hors ligne, déconnectée du réseau."))
		if err != nil {
			t.Fatal(err)
		}
		shouting, err := s.Create(ctx, offer("Armoire", "DONNÉES SAUVEGARDÉES CHAQUE NUIT."))
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string][]string{
			"SAUVEGARDÉ":         {"Armoire", "Coffre"},
			"sauvegarde":         {"Armoire", "Coffre"},
			"Sauvegardées":       {"Armoire"},
			"déconnectée réseau": {"Coffre"},
			"DECONNECTEE nuit":   nil,
			"sauvegarde rançon":  nil,
			"données sauvegard":  {"Armoire"},
		} {
			res, err := s.Search(ctx, catalogue.Query{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(res); !slices.Equal(got, want) || res.Total != len(want) {
				t.Errorf("%q found %v (total %d), want %v", q, got, res.Total, want)
			}
		}
		// A changed offer is searched by its new words, a deleted one no more.
		plain.Description = "Restauration testée chaque trimestre."
		if _, err := s.Update(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, shouting.ID); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string][]string{"sauvegarde": nil, "RESTAURATION": {"Coffre"}} {
			res, err := s.Search(ctx, catalogue.Query{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(res); !slices.Equal(got, want) {
				t.Errorf("after the change, %q found %v, want %v", q, got, want)
			}
		}
	})
}

// The facets count the offers a query keeps, per theme, audience and provider
// type; filters and pages agree with them.
func TestFacetsCountRight(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		s, ctx := newCatalogue(t, d)
		c, err := catalogue.Shipped()
		if err != nil {
			t.Fatal(err)
		}
		want := catalogue.Facets{Theme: map[string]int{}, Audience: map[string]int{}, ProviderType: map[string]int{}}
		total := 0
		for _, o := range c.ShippedOffers() {
			if !slices.Contains(o.Themes, "reagir") {
				continue
			}
			total++
			for _, th := range o.Themes {
				want.Theme[th]++
			}
			for _, a := range o.Audience {
				want.Audience[a]++
			}
			want.ProviderType[o.ProviderType]++
		}
		res, err := s.Search(ctx, catalogue.Query{Theme: "Réagir", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != total || len(res.Items) != 5 || res.Facets.Theme["reagir"] != total {
			t.Fatalf("total %d (want %d), %d items", res.Total, total, len(res.Items))
		}
		for _, m := range []struct{ got, want map[string]int }{{res.Facets.Theme, want.Theme}, {res.Facets.Audience, want.Audience}, {res.Facets.ProviderType, want.ProviderType}} {
			for k, n := range m.got {
				if n != m.want[k] {
					t.Errorf("facet %s: %d, want %d", k, n, m.want[k])
				}
			}
		}
		seen := map[int64]bool{}
		for offset := 0; offset < total; offset += 5 {
			page, err := s.Search(ctx, catalogue.Query{Theme: "reagir", ProviderType: "", Limit: 5, Offset: offset})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Items {
				if seen[o.ID] || !slices.Contains(o.Themes, "reagir") {
					t.Errorf("page at %d: %s", offset, o.Title)
				}
				seen[o.ID] = true
			}
		}
		if len(seen) != total {
			t.Errorf("the pages hold %d offers, want %d", len(seen), total)
		}
		cert, err := s.Search(ctx, catalogue.Query{Theme: "reagir", ProviderType: "cert_sante"})
		if err != nil || cert.Total != want.ProviderType["cert_sante"] {
			t.Errorf("CERT Santé offers to respond: %d, want %d (%v)", cert.Total, want.ProviderType["cert_sante"], err)
		}
		if _, err := s.Search(ctx, catalogue.Query{Theme: "guerir"}); !problem.Is(err, problem.BadRequest) {
			t.Errorf("unknown theme filter: %v", err)
		}
	})
}

func count(t *testing.T, s *catalogue.Service, ctx context.Context) int {
	t.Helper()
	res, err := s.Search(ctx, catalogue.Query{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// An import with an unknown theme stores nothing; a good workbook stores every
// row, searchable at once; only the national pilot imports.
func TestImportIsWhole(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		s, ctx := newCatalogue(t, d)
		before := count(t, s, ctx)
		rows := [][]any{{"Titre", "Fournisseur", "Type", "Thèmes", "Public", "Région", "Coût", "Lien", "Description"}}
		for i := range 12 {
			theme := "Reconstruire"
			if i == 10 { // the 11th data row: row 12 of the sheet
				theme = "Reconstruire; Guérir"
			}
			rows = append(rows, []any{"Offre de classeur", "Centrale test", "centrale d'achat", theme, "GHT", "", "contrat de centrale", "https://example.org/x", "Restauration hors site des SAUVEGARDES"})
		}
		book := func(rows [][]any) []byte {
			f := excelize.NewFile()
			for r, row := range rows {
				for c, v := range row {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					_ = f.SetCellValue("Sheet1", cell, v)
				}
			}
			var b bytes.Buffer
			if err := f.Write(&b); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		_, err := s.Import(ctx, book(rows), "offres.xlsx")
		e, ok := problem.As(err)
		if !ok || len(e.Fields) != 1 || e.Fields[0].Args[0] != 12 || e.Fields[0].Key != "catalogue.import.theme" {
			t.Fatalf("import with an unknown theme on row 12: %v", err)
		}
		if after := count(t, s, ctx); after != before {
			t.Fatalf("a refused import stored %d offers", after-before)
		}
		rows[11][3] = "Reconstruire"
		n, err := s.Import(ctx, book(rows), "offres.xlsx")
		if err != nil || n != 12 || count(t, s, ctx) != before+12 {
			t.Fatalf("good import: %d, %v", n, err)
		}
		res, err := s.Search(ctx, catalogue.Query{Q: "sauvegardés", ProviderType: "purchasing_central", Audience: "ght"})
		if err != nil || res.Total != 12 {
			t.Errorf("imported offers searched: %d, %v", res.Total, err)
		}
		reader := authz.WithSubject(t.Context(), authz.Subject{Grants: []authz.Grant{{Role: authz.Grades, OrgID: 1, OrgPath: "/1/"}}})
		if _, err := s.Import(reader, book(rows), "offres.xlsx"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("import by a GRADeS: %v", err)
		}
	})
}

// A shipped offer someone deleted does not come back at the next start; the
// others are still there, once each.
func TestDeletedShippedOfferStaysDeleted(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		s, ctx := newCatalogue(t, d)
		before := count(t, s, ctx)
		res, err := s.Search(ctx, catalogue.Query{Q: "MonAideCyber"})
		if err != nil || res.Total != 1 || res.Items[0].Ref != "monaidecyber" {
			t.Fatalf("%+v %v", res, err)
		}
		if err := s.Delete(ctx, res.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncShipped(ctx); err != nil {
			t.Fatal(err)
		}
		if after := count(t, s, ctx); after != before-1 {
			t.Errorf("%d offers after the sync, want %d", after, before-1)
		}
	})
}
