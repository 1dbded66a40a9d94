package org

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"care/internal/platform/heaptest"
	"care/internal/platform/problem"
)

// TestParseCSVMemoryBudget feeds ParseCSV files as large as the import routes
// take (MaxImportBytes) that cost much to read in full: a row of millions of
// cells, and far more rows than allowed. Reading is held to 64 MB of heap, and
// the file refused on its first offending row.
func TestParseCSVMemoryBudget(t *testing.T) {
	const budget, runaway = 64 << 20, 1 << 30
	row := "750712184;AP-HP;ES;public;R01;\n"
	tests := []struct {
		name string
		data []byte
		want string // the last fault, "field key args"
	}{
		{"a row of columns", []byte(strings.Repeat("x;", MaxImportBytes/2)), "line sheet.columns [1 BM1 64]"},
		{"more rows than allowed", uniqueRows(MaxImportBytes), fmt.Sprintf("line org.import.too_many [%d %d]", MaxImportRows+2, MaxImportRows)},
		{"a fault on every row", []byte("FINESS;Nom;Type;Catégorie;Région;GHT\n" + strings.Repeat(row, MaxImportBytes/len(row)-2)),
			fmt.Sprintf("line org.import.too_many_faults [%d]", maxFaults)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows []ImportRow
			var err error
			peak := heaptest.Peak(runaway, func() { rows, err = ParseCSV(bytes.NewReader(tt.data)) })
			t.Logf("%d bytes read with a heap peak of %.1f MB", len(tt.data), float64(peak)/(1<<20))
			if peak > budget {
				t.Errorf("heap peak %d MB, over the budget of %d MB", peak>>20, budget>>20)
			}
			e, ok := problem.As(err)
			if rows != nil || !ok || len(e.Fields) == 0 {
				t.Fatalf("got %d rows, %v", len(rows), err)
			}
			if f := e.Fields[len(e.Fields)-1]; fmt.Sprint(f.Field, " ", f.Key, " ", f.Args) != tt.want {
				t.Errorf("got %s %s %v, want %s", f.Field, f.Key, f.Args, tt.want)
			}
		})
	}
}

// uniqueRows is an organisation file of about size bytes whose rows are all
// valid, each with its own FINESS number.
func uniqueRows(size int) []byte {
	var b strings.Builder
	b.WriteString("FINESS;Nom;Type;Catégorie;Région;GHT\n")
	for i := 0; b.Len() < size-64; i++ {
		payload := fmt.Sprintf("%08d", 10000000+i)
		fmt.Fprintf(&b, "%s%c;Établissement %d;ES;public;R01;\n", payload, luhnKey(payload), i)
	}
	return []byte(b.String())
}
