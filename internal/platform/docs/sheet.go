package docs

// Reading of imported spreadsheets, CSV or XLSX, as a stream of rows held to
// limits. A spreadsheet is small on disk and may be huge once read: a 12 KB
// workbook whose rows each hold a cell in column XFD becomes 16,384 strings a
// row in a reader that pads rows, and a CSV line of separators becomes as many
// cells. Here a cell beyond the last column allowed is refused before any row
// is built, reading stops at the row limit, and a workbook is read from its XML
// parts as it inflates, within a bound.

import (
	"cmp"
	"iter"
	"path"
	"slices"
	"strconv"
	"strings"

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

// ReadSheet yields the rows of an imported file by the extension of its name:
// .csv (ReadCSV) or .xlsx (ReadXLSX); false for any other.
func ReadSheet(data []byte, filename string, o SheetOptions) (iter.Seq2[Row, error], bool) {
	switch strings.ToLower(path.Ext(filename)) {
	case ".csv":
		return ReadCSV(data, o), true
	case ".xlsx":
		return ReadXLSX(data, o), true
	}
	return nil, false
}
