package docs

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/problem"
)

// readAll collects the rows of a reader, and its fault as "field key args".
func readAll(seq func(func(Row, error) bool)) ([]Row, string) {
	var rows []Row
	for r, err := range seq {
		if err != nil {
			e, ok := problem.As(err)
			if !ok {
				return rows, "not a problem: " + err.Error()
			}
			if len(e.Fields) == 0 {
				return rows, fmt.Sprintf("%s %v", e.Key, e.Args)
			}
			f := e.Fields[0]
			return rows, fmt.Sprint(f.Field, " ", f.Key, " ", f.Args)
		}
		rows = append(rows, r)
	}
	return rows, ""
}

// workbookParts builds an XLSX package from a sheet's XML (inside
// <sheetData>) and optional shared strings and styles parts.
func workbookParts(t testing.TB, sheetData, shared, styles string) []byte {
	t.Helper()
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	rels := `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `><sheetData>` + sheetData + `</sheetData></worksheet>`,
	}
	if shared != "" {
		parts["xl/sharedStrings.xml"] = `<?xml version="1.0" encoding="UTF-8"?><sst ` + ns + `>` + shared + `</sst>`
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	if styles != "" {
		parts["xl/styles.xml"] = `<?xml version="1.0" encoding="UTF-8"?><styleSheet ` + ns + `>` + styles + `</styleSheet>`
		rels += `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="/xl/styles.xml"/>`
	}
	parts["xl/_rels/workbook.xml.rels"] = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range parts {
			if !yield(k) {
				return
			}
		}
	}) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, parts[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		o     SheetOptions
		want  []Row
		fault string
	}{
		{name: "semicolons, BOM, CRLF", data: "\ufeffa;b,c;d\r\n1;2;3\r\n",
			want: []Row{{1, []string{"a", "b,c", "d"}}, {2, []string{"1", "2", "3"}}}},
		{name: "the first non-blank line tells the separator", data: "\n  \na,b;c\n",
			want: []Row{{3, []string{"a", "b;c"}}}},
		// A quoted cell over several lines is one row, as a spreadsheet shows it;
		// a blank line is a row too, and blank rows are not yielded.
		{name: "multi-line cells keep the row numbers", data: "h1;h2\n\"one\ntwo\r\nthree\";x\n\n;\nlast;\"a\"\"b\"\n",
			want: []Row{{1, []string{"h1", "h2"}}, {2, []string{"one\ntwo\nthree", "x"}}, {5, []string{"last", `a"b`}}}},
		{name: "lazy quotes", data: "a;b\"c;\"d\"e\"\n", o: SheetOptions{LazyQuotes: true},
			want: []Row{{1, []string{"a", `b"c`, `d"e`}}}},
		{name: "bare quote refused", data: "a;b\nc;d\"e\n", want: []Row{{1, []string{"a", "b"}}}, fault: "line sheet.csv [2]"},
		{name: "unclosed quote refused", data: "a;b\n\n\"c;d\n", want: []Row{{1, []string{"a", "b"}}}, fault: "line sheet.csv [3]"},
		{name: "unclosed quote read lazily", data: "a;\"b\nc", o: SheetOptions{LazyQuotes: true},
			want: []Row{{1, []string{"a", "b\nc"}}}},
		{name: "leading space trimmed", data: `a, "b, c"`, o: SheetOptions{TrimLeadingSpace: true},
			want: []Row{{1, []string{"a", "b, c"}}}},
		{name: "not UTF-8", data: "d\xe9calage;canal\n", fault: "sheet.encoding []"},
		{name: "empty", data: "\ufeff\n \n;;\r\n"},
		{name: "too many rows", data: "h\n1\n\n2\n3\n4\n", o: SheetOptions{MaxRows: 2, Header: func([]string) bool { return true }},
			want: []Row{{1, []string{"h"}}, {2, []string{"1"}}, {4, []string{"2"}}}, fault: "line sheet.too_many_rows [5 2]"},
		{name: "no header counted unless told", data: "h\n1\n2\n", o: SheetOptions{MaxRows: 2},
			want: []Row{{1, []string{"h"}}, {2, []string{"1"}}}, fault: "line sheet.too_many_rows [3 2]"},
		{name: "a cell beyond the columns refused", data: "a;b\n" + strings.Repeat("x;", 3) + "y\n", o: SheetOptions{MaxCols: 3},
			want: []Row{{1, []string{"a", "b"}}}, fault: "line sheet.columns [2 D2 3]"},
		{name: "empty cells beyond the columns dropped", data: "a;b;c" + strings.Repeat(";", 100000) + "\n", o: SheetOptions{MaxCols: 3},
			want: []Row{{1, []string{"a", "b", "c"}}}},
		{name: "a quoted cell beyond the columns refused", data: `a;b;c;"x"`, o: SheetOptions{MaxCols: 3}, fault: "line sheet.columns [1 D1 3]"},
		{name: "cell too long", data: "ab;" + strings.Repeat("é", 11) + "\n", o: SheetOptions{MaxCell: 10}, fault: "line sheet.cell_length [1 B1 10]"},
		{name: "quoted cell too long", data: "\"" + strings.Repeat("a", 1000) + "\"\n", o: SheetOptions{MaxCell: 10}, fault: "line sheet.cell_length [1 A1 10]"},
		{name: "a cell of the maximum length", data: "\"" + strings.Repeat("é", 10) + "\"", o: SheetOptions{MaxCell: 10},
			want: []Row{{1, []string{strings.Repeat("é", 10)}}}},
		{name: "own wording", data: "a\n\"b\n", o: SheetOptions{Field: func(n int) string { return fmt.Sprint("ligne ", n) }, Keys: SheetKeys{CSV: "x.csv"}},
			want: []Row{{1, []string{"a"}}}, fault: "ligne 2 x.csv [2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.MaxRows == 0 {
				tt.o.MaxRows = 100
			}
			rows, fault := readAll(ReadCSV([]byte(tt.data), tt.o))
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows: got %#v, want %#v", rows, tt.want)
			}
			if fault != tt.fault {
				t.Errorf("fault: got %q, want %q", fault, tt.fault)
			}
		})
	}
}

// csvRows reads data with encoding/csv and numbers the rows as a spreadsheet
// does, as the chronogramme import did before the shared reader: the reference
// that ReadCSV must match.
func csvRows(data string, sep rune, lazy, trim bool) ([]Row, int, error) {
	r := csv.NewReader(strings.NewReader(data))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.TrimLeadingSpace = sep, -1, lazy, trim
	var rows []Row
	inside := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, 0, nil
		}
		if err != nil {
			pe, _ := errors.AsType[*csv.ParseError](err)
			return rows, pe.StartLine - inside, err
		}
		line, _ := r.FieldPos(0)
		if !blank(rec) {
			rows = append(rows, Row{N: line - inside, Cells: rec})
		}
		for _, f := range rec {
			inside += strings.Count(f, "\n")
		}
	}
}

// sameAsEncodingCSV checks that ReadCSV reads data as encoding/csv does.
func sameAsEncodingCSV(t *testing.T, data string) {
	t.Helper()
	for _, lazy := range []bool{false, true} {
		for _, trim := range []bool{false, true} {
			o := SheetOptions{MaxRows: 1 << 30, MaxCols: 1 << 20, MaxCell: 1 << 20, LazyQuotes: lazy, TrimLeadingSpace: trim}
			want, wantRow, wantErr := csvRows(data, rune(separator([]byte(data))), lazy, trim)
			got, fault := readAll(ReadCSV([]byte(data), o))
			if wantErr != nil {
				if fault != fmt.Sprintf("line sheet.csv [%d]", wantRow) {
					t.Errorf("%q lazy=%v trim=%v: encoding/csv fails at row %d (%v), ReadCSV: %q", data, lazy, trim, wantRow, wantErr, fault)
				}
			} else if fault != "" {
				t.Errorf("%q lazy=%v trim=%v: encoding/csv reads it, ReadCSV: %q", data, lazy, trim, fault)
			}
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q lazy=%v trim=%v:\n got %#v\nwant %#v", data, lazy, trim, got, want)
			}
		}
	}
}

func TestReadCSVAsEncodingCSV(t *testing.T) {
	for _, data := range []string{
		"a,b,c\n1,2,3\n", "a;b\r\n\r\n;\r\nc;d", "a,\"b\nc\",d\n\ne,f\n", `a,"b""c",d`, `a,"b"c,d`, `a,b"c,d`,
		"\"a\r\nb\"\r\n", "a,\"b\r", "a\r", "a\rb,c\n", `"a"`, `"`, `""`, `"",""` + "\n\n", `"a" ,b`, ` "a",b`,
		" a , b \n\t c,\" d\"\n", "a,\"\"\"\n\"b\n", "a;b;c\n\"x;\"y\";z\n", "\n\n\"a\nb\nc\"\nd\n", "a,\"b\n", "a,\"b\"\n\"c",
		"x\n \n\t\nz", "é,\"à\nç\",ù\n", "a,,\n,,\n", "\"a\"\"\"\"\",b",
	} {
		sameAsEncodingCSV(t, data)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n\"c\nd\",e\r\n", `a;"b""c";"d"e;f"g`, " a, \"b\"\n\n", "\"a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if !strings.HasPrefix(data, "\ufeff") && utf8.ValidString(data) {
			sameAsEncodingCSV(t, data)
		}
	})
}

func TestReadXLSX(t *testing.T) {
	shared := `<si><t>Réf</t></si><si><t xml:space="preserve"> Heure </t></si><si><r><t>Rich</t></r><r><rPr><b/></rPr><t> text</t></r><rPh><t>ignored</t></rPh></si>` +
		`<si><t>line_x000D_` + "\n" + `break and _x005F_x0041_</t></si><si><t>` + strings.Repeat("y", 40) + `</t></si>`
	const styles = `<numFmts count="2"><numFmt numFmtId="164" formatCode="[h]:mm"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd;@"/></numFmts>` +
		`<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="20"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="21"/></cellXfs>`
	tests := []struct {
		name  string
		sheet string
		o     SheetOptions
		want  []Row
		fault string
	}{
		{name: "shared, inline and rich strings, numbers and times", sheet: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>` +
			`<row r="3"><c r="A3" t="inlineStr"><is><t>inline</t></is></c><c r="B3" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c>` +
			`<c r="C3" t="s"><v>2</v></c><c r="D3" t="s"><v>3</v></c></row>` +
			`<row r="4"><c r="A4" s="1"><v>0.0625</v></c><c r="B4" s="2"><v>1.5</v></c><c r="C4" s="3"><v>46095.25</v></c><c r="D4" s="4"><v>0.3958449074074074</v></c>` +
			`<c r="E4"><v>35</v></c><c r="F4"><v>0.30000000000000004</v></c><c r="G4" t="b"><v>1</v></c><c r="H4" t="str"><f>A1</f><v>=x</v></c></row>` +
			`<row r="5"><c r="A5" s="1"/><c r="B5"><v></v></c></row>`,
			want: []Row{
				{1, []string{"Réf", "", " Heure "}},
				{3, []string{"inline", "inline", "Rich text", "line\r\nbreak and _x0041_"}},
				{4, []string{"1:30", "36:00", "2026-03-14", "9:30:01", "35", "0.3", "TRUE", "=x"}},
			}},
		{name: "rows and cells without references", sheet: `<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c></row><row/><row><c/><c t="inlineStr"><is><t>b</t></is></c></row>`,
			want: []Row{{1, []string{"a", "1"}}, {3, []string{"", "b"}}}},
		{name: "empty", sheet: `<row r="1"><c r="A1" s="1"/></row><row r="7"><c r="B7" t="inlineStr"><is><t>  </t></is></c></row>`},
		// The workbook: a cell in the last column, refused before the row is built.
		{name: "a cell in column XFD", sheet: `<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="12"><c r="B12"><v>1</v></c><c r="XFD12"><v>1</v></c></row>`,
			want: []Row{{1, []string{"h"}}}, fault: "line sheet.columns [12 XFD12 64]"},
		{name: "a shared string beyond the columns", sheet: `<row r="2"><c r="BM2" t="s"><v>0</v></c></row>`, fault: "line sheet.columns [2 BM2 64]"},
		{name: "empty cells beyond the columns dropped", sheet: `<row r="1"><c r="A1"><v>1</v></c><c r="BM1" s="1"/><c r="XFD1" t="inlineStr"><is><t></t></is></c></row>`,
			want: []Row{{1, []string{"1"}}}},
		{name: "too many rows", sheet: `<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row><row r="9"><c r="A9"><v>3</v></c></row>`,
			o: SheetOptions{MaxRows: 1, Header: func(c []string) bool { return c[0] == "1" }}, want: []Row{{1, []string{"1"}}, {2, []string{"2"}}},
			fault: "line sheet.too_many_rows [9 1]"},
		{name: "inline string too long", sheet: `<row r="3"><c r="C3" t="inlineStr"><is><t>` + strings.Repeat("é", 31) + `</t></is></c></row>`,
			o: SheetOptions{MaxCell: 30}, fault: "line sheet.cell_length [3 C3 30]"},
		{name: "shared string too long", sheet: `<row r="4"><c r="A4" t="s"><v>0</v></c><c r="B4" t="s"><v>4</v></c></row>`,
			o: SheetOptions{MaxCell: 30}, fault: "line sheet.cell_length [4 B4 30]"},
		{name: "huge text", sheet: `<row r="5"><c r="B5" t="inlineStr"><is><t>` + strings.Repeat("z", 1<<20) + `</t></is></c></row>`,
			fault: "line sheet.cell_length [5 B5 32767]"},
		{name: "rows out of order", sheet: `<row r="2"/><row r="1"/>`, fault: "sheet.workbook []"},
		{name: "two values for a cell", sheet: `<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>1</v></c></row>`, fault: "sheet.workbook []"},
		{name: "bad shared string index", sheet: `<row r="2"><c r="B2" t="s"><v>9</v></c></row>`, fault: "sheet.workbook []"},
		{name: "too deep", sheet: strings.Repeat("<x>", 40) + strings.Repeat("</x>", 40), fault: "sheet.workbook []"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.MaxRows == 0 {
				tt.o.MaxRows = 100
			}
			rows, fault := readAll(ReadXLSX(workbookParts(t, tt.sheet, shared, styles), tt.o))
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows: got %#v, want %#v", rows, tt.want)
			}
			if fault != tt.fault {
				t.Errorf("fault: got %q, want %q", fault, tt.fault)
			}
		})
	}
}

func TestReadXLSXRefusesWhatIsNoWorkbook(t *testing.T) {
	o := SheetOptions{MaxRows: 10, Keys: SheetKeys{Workbook: "x.unreadable"}}
	good := workbookParts(t, `<row r="1"><c r="A1"><v>1</v></c></row>`, "", "")
	// without copies the parts of good but the one named, and adds extra.
	without := func(name string, extra func(z *zip.Writer)) []byte {
		gr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		for _, f := range gr.File {
			if f.Name != name {
				if err := z.Copy(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		if extra != nil {
			extra(z)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for name, data := range map[string][]byte{
		"text":          []byte("décalage;canal\n"),
		"empty":         nil,
		"truncated":     good[:len(good)/2],
		"no sheet part": without("xl/worksheets/sheet1.xml", nil),
		"no workbook":   without("xl/workbook.xml", nil),
	} {
		if _, fault := readAll(ReadXLSX(data, o)); fault != "x.unreadable []" {
			t.Errorf("%s: got %q", name, fault)
		}
	}
	// A workbook whose sheet inflates past the bound: 70 MB of comments that
	// deflate to some 70 KB.
	bomb := without("xl/worksheets/sheet1.xml", func(z *zip.Writer) {
		w, err := z.Create("xl/worksheets/sheet1.xml")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, "<worksheet><sheetData>")
		comment := "<!--" + strings.Repeat("-a", 50<<10) + "-->"
		for range 700 {
			_, _ = io.WriteString(w, comment)
		}
	})
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	if _, fault := readAll(ReadXLSX(bomb, o)); fault != fmt.Sprint("sheet.too_large [", MaxUnzipMB, "]") {
		t.Errorf("bomb: got %q", fault)
	}
}

// A workbook written by excelize reads as excelize reads it, but for the rows
// left blank, which are not yielded.
func TestReadXLSXAsExcelize(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"Réf", "Heure", "Canal", "Contenu", nil, "Notes"},
		{"s01", "09:00", "Téléphone", "Deux\nlignes", nil, "à voir"},
		{},
		{"s02", 12, 3.25, "a_x0041_b", true, "x"},
		{nil, nil, "seule"},
	}
	for i, row := range rows {
		for j, v := range row {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := f.NewSheet("Autre"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetCellValue("Autre", "A1", "ignorée")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	want, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	got, fault := readAll(ReadXLSX(b.Bytes(), SheetOptions{MaxRows: 10}))
	if fault != "" {
		t.Fatal(fault)
	}
	var wantRows []Row
	for i, cells := range want {
		if !blank(cells) {
			wantRows = append(wantRows, Row{N: i + 1, Cells: cells})
		}
	}
	if !reflect.DeepEqual(got, wantRows) {
		t.Errorf("got\n%#v\nwant\n%#v", got, wantRows)
	}
}

func TestFormatOf(t *testing.T) {
	for code, want := range map[string]numFormat{
		"General": 0, "0.00": 0, "#,##0 €": 0, `_-* #,##0.00\ "€"_-;\-* #,##0.00\ "€"_-`: 0, "0.00E+00": 0, "@": 0, `0 "h"`: 0,
		"dd/mm/yyyy": fmtDate, "mmm-yy": fmtDate, "h:mm": fmtTime, "hh:mm:ss": fmtTime | fmtSeconds | fmtPadHour,
		"[h]:mm": fmtTime | fmtElapsed, "[$-40C]h:mm AM/PM": fmtTime, "yyyy-mm-dd hh:mm": fmtDate | fmtTime | fmtPadHour, "[Red]0.0": 0,
	} {
		if got := formatOf(code); got != want {
			t.Errorf("%s: got %b, want %b", code, got, want)
		}
	}
}

func TestCellName(t *testing.T) {
	for col, want := range map[int]string{1: "A3", 26: "Z3", 27: "AA3", 64: "BL3", 65: "BM3", 16384: "XFD3", 16385: "XFE3"} {
		if got := cellName(col, 3); got != want {
			t.Errorf("%d: got %s, want %s", col, got, want)
		}
	}
}
