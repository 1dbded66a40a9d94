package continuity_test

import (
	"bytes"
	"strings"
	"testing"

	"care/internal/continuity"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// FuzzImportResources: a register file is refused with reasons and nothing is
// written, or every row is written as a valid register entry. The import is all of
// a piece with its database writes, so the target runs it whole, on SQLite with the
// demo data, as the PCRA lead of the CHU.
//
// testdata/fuzz/FuzzImportResources holds a file that made the import panic before
// it read CSV with docs.ReadCSV: a bare quote in the first cell of a record left
// encoding/csv's reader without a field position, which the import asked for.
func FuzzImportResources(f *testing.F) {
	for _, s := range []string{
		"nom;type;rto;rpo;schéma;hors ligne;test\nPACS;application;4;1;3-2-1;oui;2026-01-10\nRIS;application;24;4;;non;\n",
		"\ufeffNom,Type,RTO,RPO,Schéma,Hors ligne,Test\r\n\"DPI, dossier patient\",application,8,1,\"3-2-1, immuable\",yes,2025-12-31\r\n\r\n",
		"nom;type;rto;rpo;schéma;hors ligne;test\nPACS;application;4;1;3-2-1;oui;2026-01-10\nRIS;logiciel;x;1;;peut-être;10/01/2026\n",
		"SIL;application;-1;99999;;;2026-02-30\n;application;;;;;\nx;y\n",
		"nom\xe9;type\n", "\"", "",
	} {
		f.Add([]byte(s))
	}
	app := testkit.NewApp(f, testkit.SQLite(f))
	ctx := testkit.As(f, app, "pcra@demo.care.test")
	s := app.Server.Continuity
	chu := app.Org(f, "CHU de Port-Émeraude").ID
	// count reads how many register entries there are, and the last id.
	count := func(t *testing.T) (n, last int64) {
		if err := app.DB.Read.QueryRow("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM resources").Scan(&n, &last); err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		before, last := count(t)
		n, err := s.ImportResources(ctx, chu, bytes.NewReader(data))
		after, _ := count(t)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			if after != before {
				t.Fatalf("refused, yet %d entries written", after-before)
			}
			return
		}
		if n < 1 || n > continuity.MaxImportRows || after != before+int64(n) {
			t.Fatalf("%d rows imported, %d entries written", n, after-before)
		}
		ov, err := s.Overview(ctx, chu)
		if err != nil {
			t.Fatal(err)
		}
		rows := ov.Resources
		written := 0
		for _, r := range rows {
			if r.ID <= last {
				continue
			}
			written++
			if err := continuity.CheckResource(r); err != nil || r.Name != strings.TrimSpace(r.Name) || r.OrgID != chu {
				t.Fatalf("entry written: %+v, %v", r, err)
			}
		}
		if written != n {
			t.Fatalf("%d rows imported, %d entries listed", n, written)
		}
	})
}
