package docs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"iter"
	"strings"
	"testing"
	"unicode/utf8"

	"care/internal/platform/problem"
)

// The fuzz targets use the package's exported names only, so that they outlive a
// change of its insides.

// fuzzWorkbook builds an XLSX package around a sheet's XML (inside <sheetData>),
// shared strings and styles.
func fuzzWorkbook(sheetData, shared, styles string) []byte {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	rel := func(id int, kind, target string) string {
		return fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s"/>`, id, kind, target)
	}
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, p := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rel(1, "officeDocument", "xl/workbook.xml") + `</Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rel(1, "worksheet", "worksheets/sheet1.xml") + rel(2, "sharedStrings", "sharedStrings.xml") + rel(3, "styles", "/xl/styles.xml") + `</Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `><sheetData>` + sheetData + `</sheetData></worksheet>`},
		{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst ` + ns + `>` + shared + `</sst>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8"?><styleSheet ` + ns + `>` + styles + `</styleSheet>`},
	} {
		w, _ := z.Create(p[0])
		w.Write([]byte(p[1]))
	}
	z.Close()
	return b.Bytes()
}

// limits are the options' limits with their defaults.
func limits(o SheetOptions) (rows, cols, cell int) {
	rows, cols, cell = o.MaxRows, o.MaxCols, o.MaxCell
	if rows <= 0 {
		rows = DefaultMaxRows
	}
	if cols <= 0 {
		cols = MaxColumns
	}
	if cell <= 0 {
		cell = MaxCellChars
	}
	return rows, cols, cell
}

// fuzzOptions are tight limits or the defaults, as the fuzzer's flags choose, so
// that every limit is met.
func fuzzOptions(flags uint8) SheetOptions {
	var o SheetOptions
	if flags&1 != 0 {
		o.MaxRows, o.MaxCols, o.MaxCell = 3, 4, 8
	}
	if flags&2 != 0 {
		o.Header = func(cells []string) bool {
			return len(cells) > 0 && strings.EqualFold(strings.TrimSpace(cells[0]), "ref")
		}
	}
	o.LazyQuotes, o.TrimLeadingSpace = flags&4 != 0, flags&8 != 0
	return o
}

// checkRows reads every row and holds the reader to its word: rows numbered
// upwards, none blank, within the row, column and cell limits, a header counted
// apart; a fault is a problem and the last thing yielded.
func checkRows(t *testing.T, seq iter.Seq2[Row, error], o SheetOptions) {
	t.Helper()
	maxRows, maxCols, maxCell := limits(o)
	rows, last, faulted := 0, 0, false
	for r, err := range seq {
		if faulted {
			t.Fatal("a row after the fault")
		}
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("row %d: fault without a reason: %v", r.N, err)
			}
			faulted = true
			continue
		}
		if r.N <= last || strings.TrimSpace(strings.Join(r.Cells, "")) == "" || len(r.Cells) > maxCols {
			t.Fatalf("row %d after %d: %d cells %q", r.N, last, len(r.Cells), r.Cells)
		}
		for _, c := range r.Cells {
			if utf8.RuneCountInString(c) > maxCell || !utf8.ValidString(c) {
				t.Fatalf("row %d: cell %q", r.N, c)
			}
		}
		if rows == 0 && last == 0 && o.Header != nil && o.Header(r.Cells) {
			last = r.N
			continue
		}
		last = r.N
		if rows++; rows > maxRows {
			t.Fatalf("row %d: %d data rows, over %d", r.N, rows, maxRows)
		}
	}
}

// FuzzReadCSVLimits: whatever the bytes (not UTF-8, a BOM, separators, quotes),
// the CSV reader keeps to its limits and faults with reasons (FuzzReadCSV compares
// what it reads with encoding/csv on the texts both can read).
func FuzzReadCSVLimits(f *testing.F) {
	for _, s := range []string{"ref;a;b\n1;\"x\ny\";z\n\n2;;\n3;4;5;6;7\n", "\ufeffa,b\r\n\"c\"\"d\",e", strings.Repeat(";", 100) + "x\n",
		"a\n" + strings.Repeat("b\n", 10), "\"" + strings.Repeat("é", 20) + "\"", "d\xe9j\xe0\n", "a\"b,c\n", "\"a\"b,\"c\n", "\r\r\n\r"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(15))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		if len(data) > 64<<10 {
			return
		}
		o := fuzzOptions(flags)
		checkRows(t, ReadCSV(data, o), o)
	})
}

// FuzzReadXLSX: a workbook, whole from the fuzzer's bytes or (parts) built from a
// sheet, shared strings and styles it writes, is read within the limits, and any
// fault is a problem; nothing panics or runs away, whatever the XML says.
func FuzzReadXLSX(f *testing.F) {
	const styles = `<numFmts count="1"><numFmt numFmtId="164" formatCode="[h]:mm"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="20"/><xf numFmtId="164"/></cellXfs>`
	sheets := []string{
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c>` +
			`<c r="B3" s="1"><v>0.0625</v></c><c r="C3" s="2"><v>1.5</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="str"><f>A1</f><v>=x</v></c></row>`,
		`<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c></row><row/><row><c/><c r="XFD3"><v>2</v></c></row>`,
		`<row r="2"/><row r="1"/>`, strings.Repeat("<x>", 40), `<row r="1048577"><c r="A1048577"><v>1</v></c></row>`,
	}
	const shared = `<si><t>Réf</t></si><si><t xml:space="preserve"> Heure _x000D_</t></si>`
	for _, s := range sheets {
		f.Add([]byte(s), []byte(shared), []byte(styles), true, uint8(0))
		f.Add([]byte(s), []byte(shared), []byte(styles), true, uint8(3))
		f.Add(fuzzWorkbook(s, shared, styles), []byte{}, []byte{}, false, uint8(0))
	}
	f.Add([]byte("PK\x03\x04"), []byte{}, []byte{}, false, uint8(0))
	f.Fuzz(func(t *testing.T, data, sharedXML, stylesXML []byte, parts bool, flags uint8) {
		if len(data)+len(sharedXML)+len(stylesXML) > 64<<10 {
			return
		}
		if parts {
			data = fuzzWorkbook(string(data), string(sharedXML), string(stylesXML))
		}
		o := fuzzOptions(flags)
		checkRows(t, ReadXLSX(data, o), o)
	})
}
