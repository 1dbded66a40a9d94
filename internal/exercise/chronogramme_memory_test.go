package exercise

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"care/internal/platform/docs"
	"care/internal/platform/heaptest"
	"care/internal/platform/problem"
)

const (
	// chronogrammeBody is the request body limit of the chronogramme routes,
	// server.MaxBody: they are not among the uploads given a larger one.
	chronogrammeBody = 1 << 20
	// importBudget is the heap one uploaded chronogramme may take.
	importBudget = 64 << 20
	// runaway stops a test of a parser that pads rows before it takes the machine.
	runaway = 1 << 30
	// room is what a file may weigh, the multipart envelope aside.
	room = chronogrammeBody - 8<<10
)

// craftedXLSX is a workbook as large as the chronogramme routes take, its sheet
// holding as many rows as fit, each with the cell cell (a format taking the row
// number). Its sheet inflates to less than docs.MaxUnzipMB, so that it is
// opened, as it was by the excelize reader.
func craftedXLSX(t *testing.T, cell string) []byte {
	t.Helper()
	build := func(rows int) ([]byte, int) {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		write := func(name, content string) io.Writer {
			w, err := z.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, content); err != nil {
				t.Fatal(err)
			}
			return w
		}
		write("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
		write("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
		write("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" `+
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
		write("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
		const head = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
		w := write("xl/worksheets/sheet1.xml", head)
		size := len(head)
		for i := 1; i <= rows; i++ {
			n, err := fmt.Fprintf(w, `<row r="%d">`+cell+`</row>`, i, i)
			if err != nil {
				t.Fatal(err)
			}
			size += n
		}
		n, _ := io.WriteString(w, `</sheetData></worksheet>`)
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes(), size + n
	}
	// Measure, then fill the body limit.
	rows := 100_000
	data, _ := build(rows)
	var size int
	for rows = rows * room / len(data); ; rows -= rows / 50 {
		if data, size = build(rows); len(data) <= room {
			break
		}
	}
	if size > docs.MaxUnzipMB<<20 {
		t.Fatalf("crafted workbook: %d bytes, %d inflated", len(data), size)
	}
	t.Logf("crafted workbook: %d bytes, %d MB inflated", len(data), size>>20)
	return data
}

// TestChronogrammeImportMemoryBudget feeds ParseChronogramme files that cost
// little to upload and much to read in full — the 12 KB workbook of 2,000 rows
// with a cell in column XFD took the server from 56 to 891 MB — and holds the
// reading to importBudget. Each file is refused, on its first offending row.
func TestChronogrammeImportMemoryBudget(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	tests := []struct {
		name, filename string
		data           []byte
		want           string // the first fault, "field key args"
	}{
		{"XLSX, a cell in column XFD on every row", "c.xlsx", craftedXLSX(t, `<c r="XFD%d"><v>1</v></c>`), "ligne 1 sheet.columns [1 XFD1 64]"},
		{"XLSX, more rows than allowed", "c.xlsx", craftedXLSX(t, `<c r="A%d" t="inlineStr"><is><t>x</t></is></c>`),
			fmt.Sprintf("ligne %d exercise.import.too_many [%[1]d %d]", MaxChronogrammeRows+2, MaxChronogrammeRows)},
		{"CSV, a row of columns", "c.csv", []byte(strings.Repeat("x;", room/2)), "ligne 1 sheet.columns [1 BM1 64]"},
		{"CSV, more rows than allowed", "c.csv", []byte(strings.Repeat("x\n", room/2)),
			fmt.Sprintf("ligne %d exercise.import.too_many [%[1]d %d]", MaxChronogrammeRows+2, MaxChronogrammeRows)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []Line
			var err error
			peak := heaptest.Peak(runaway, func() { lines, err = ParseChronogramme(tt.data, tt.filename, k) })
			t.Logf("%d bytes read with a heap peak of %.1f MB", len(tt.data), float64(peak)/(1<<20))
			if peak > importBudget {
				t.Errorf("heap peak %d MB, over the budget of %d MB", peak>>20, importBudget>>20)
			}
			e, ok := problem.As(err)
			if lines != nil || !ok || len(e.Fields) == 0 {
				t.Fatalf("got %d lines, %v", len(lines), err)
			}
			if f := e.Fields[0]; fmt.Sprint(f.Field, " ", f.Key, " ", f.Args) != tt.want {
				t.Errorf("got %s %s %v, want %s", f.Field, f.Key, f.Args, tt.want)
			}
		})
	}
}
