package continuity

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"care/internal/platform/heaptest"
	"care/internal/platform/problem"
)

// TestImportResourcesMemoryBudget feeds the register import files as large as
// its routes take (MaxImport) that cost much to read in full: a row of millions of
// cells, and far more rows than allowed. Reading is held to 64 MB of heap, and
// the file refused on its first offending row, before the database is used.
func TestImportResourcesMemoryBudget(t *testing.T) {
	const body, budget, runaway = MaxImport, 64 << 20, 1 << 30
	row := "DPI;application;4;1;3-2-1;oui;2026-01-15\n"
	tests := []struct {
		name string
		data []byte
		want string // the last fault, "field key args"
	}{
		{"a row of columns", []byte(strings.Repeat("x;", body/2)), "line sheet.columns [1 BM1 64]"},
		{"more rows than allowed", []byte("Nom;Type;RTO;RPO;Schéma;Copie hors ligne;Dernier test\n" + strings.Repeat(row, body/len(row)-2)),
			fmt.Sprintf("line continuity.import.too_many [%d %d]", MaxImportRows+2, MaxImportRows)},
	}
	s := &Service{} // no database: the file is refused first
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			var err error
			peak := heaptest.Peak(runaway, func() { n, err = s.ImportResources(t.Context(), 1, bytes.NewReader(tt.data)) })
			t.Logf("%d bytes read with a heap peak of %.1f MB", len(tt.data), float64(peak)/(1<<20))
			if peak > budget {
				t.Errorf("heap peak %d MB, over the budget of %d MB", peak>>20, budget>>20)
			}
			e, ok := problem.As(err)
			if n != 0 || !ok || len(e.Fields) == 0 {
				t.Fatalf("got %d, %v", n, err)
			}
			if f := e.Fields[len(e.Fields)-1]; fmt.Sprint(f.Field, " ", f.Key, " ", f.Args) != tt.want {
				t.Errorf("got %s %s %v, want %s", f.Field, f.Key, f.Args, tt.want)
			}
		})
	}
}
