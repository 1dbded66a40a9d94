package org

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"care/internal/platform/problem"
)

// FuzzParseCSV: an establishments file is refused with reasons, or read into rows
// that each carry a valid and unique FINESS, a name, a kind, a category and a region,
// in file order; written again as CSV, the rows read back the same.
//
// testdata/fuzz/FuzzParseCSV holds the files that made ParseCSV panic before the
// imports read CSV with docs.ReadCSV: a bare quote in the first cell of a record
// left encoding/csv's reader without a field position, which ParseCSV asked for.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"FINESS;Nom;Type;Catégorie;Région;GHT\n750712184;AP-HP;ES;public;R01;\n330781196;CHU de Bordeaux;es;Public;Nouvelle-Aquitaine;GHT Alliance de Gironde\n",
		"\ufeff750712184,\"AP-HP, siège\",es,Privé non lucratif,Île-de-France,\n",
		"FINESS;Nom;Type;Catégorie;Région;GHT\r\n2A0000021;EHPAD du Port;ESSMS;privé commercial;Corse;\r\n\r\n 750712184 ; \"Nom \"\"cité\"\"\" ;ES;ESPIC;R01;G\r\n",
		"FINESS;Nom;Type;Catégorie;Région;GHT\n750712185;Mauvaise clé;ES;public;R01;\n123;;ESSMS;inconnue;;\ntoo;few\n",
		"750712184;\"Nom\nsur deux lignes\";ES;public;R01;\n750712184;Doublon;ES;public;R01;\n",
		"d\xe9j\xe0;vu\n", "\"", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256<<10 {
			return
		}
		rows, err := ParseCSV(bytes.NewReader(data))
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			if rows != nil {
				t.Fatalf("refused, yet %d rows", len(rows))
			}
			return
		}
		if len(rows) == 0 || len(rows) > MaxImportRows {
			t.Fatalf("%d rows", len(rows))
		}
		seen := map[string]bool{}
		for i, r := range rows {
			switch {
			case CheckFINESS(r.FINESS) != "" || seen[r.FINESS]:
				t.Fatalf("row %+v: FINESS bad or twice", r)
			case r.Name == "" || r.Name != strings.TrimSpace(r.Name) || r.Region == "" || r.Region != strings.TrimSpace(r.Region) || r.GHT != strings.TrimSpace(r.GHT):
				t.Fatalf("row %+v: name, region or GHT", r)
			case r.Kind != ES && r.Kind != ESSMS || !slices.Contains(Categories, r.Category):
				t.Fatalf("row %+v: kind or category", r)
			case i > 0 && r.Line <= rows[i-1].Line:
				t.Fatalf("rows out of order: %+v after %+v", r, rows[i-1])
			}
			seen[r.FINESS] = true
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Comma = ';'
		w.Write([]string{"FINESS", "Nom", "Type", "Catégorie", "Région", "GHT"})
		for _, r := range rows {
			w.Write([]string{r.FINESS, r.Name, string(r.Kind), string(r.Category), r.Region, r.GHT})
		}
		w.Flush()
		back, err := ParseCSV(&b)
		if err != nil || len(back) != len(rows) {
			t.Fatalf("written again, read as %d rows, %v:\n%s", len(back), err, b.String())
		}
		for i := range rows {
			got, want := back[i], rows[i]
			got.Line, want.Line = 0, 0
			if got != want {
				t.Fatalf("written again, %+v read as %+v", want, got)
			}
		}
	})
}
