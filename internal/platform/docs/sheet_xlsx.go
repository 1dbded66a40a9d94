package docs

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"iter"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"care/internal/platform/problem"
)

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
