package docs

// Reading of imported spreadsheets, CSV or XLSX, as a stream of rows held to
// limits. A spreadsheet is small on disk and may be huge once read: a 12 KB
// workbook whose rows each hold a cell in column XFD becomes 16,384 strings a
// row in a reader that pads rows, and a CSV line of separators becomes as many
// cells. Here a cell beyond the last column allowed is refused before any row
// is built, reading stops at the row limit, and a workbook is read from its XML
// parts as it inflates, within a bound.

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/problem"
)

const (
	// DefaultMaxRows bounds the data rows of an import that sets no bound.
	DefaultMaxRows = 10_000
	// MaxColumns is how many columns an import reads by default; a non-empty
	// cell further right is refused.
	MaxColumns = 64
	// MaxCellChars bounds a cell by default, in characters: Excel's own limit.
	MaxCellChars = 32767
	// MaxUnzipMB bounds what the parts read from a workbook inflate to, together,
	// against zip bombs.
	MaxUnzipMB = 64

	maxSheetRow      = 1 << 20  // a spreadsheet's last row
	maxSheetCol      = 1 << 14  // a spreadsheet's last column, XFD
	maxSharedStrings = 1 << 19  // strings a workbook's table may hold for us
	maxText          = 16 << 20 // bytes of text read from a workbook's shared strings, and again from its cells
	maxDepth         = 32       // nesting of XML elements
	maxRels          = 4096     // relationships of a part
	maxStyles        = 1 << 16  // cell formats (Excel allows 64,000)
)

// Row is a non-blank row of a sheet, numbered as a spreadsheet shows it: a
// quoted CSV cell over several lines is one row, a blank line is one row.
type Row struct {
	N     int
	Cells []string
}

// SheetOptions are an import's limits and wording. Blank rows are skipped, never
// yielded. The first error ends the rows.
type SheetOptions struct {
	// MaxRows bounds the data rows, DefaultMaxRows when 0; the next one stops
	// the reading with the TooMany fault. A header row is not counted.
	MaxRows int
	// MaxCols is how many columns are read, MaxColumns when 0. Cells further
	// right are dropped when empty and refused otherwise.
	MaxCols int
	// MaxCell bounds a cell in characters, MaxCellChars when 0.
	MaxCell int
	// Header tells whether the first non-blank row names the columns; nil: the
	// file has no header. The header row is yielded like the others.
	Header func(cells []string) bool
	// LazyQuotes and TrimLeadingSpace read a CSV as encoding/csv's options do.
	LazyQuotes, TrimLeadingSpace bool
	// Field names the faulty field of a row's fault, "line" when nil.
	Field func(row int) string
	// Keys words the faults each import already had words for.
	Keys SheetKeys
}

// SheetKeys are message keys; an empty one is the default in brackets. Row faults
// take the row number first.
type SheetKeys struct {
	CSV      string // (row): a CSV the parser cannot read [sheet.csv]
	Encoding string // a CSV that is not UTF-8 [sheet.encoding]
	Workbook string // not a workbook, or a broken one [sheet.workbook]
	TooMany  string // (row, MaxRows): more data rows than allowed [sheet.too_many_rows]
}

// Other faults: sheet.columns (row, cell, MaxCols), sheet.cell_length (row, cell,
// MaxCell), sheet.too_large (MaxUnzipMB).

func (o SheetOptions) fill() SheetOptions {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxCols <= 0 {
		o.MaxCols = MaxColumns
	}
	o.MaxCols = min(o.MaxCols, maxSheetCol)
	if o.MaxCell <= 0 {
		o.MaxCell = MaxCellChars
	}
	if o.Field == nil {
		o.Field = func(int) string { return "line" }
	}
	k := &o.Keys
	k.CSV = cmp.Or(k.CSV, "sheet.csv")
	k.Encoding = cmp.Or(k.Encoding, "sheet.encoding")
	k.Workbook = cmp.Or(k.Workbook, "sheet.workbook")
	k.TooMany = cmp.Or(k.TooMany, "sheet.too_many_rows")
	return o
}

// rowFault is a fault of row n, its number first in the arguments.
func (o SheetOptions) rowFault(n int, key string, args ...any) error {
	var c problem.Checks
	c.Add(o.Field(n), key, append([]any{n}, args...)...)
	return c.Err()
}

// columnFault refuses a non-empty cell right of the last column read.
func (o SheetOptions) columnFault(n, col int) error {
	return o.rowFault(n, "sheet.columns", cellName(col, n), o.MaxCols)
}

func (o SheetOptions) lengthFault(n, col int) error {
	return o.rowFault(n, "sheet.cell_length", cellName(col, n), o.MaxCell)
}

// cellName names a cell as a spreadsheet does, B12 or XFD3; a CSV row may be
// wider or further down than a sheet, and is named the same way.
func cellName(col, row int) string {
	var b []byte
	for ; col > 0; col = (col - 1) / 26 {
		b = append(b, byte('A'+(col-1)%26))
	}
	slices.Reverse(b)
	return string(b) + strconv.Itoa(row)
}

// MergeFault adds the fields of a row fault to c and returns nil; any other
// error is returned as it is. An import that reports every faulty row keeps the
// faults found before the reader's.
func MergeFault(c *problem.Checks, err error) error {
	e, ok := problem.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	for _, f := range e.Fields {
		c.Add(f.Field, f.Key, f.Args...)
	}
	return nil
}

// counter applies the header and row limit to the non-blank rows.
type counter struct {
	o    SheetOptions
	seen bool
	data int
}

// blank reports whether a row holds only spaces.
func blank(cells []string) bool {
	for _, s := range cells {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// admit counts a non-blank row, or refuses it past the limit.
func (c *counter) admit(r Row) error {
	first := !c.seen
	c.seen = true
	if first && c.o.Header != nil && c.o.Header(r.Cells) {
		return nil
	}
	if c.data++; c.data > c.o.MaxRows {
		return c.o.rowFault(r.N, c.o.Keys.TooMany, c.o.MaxRows)
	}
	return nil
}

// ---- CSV ----

// ReadCSV yields the rows of a CSV file: a UTF-8 BOM is dropped, text that is
// not UTF-8 refused (Excel's plain "CSV" is Windows-1252: better say so than
// import garbled accents), and the separator is ';' when the first non-blank
// line holds more of them than of ',', as a French spreadsheet writes. Quotes,
// line breaks and empty lines are read as encoding/csv reads them, with the
// options' LazyQuotes and TrimLeadingSpace, but a cell is checked as it is read.
func ReadCSV(data []byte, o SheetOptions) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		o = o.fill()
		text := bytes.TrimPrefix(data, []byte("\ufeff"))
		if !utf8.Valid(text) {
			yield(Row{}, problem.New(problem.Invalid, o.Keys.Encoding))
			return
		}
		p := csvParser{data: text, sep: separator(text), o: o}
		count := counter{o: o}
		for {
			r, err := p.record()
			if errors.Is(err, io.EOF) {
				return
			}
			if err == nil && blank(r.Cells) {
				continue
			}
			if err == nil {
				err = count.admit(r)
			}
			if err != nil {
				yield(Row{N: r.N}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func separator(data []byte) byte {
	for line := range bytes.Lines(data) {
		if len(bytes.TrimSpace(line)) > 0 {
			if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
				return ';'
			}
			break
		}
	}
	return ','
}

type csvParser struct {
	data   []byte
	p      int // read position
	line   int // text lines begun
	inside int // line breaks inside the cells of the records read
	sep    byte
	o      SheetOptions
	buf    []byte // a quoted cell being read
}

// eol reports whether a line ends at i, and the length of its end: "\n",
// "\r\n", a '\r' ending the text, or the end itself.
func (c *csvParser) eol(i int) (int, bool) {
	switch {
	case i >= len(c.data):
		return 0, true
	case c.data[i] == '\n':
		return 1, true
	case c.data[i] == '\r' && (i+1 == len(c.data) || c.data[i+1] == '\n'):
		return len(c.data[i:min(i+2, len(c.data))]), true
	}
	return 0, false
}

// record reads the next record, or io.EOF. A fault carries the row's number.
func (c *csvParser) record() (Row, error) {
	for {
		if c.p >= len(c.data) {
			return Row{}, io.EOF
		}
		c.line++
		if n, _ := c.eol(c.p); n > 0 {
			c.p += n // an empty line: a blank row
			continue
		}
		break
	}
	row := Row{N: c.line - c.inside}
	for col := 1; ; col++ {
		if c.o.TrimLeadingSpace {
			for c.p < len(c.data) {
				if _, end := c.eol(c.p); end {
					break
				}
				r, size := utf8.DecodeRune(c.data[c.p:])
				if !unicode.IsSpace(r) {
					break
				}
				c.p += size
			}
		}
		var cell []byte
		var last bool // the cell ends the record
		if c.p >= len(c.data) || c.data[c.p] != '"' {
			start := c.p
			for c.p < len(c.data) && c.data[c.p] != c.sep {
				if _, end := c.eol(c.p); end {
					break
				}
				c.p++
			}
			cell = c.data[start:c.p]
			if !c.o.LazyQuotes && bytes.IndexByte(cell, '"') >= 0 {
				return row, c.o.rowFault(row.N, c.o.Keys.CSV)
			}
			if c.p < len(c.data) && c.data[c.p] == c.sep {
				c.p++
			} else {
				n, _ := c.eol(c.p)
				c.p += n
				last = true
			}
		} else {
			var err error
			if cell, last, err = c.quoted(row.N, col); err != nil {
				return row, err
			}
		}
		switch {
		case col > c.o.MaxCols:
			if len(bytes.TrimSpace(cell)) > 0 {
				return row, c.o.columnFault(row.N, col)
			}
		case utf8.RuneCount(cell) > c.o.MaxCell:
			return row, c.o.lengthFault(row.N, col)
		default:
			row.Cells = append(row.Cells, string(cell))
		}
		if last {
			return row, nil
		}
	}
}

// quoted reads a quoted cell from its opening quote; last tells it ends the record.
func (c *csvParser) quoted(n, col int) (cell []byte, last bool, err error) {
	c.p++
	c.buf = c.buf[:0]
	for {
		if len(c.buf) > 4*c.o.MaxCell { // more characters than allowed, whatever they are
			if col > c.o.MaxCols {
				return nil, false, c.o.columnFault(n, col)
			}
			return nil, false, c.o.lengthFault(n, col)
		}
		if c.p >= len(c.data) { // the text ends inside the quotes
			if !c.o.LazyQuotes {
				return nil, false, c.o.rowFault(n, c.o.Keys.CSV)
			}
			return c.buf, true, nil
		}
		b := c.data[c.p]
		if b == '"' {
			c.p++
			if c.p < len(c.data) && c.data[c.p] == '"' {
				c.buf = append(c.buf, '"')
				c.p++
				continue
			}
			if c.p < len(c.data) && c.data[c.p] == c.sep {
				c.p++
				return c.buf, false, nil
			}
			if k, end := c.eol(c.p); end {
				c.p += k
				return c.buf, true, nil
			}
			if !c.o.LazyQuotes {
				return nil, false, c.o.rowFault(n, c.o.Keys.CSV)
			}
			c.buf = append(c.buf, '"')
			continue
		}
		if k, end := c.eol(c.p); end && k > 0 {
			c.p += k
			if c.p == len(c.data) && c.data[c.p-1] == '\r' && k == 1 {
				continue // a '\r' ending the text is dropped
			}
			c.buf = append(c.buf, '\n')
			c.line++
			c.inside++
			continue
		}
		c.buf = append(c.buf, b)
		c.p++
	}
}

// ---- XLSX ----

// ReadXLSX yields the rows of the first sheet of an XLSX workbook. Values are
// the text a spreadsheet shows for them, but for numbers, which read without
// their format (35, not 35.00), and dates and times, which read as 2026-03-14,
// 9:30 or 9:30:15 (hours past 24 for an elapsed time such as [h]:mm).
func ReadXLSX(data []byte, o SheetOptions) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		o = o.fill()
		w := &workbook{o: o, left: MaxUnzipMB << 20, textLeft: maxText}
		sheet, err := w.open(data)
		if err == nil {
			err = w.rows(sheet, yield)
		}
		if err != nil {
			yield(Row{N: w.row}, err)
		}
	}
}

var (
	errTooLarge = errors.New("docs: workbook too large")
	errLongRun  = errors.New("docs: XML token too long")
	errBroken   = errors.New("docs: broken workbook")
)

type workbook struct {
	o        SheetOptions
	zip      *zip.Reader
	left     int64 // bytes the parts may still inflate to
	textLeft int   // bytes of text the cells may still hold
	shared   []string
	long     map[int]bool // shared strings longer than a cell may be
	styles   []numFormat  // by cell style index
	date1904 bool

	row int // the row being read, for faults
	col int // the column of the cell being read, 0 outside a cell
}

// fault turns a reading error into a problem.
func (w *workbook) fault(err error) error {
	if _, ok := problem.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, errTooLarge):
		return problem.New(problem.Invalid, "sheet.too_large", MaxUnzipMB)
	case errors.Is(err, errLongRun) && w.col > 0 && w.row > 0:
		if w.col > w.o.MaxCols {
			return w.o.columnFault(w.row, w.col)
		}
		return w.o.lengthFault(w.row, w.col)
	case errors.Is(err, errLongRun):
		return problem.New(problem.Invalid, "sheet.too_large", MaxUnzipMB)
	}
	return problem.New(problem.Invalid, w.o.Keys.Workbook)
}

// partReader inflates a part within the workbook's budget, and refuses a run of
// more than max bytes without a '<': no cell of ours is that long, and the XML
// decoder would hold it whole.
type partReader struct {
	r   io.Reader
	w   *workbook
	run int
	max int
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	if p.w.left -= int64(n); p.w.left < 0 {
		p.err = errTooLarge
		return 0, p.err
	}
	for chunk := b[:n]; ; {
		i := bytes.IndexByte(chunk, '<')
		if i < 0 {
			p.run += len(chunk)
			break
		}
		if p.run+i > p.max {
			p.run += i
			break
		}
		p.run, chunk = 0, chunk[i+1:]
	}
	if p.run > p.max {
		p.err = errLongRun
		return 0, p.err
	}
	return n, err
}

var errMissing = errors.New("docs: no such part")

// tokens yields the XML tokens of a part, nested at most maxDepth deep.
func (w *workbook) tokens(name string) iter.Seq2[xml.Token, error] {
	return func(yield func(xml.Token, error) bool) {
		var f *zip.File
		for _, zf := range w.zip.File {
			if strings.EqualFold(zf.Name, name) { // part names ignore case
				f = zf
				break
			}
		}
		if f == nil {
			yield(nil, errMissing)
			return
		}
		rc, err := f.Open()
		if err != nil {
			yield(nil, errBroken)
			return
		}
		defer rc.Close()
		pr := &partReader{r: rc, w: w, max: 12*w.o.MaxCell + 64<<10}
		d := xml.NewDecoder(pr)
		depth := 0
		for {
			t, err := d.Token()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if pr.err != nil {
					err = pr.err
				}
				yield(nil, err)
				return
			}
			switch t.(type) {
			case xml.StartElement:
				if depth++; depth > maxDepth {
					yield(nil, errBroken)
					return
				}
			case xml.EndElement:
				depth--
			}
			if !yield(t, nil) {
				return
			}
		}
	}
}

func attr(s xml.StartElement, local string) string {
	for _, a := range s.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

type rel struct{ id, kind, target string }

// rels reads the relationships of a part, their targets resolved from base.
func (w *workbook) rels(name, base string) ([]rel, error) {
	var out []rel
	for t, err := range w.tokens(name) {
		if err != nil {
			return nil, err
		}
		s, ok := t.(xml.StartElement)
		if !ok || s.Name.Local != "Relationship" || attr(s, "TargetMode") == "External" {
			continue
		}
		if len(out) == maxRels {
			return nil, errBroken
		}
		target := attr(s, "Target")
		if strings.HasPrefix(target, "/") {
			target = target[1:]
		} else {
			target = path.Join(path.Dir(base), target)
		}
		out = append(out, rel{id: attr(s, "Id"), kind: path.Base(attr(s, "Type")), target: target})
	}
	return out, nil
}

// open finds the first sheet and reads the shared strings and cell formats.
func (w *workbook) open(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", w.fault(errBroken)
	}
	w.zip = zr
	book := "xl/workbook.xml"
	rels, err := w.rels("_rels/.rels", "")
	if err != nil && !errors.Is(err, errMissing) {
		return "", w.fault(err)
	}
	for _, r := range rels {
		if r.kind == "officeDocument" {
			book = r.target
			break
		}
	}
	id, err := w.firstSheet(book)
	if err != nil {
		return "", w.fault(err)
	}
	dir, file := path.Split(book)
	if rels, err = w.rels(dir+"_rels/"+file+".rels", book); err != nil {
		return "", w.fault(err)
	}
	var sheet, shared, styles string
	for _, r := range rels {
		switch {
		case r.id == id:
			sheet = r.target
		case r.kind == "sharedStrings":
			shared = r.target
		case r.kind == "styles":
			styles = r.target
		}
	}
	if sheet == "" {
		return "", w.fault(errBroken)
	}
	if shared != "" {
		if err := w.readShared(shared); err != nil && !errors.Is(err, errMissing) {
			return "", w.fault(err)
		}
	}
	if styles != "" {
		if err := w.readStyles(styles); err != nil && !errors.Is(err, errMissing) {
			return "", w.fault(err)
		}
	}
	return sheet, nil
}

// firstSheet returns the relationship id of the workbook's first sheet, and
// notes whether its dates count from 1904.
func (w *workbook) firstSheet(book string) (string, error) {
	for t, err := range w.tokens(book) {
		if err != nil {
			return "", err
		}
		s, ok := t.(xml.StartElement)
		switch {
		case !ok:
		case s.Name.Local == "workbookPr":
			v := attr(s, "date1904")
			w.date1904 = v == "1" || v == "true"
		case s.Name.Local == "sheet":
			for _, a := range s.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" { // r:id
					return a.Value, nil
				}
			}
			return "", errBroken
		}
	}
	return "", errBroken
}

// hold counts text kept from the workbook against its budget.
func (w *workbook) hold(n int) error {
	if w.textLeft -= n; w.textLeft < 0 {
		return errTooLarge
	}
	return nil
}

// readShared reads the shared strings table; a string longer than a cell may be
// is kept empty and marked, to be refused with the row of a cell using it.
func (w *workbook) readShared(name string) error {
	var buf []byte
	var inSI, inT, inPh, long bool
	for t, err := range w.tokens(name) {
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, long, buf = true, false, buf[:0]
			case "rPh": // a phonetic reading, not shown
				inPh = true
			case "t":
				inT = inSI && !inPh
			}
		case xml.CharData:
			if inT && !long {
				if len(buf)+len(t) > 7*w.o.MaxCell { // _xHHHH_ escapes: 7 bytes a character at most
					long = true
				} else {
					buf = append(buf, t...)
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(w.shared) == maxSharedStrings {
					return errTooLarge
				}
				s := unescapeBSTR(string(buf))
				if long || utf8.RuneCountInString(s) > w.o.MaxCell {
					if w.long == nil {
						w.long = map[int]bool{}
					}
					w.long[len(w.shared)], s = true, ""
				}
				if err := w.hold(len(s) + 16); err != nil {
					return err
				}
				w.shared = append(w.shared, s)
				inSI = false
			case "rPh":
				inPh = false
			case "t":
				inT = false
			}
		}
	}
	return nil
}

// readStyles reads how each cell style formats numbers, as far as dates and
// times go.
func (w *workbook) readStyles(name string) error {
	custom := map[int]numFormat{}
	inXfs := false
	for t, err := range w.tokens(name) {
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				if id, err := strconv.Atoi(attr(t, "numFmtId")); err == nil && len(custom) < maxStyles {
					custom[id] = formatOf(attr(t, "formatCode"))
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if !inXfs {
					continue
				}
				if len(w.styles) == maxStyles {
					return errBroken
				}
				id, _ := strconv.Atoi(attr(t, "numFmtId"))
				f, ok := custom[id]
				if !ok {
					f = builtinFormat(id)
				}
				w.styles = append(w.styles, f)
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
	}
	return nil
}

// rows reads the sheet as a stream and yields its non-blank rows.
func (w *workbook) rows(name string, yield func(Row, error) bool) error {
	count := counter{o: w.o}
	var (
		inData, inRow, inV, inIS, inT, inPh bool
		cells                               []string
		last                                int // the last column read in the row
		kind                                string
		style                               int
		val                                 []byte
	)
	for t, err := range w.tokens(name) {
		if err != nil {
			return w.fault(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sheetData":
				inData = true
			case "row":
				if !inData || inRow {
					return w.fault(errBroken)
				}
				n := w.row + 1
				if r := attr(t, "r"); r != "" {
					if n, err = strconv.Atoi(r); err != nil {
						return w.fault(errBroken)
					}
				}
				if n <= w.row || n > maxSheetRow {
					return w.fault(errBroken)
				}
				w.row, inRow, cells, last = n, true, nil, 0
			case "c":
				if !inRow || w.col > 0 {
					return w.fault(errBroken)
				}
				col := last + 1
				if r := attr(t, "r"); r != "" {
					var ok bool
					if col, ok = column(r); !ok {
						return w.fault(errBroken)
					}
				}
				if col <= last { // two values for one cell
					return w.fault(errBroken)
				}
				// A cell beyond the last column allowed is not stored; it is refused
				// if it has a value, read next within the cell length bound.
				w.col, kind, val = col, attr(t, "t"), val[:0]
				style, _ = strconv.Atoi(attr(t, "s"))
			case "v":
				inV = w.col > 0
			case "is":
				inIS = w.col > 0
			case "rPh":
				inPh = true
			case "t":
				inT = inIS && !inPh
			}
		case xml.CharData:
			if inV || inT {
				if len(val)+len(t) > 7*w.o.MaxCell {
					return w.fault(errLongRun)
				}
				val = append(val, t...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "is":
				inIS = false
			case "rPh":
				inPh = false
			case "t":
				inT = false
			case "c":
				s, shared, err := w.value(kind, style, val)
				if err != nil {
					return err
				}
				switch {
				case w.col > w.o.MaxCols:
					if strings.TrimSpace(s) != "" {
						return w.o.columnFault(w.row, w.col)
					}
				case s == "": // an empty cell does not widen the row
				case utf8.RuneCountInString(s) > w.o.MaxCell:
					return w.o.lengthFault(w.row, w.col)
				default:
					if !shared {
						if err := w.hold(len(s)); err != nil {
							return w.fault(err)
						}
					}
					for len(cells) < w.col-1 {
						cells = append(cells, "")
					}
					cells = append(cells, s)
				}
				last, w.col = w.col, 0
			case "row":
				inRow = false
				if blank(cells) {
					continue
				}
				r := Row{N: w.row, Cells: cells}
				if err := count.admit(r); err != nil {
					return err
				}
				if !yield(r, nil) {
					return nil
				}
			case "sheetData":
				return nil
			}
		}
	}
	return nil
}

// column reads the column of a cell reference such as XFD12.
func column(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		if col = col*26 + int(c-'a'+1); col > maxSheetCol {
			return 0, false
		}
	}
	digits := ref[i:]
	return col, i > 0 && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// value is the text of a cell; shared tells it comes from the shared strings.
func (w *workbook) value(kind string, style int, raw []byte) (s string, shared bool, err error) {
	switch kind {
	case "s":
		if len(raw) == 0 {
			return "", false, nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || i < 0 || i >= len(w.shared) {
			return "", false, w.fault(errBroken)
		}
		if w.long[i] {
			if w.col > w.o.MaxCols {
				return "", false, w.o.columnFault(w.row, w.col)
			}
			return "", false, w.o.lengthFault(w.row, w.col)
		}
		return w.shared[i], true, nil
	case "inlineStr":
		return unescapeBSTR(string(raw)), false, nil
	case "b":
		switch string(raw) {
		case "1":
			return "TRUE", false, nil
		case "0":
			return "FALSE", false, nil
		}
		return string(raw), false, nil
	case "str", "e", "d":
		return string(raw), false, nil
	}
	f := numFormat(0)
	if style >= 0 && style < len(w.styles) {
		f = w.styles[style]
	}
	return formatNumber(string(raw), f, w.date1904), false, nil
}

// unescapeBSTR decodes the _xHHHH_ escapes of OOXML text, as excelize does.
func unescapeBSTR(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				switch {
				case r == '_':
					b.WriteByte('_') // _x005F_ escapes an underscore
				case !utf16IsSurrogate(rune(r)):
					b.WriteRune(rune(r))
				}
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func utf16IsSurrogate(r rune) bool { return r >= 0xd800 && r < 0xe000 }

// numFormat is what a cell's number format says of dates and times.
type numFormat uint8

const (
	fmtDate    numFormat = 1 << iota // a calendar date
	fmtTime                          // a time of day
	fmtSeconds                       // with seconds
	fmtElapsed                       // hours past 24, as [h]:mm
	fmtPadHour                       // two-digit hours
)

// builtinFormat classifies the formats Excel numbers without writing them.
func builtinFormat(id int) numFormat {
	switch id {
	case 14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58:
		return fmtDate
	case 18, 20, 32, 34:
		return fmtTime
	case 19, 21, 33, 35, 45, 47:
		return fmtTime | fmtSeconds
	case 22:
		return fmtDate | fmtTime
	case 46:
		return fmtTime | fmtSeconds | fmtElapsed
	}
	return 0
}

// formatOf classifies a format code by its first section: y and d are dates, h
// and s times, m a month unless a time is shown.
func formatOf(code string) numFormat {
	lower := strings.ToLower(code)
	if strings.TrimSpace(lower) == "general" {
		return 0
	}
	var f numFormat
	month := false
	for i := 0; i < len(lower); i++ {
		switch c := lower[i]; c {
		case ';':
			i = len(lower)
		case '"':
			if j := strings.IndexByte(lower[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(lower)
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(lower[i:], ']')
			if j < 0 {
				i = len(lower)
				break
			}
			switch inner := lower[i+1 : i+j]; {
			case inner != "" && strings.Trim(inner, "h") == "":
				f |= fmtTime | fmtElapsed
				if len(inner) > 1 {
					f |= fmtPadHour
				}
			case inner != "" && strings.Trim(inner, "m") == "":
				f |= fmtTime | fmtElapsed
			case inner != "" && strings.Trim(inner, "s") == "":
				f |= fmtTime | fmtElapsed | fmtSeconds
			}
			i += j
		case 'a':
			if strings.HasPrefix(lower[i:], "am/pm") {
				i += 4
			} else if strings.HasPrefix(lower[i:], "a/p") {
				i += 2
			}
		case 'y', 'd':
			f |= fmtDate
		case 'h':
			f |= fmtTime
			if strings.HasPrefix(lower[i:], "hh") {
				f |= fmtPadHour
			}
		case 's':
			f |= fmtTime | fmtSeconds
		case 'm':
			month = true
		}
	}
	if month && f&fmtTime == 0 {
		f |= fmtDate
	}
	return f
}

// formatNumber writes a number as General does, or a date or time as ISO-like
// text a parser reads back.
func formatNumber(raw string, f numFormat, date1904 bool) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil {
		return raw
	}
	if f == 0 || v < 0 || v > 2958466 || math.IsNaN(v) { // 2958466: year 9999
		if significant(raw) > 15 {
			return strconv.FormatFloat(v, 'G', 15, 64)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	secs := int64(math.Round(v * 86400))
	var b strings.Builder
	if f&fmtDate != 0 {
		t, err := excelize.ExcelDateToTime(v, date1904)
		if err != nil {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		t = t.Round(time.Second)
		b.WriteString(t.Format("2006-01-02"))
		if f&fmtTime == 0 {
			return b.String()
		}
		b.WriteByte(' ')
		secs = int64(t.Hour()*3600 + t.Minute()*60 + t.Second())
	} else if f&fmtElapsed == 0 {
		secs %= 24 * 3600
	}
	if f&fmtPadHour != 0 {
		fmt.Fprintf(&b, "%02d:%02d", secs/3600, secs%3600/60)
	} else {
		fmt.Fprintf(&b, "%d:%02d", secs/3600, secs%3600/60)
	}
	if f&fmtSeconds != 0 {
		fmt.Fprintf(&b, ":%02d", secs%60)
	}
	return b.String()
}

// significant counts the significant digits of a decimal number.
func significant(raw string) int {
	m, _, _ := strings.Cut(strings.ToLower(raw), "e")
	m = strings.TrimLeft(strings.ReplaceAll(strings.TrimLeft(m, "+- "), ".", ""), "0")
	return len(strings.TrimRight(m, " "))
}
