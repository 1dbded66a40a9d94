package docs

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"unicode"
	"unicode/utf8"

	"care/internal/platform/problem"
)

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
