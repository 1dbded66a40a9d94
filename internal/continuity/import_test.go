package continuity_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The register import reads a CSV as a spreadsheet writes it — BOM, ';', CRLF, a
// quoted cell over two lines, blank lines — and reports every faulty line by the
// row a spreadsheet shows, in the caller's language; a file with a cell beyond
// the columns read is refused before anything is written.
func TestImportApplicationsCSV(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		pcra := app.Token(t, "pcra@demo.care.test")
		path := fmt.Sprintf("/api/v1/orgs/%d/applications/import", app.Org(t, "CHU de Port-Émeraude").ID)
		type problemDoc struct {
			Errors []struct{ Detail string }
		}
		details := func(p problemDoc) []string {
			var out []string
			for _, e := range p.Errors {
				out = append(out, e.Detail)
			}
			return out
		}

		good := "\ufeffNom;Type;RTO;RPO;Sauvegarde;Copie hors ligne;Dernier test\r\n" +
			"DPI importé;application;8;1;\"3-2-1\r\nexternalisée\";oui;2026-01-15\r\n\r\n;;;;;;\r\nPACS importé;application;;;;non;\r\n"
		var created struct{ Created int }
		if resp := app.API(t, pcra, "POST", path, good, &created); resp.StatusCode != 201 || created.Created != 2 {
			t.Fatalf("good file: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}

		bad := "nom;type;rto;rpo;schéma;copie;test\n" +
			"A;application;x;1;;oui;\n" +
			"\"B\nsur deux lignes\";application\n" +
			"C;application;1;1;\"3-2-1;oui;\n"
		var p problemDoc
		if resp := app.API(t, pcra, "POST", path, bad, &p); resp.StatusCode != 422 {
			t.Fatalf("bad file: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		want := []string{
			"Ligne 2 : durée invalide « x ».",
			"Ligne 3 : nombre de colonnes (2) différent des 7 attendues (nom, type, RTO, RPO, schéma, copie hors ligne, dernier test).",
			"Ligne 4 : CSV illisible.",
		}
		if got := details(p); !slices.Equal(got, want) {
			t.Errorf("bad file:\n got %q\nwant %q", got, want)
		}

		p = problemDoc{}
		wide := "nom;type;rto;rpo;schéma;copie;test\n" + strings.Repeat("x;", 100_000) + "\n"
		if resp := app.API(t, pcra, "POST", path, wide, &p); resp.StatusCode != 422 {
			t.Fatalf("wide file: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if got := details(p); !slices.Equal(got, []string{"Ligne 2 : la cellule BM2 est au-delà des 64 colonnes lues ; videz-la ou supprimez la colonne."}) {
			t.Errorf("wide file: got %q", got)
		}
	})
}
