package exercise

// Import and export of a chronogramme: animators often write theirs in a
// spreadsheet, so an exercise's stimuli can come from a CSV or XLSX file, and an
// adapted exercise can be saved back as a kit file.

import (
	"bytes"
	"cmp"
	"fmt"
	"iter"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"

	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// MaxChronogrammeRows bounds one imported chronogramme, header aside; kits hold a
// few dozen stimuli.
const MaxChronogrammeRows = 1000

type column int

const (
	colRef column = iota
	colOffset
	colTime
	colChannel
	colSender
	colRecipients
	colTitle
	colContent
	colExpected
	colCriteria
	columnCount
)

// headers maps folded header labels, French and English, to columns.
var headers = map[string]column{
	"ref": colRef, "reference": colRef, "id": colRef,
	"decalage": colOffset, "offset": colOffset, "offset minutes": colOffset,
	"heure": colTime, "horaire": colTime, "time": colTime,
	"canal": colChannel, "channel": colChannel,
	"emetteur": colSender, "expediteur": colSender, "sender": colSender,
	"destinataire": colRecipients, "destinataires": colRecipients, "recipient": colRecipients, "recipients": colRecipients,
	"titre": colTitle, "title": colTitle,
	"contenu": colContent, "content": colContent,
	"reaction attendue": colExpected, "reactions attendues": colExpected, "expected": colExpected,
	"expected reaction": colExpected, "expected reactions": colExpected,
	"critere": colCriteria, "criteres": colCriteria, "criterion": colCriteria, "criteria": colCriteria,
}

// columnNames names a missing column in both languages, since the message
// argument is not translated.
var columnNames = map[column]string{
	colChannel: "canal / channel", colSender: "émetteur / sender", colRecipients: "destinataires / recipients",
	colContent: "contenu / content", colExpected: "réaction attendue / expected",
}

// channelAliases accepts the usual spellings of a channel besides its id.
var channelAliases = map[string]string{
	"e mail": "email", "courriel": "email", "mail": "email",
	"phone": "telephone", "tel": "telephone",
	"press": "media", "presse": "media", "medias": "media",
	"visit": "visite", "letter": "courrier", "lettre": "courrier",
}

// sheetOptions reads a chronogramme: the first non-blank row names the columns,
// quotes are read loosely (hand-written files put bare quotes in text), faults
// are worded as the rows' own.
var sheetOptions = docs.SheetOptions{
	MaxRows:    MaxChronogrammeRows,
	Header:     func([]string) bool { return true },
	LazyQuotes: true,
	Field:      func(n int) string { return fmt.Sprintf("ligne %d", n) },
	Keys: docs.SheetKeys{CSV: "exercise.import.csv", Encoding: "exercise.import.encoding",
		Workbook: "exercise.import.unreadable", TooMany: "exercise.import.too_many"},
}

// ParseChronogramme reads the stimuli of a chronogramme for kit k from a CSV or
// XLSX file. The first non-empty row names the columns. The whole file is
// checked: every faulty row is reported with its number, and no line is returned
// unless all are good. Lines come out sorted by offset, in file order for equal
// offsets. The file is read as a stream of rows held to the limits of
// docs.SheetOptions: 64 columns, a cell of 32,767 characters, 1,000 stimuli.
func ParseChronogramme(data []byte, filename string, k Kit) ([]Line, error) {
	var read func([]byte, docs.SheetOptions) iter.Seq2[docs.Row, error]
	switch ext := strings.ToLower(path.Ext(filename)); ext {
	case ".csv":
		read = docs.ReadCSV
	case ".xlsx":
		read = docs.ReadXLSX
	default:
		return nil, problem.New(problem.Invalid, "exercise.import.format", ext)
	}
	var rows []docs.Row
	for row, err := range read(data, sheetOptions) {
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return parseRows(rows, k)
}

// rowFault records a fault of row n; the number is also in the message so that it
// reads on its own in a list.
func rowFault(c *problem.Checks, n int, key string, args ...any) {
	c.Add(fmt.Sprintf("ligne %d", n), key, append([]any{n}, args...)...)
}

// parseRows reads the non-blank rows of a file, the first naming the columns.
func parseRows(rows []docs.Row, k Kit) ([]Line, error) {
	if len(rows) < 2 {
		return nil, problem.New(problem.Invalid, "exercise.import.empty")
	}
	var c problem.Checks
	head, rows := rows[0], rows[1:]
	var cols [columnCount]int
	for i := range cols {
		cols[i] = -1
	}
	for i, label := range head.Cells {
		col, ok := headers[foldLabel(label)]
		if !ok {
			continue // a notes column, say: not ours
		}
		if cols[col] >= 0 {
			rowFault(&c, head.N, "exercise.import.column_twice", strings.TrimSpace(label))
			continue
		}
		cols[col] = i
	}
	byClock := cols[colTime] >= 0
	switch {
	case cols[colOffset] >= 0 && byClock:
		rowFault(&c, head.N, "exercise.import.both_times")
	case cols[colOffset] < 0 && !byClock:
		rowFault(&c, head.N, "exercise.import.column_missing", "décalage / offset, heure / time")
	}
	for _, col := range []column{colChannel, colSender, colRecipients, colContent, colExpected} {
		if cols[col] < 0 {
			rowFault(&c, head.N, "exercise.import.column_missing", columnNames[col])
		}
	}
	hasTime := cols[colOffset] >= 0 || byClock
	criteria := map[string]bool{}
	for _, cr := range k.Animator.Criteria {
		criteria[cr.ID] = true
	}
	out := make([]Line, 0, len(rows))
	refs := map[string]int{}
	t0 := -1
	for _, row := range rows {
		get := func(col column) string {
			if i := cols[col]; i >= 0 && i < len(row.Cells) {
				return strings.TrimSpace(row.Cells[i])
			}
			return ""
		}
		n := row.N
		l := Line{Ref: get(colRef), Sender: get(colSender), Title: get(colTitle), Content: get(colContent)}
		if l.Ref == "" {
			l.Ref = fmt.Sprintf("import-%d", n)
		}
		if first, dup := refs[l.Ref]; dup {
			rowFault(&c, n, "exercise.import.duplicate", l.Ref, first)
		} else {
			refs[l.Ref] = n
		}
		if hasTime {
			checkOffset(&c, &l, n, get, byClock, &t0, k.Duration)
		}
		if cols[colChannel] >= 0 {
			raw := get(colChannel)
			var ok bool
			if l.Channel, ok = channelID(raw); !ok {
				rowFault(&c, n, "exercise.import.channel", raw)
			}
		}
		if cols[colSender] >= 0 && l.Sender == "" {
			rowFault(&c, n, "exercise.import.sender")
		}
		if cols[colRecipients] >= 0 {
			var unknown []string
			l.Recipients, unknown = k.recipients(get(colRecipients))
			for _, u := range unknown {
				rowFault(&c, n, "exercise.import.unknown_cell", u)
			}
			if len(l.Recipients) == 0 && len(unknown) == 0 {
				rowFault(&c, n, "exercise.import.recipients")
			}
		}
		if cols[colContent] >= 0 && l.Content == "" {
			rowFault(&c, n, "exercise.import.content")
		}
		if cols[colExpected] >= 0 {
			if l.Expected = splitExpected(get(colExpected)); len(l.Expected) == 0 {
				rowFault(&c, n, "exercise.import.expected")
			}
		}
		for _, cr := range strings.FieldsFunc(get(colCriteria), isListSep) {
			cr = strings.ToLower(cr)
			if !criteria[cr] {
				rowFault(&c, n, "exercise.import.criterion", cr)
			} else if !slices.Contains(l.Criteria, cr) {
				l.Criteria = append(l.Criteria, cr)
			}
		}
		out = append(out, l)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Line) int { return cmp.Compare(a.Offset, b.Offset) })
	return out, nil
}

// checkOffset sets l.Offset from the row's offset or clock time. In clock mode the
// first row readable sets T0; an earlier time is taken as past midnight only if it
// still falls inside the exercise, else it is most likely a row out of order.
func checkOffset(c *problem.Checks, l *Line, n int, get func(column) string, byClock bool, t0 *int, minutes int) {
	if !byClock {
		raw := get(colOffset)
		off, ok := parseOffset(raw)
		if !ok {
			rowFault(c, n, "exercise.import.offset", raw)
			return
		}
		l.Offset = off
	} else {
		raw := get(colTime)
		t, ok := hoursMinutes(raw, 23)
		if !ok {
			rowFault(c, n, "exercise.import.time", raw)
			return
		}
		if *t0 < 0 {
			*t0 = t
		}
		l.Offset = t - *t0
		if l.Offset < 0 {
			l.Offset += 24 * 3600
			if l.Offset >= minutes*60 {
				rowFault(c, n, "exercise.import.before_start", raw, clock(*t0))
				return
			}
		}
	}
	if l.Offset >= minutes*60 {
		rowFault(c, n, "exercise.import.offset_range", l.Offset/60, minutes)
	}
}

// parseOffset reads minutes from T0 ("35") or hours and minutes ("1:05"), in seconds.
func parseOffset(s string) (int, bool) {
	if m, ok := number(s, 1, 5); ok {
		return m * 60, true
	}
	return hoursMinutes(s, 99)
}

// hoursMinutes reads H:MM or HH:MM, with optional seconds (a time cell of a
// spreadsheet may show them) or the French 9h30, in seconds.
func hoursMinutes(s string, maxHours int) (int, bool) {
	h, rest, ok := strings.Cut(s, ":")
	if !ok {
		if h, rest, ok = strings.Cut(strings.ToLower(s), "h"); !ok {
			return 0, false
		}
		if rest == "" {
			rest = "00"
		}
	}
	m, sec, ok := strings.Cut(rest, ":")
	if !ok {
		sec = "00"
	}
	hh, okH := number(h, 1, 2)
	mm, okM := number(m, 2, 2)
	ss, okS := number(sec, 2, 2)
	if !okH || !okM || !okS || hh > maxHours || mm > 59 || ss > 59 {
		return 0, false
	}
	return hh*3600 + mm*60 + ss, true
}

// number reads between min and max ASCII digits.
func number(s string, minDigits, maxDigits int) (int, bool) {
	if len(s) < minDigits || len(s) > maxDigits || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func clock(seconds int) string {
	return fmt.Sprintf("%02d:%02d", seconds/3600, seconds%3600/60)
}

func channelID(s string) (string, bool) {
	f := foldText(s)
	if slices.Contains(Channels, f) {
		return f, true
	}
	id, ok := channelAliases[f]
	return id, ok
}

func isListSep(r rune) bool {
	return r == ',' || r == ';' || r == '/' || r == '\n' || r == ' '
}

// recipients maps cell ids or names, or "toutes", to cell ids; unknown lists what
// matched no cell.
func (k Kit) recipients(s string) (ids, unknown []string) {
	if s == "" {
		return nil, nil
	}
	// A cell's name may itself hold a separator: try the whole text first.
	if id, ok := k.cellRef(s); ok {
		return []string{id}, nil
	}
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r != ' ' && isListSep(r) }) {
		part = strings.TrimSpace(part)
		id, ok := k.cellRef(part)
		switch {
		case part == "":
		case !ok:
			unknown = append(unknown, part)
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	if slices.Contains(ids, "all") {
		ids = []string{"all"}
	}
	return ids, unknown
}

func (k Kit) cellRef(s string) (string, bool) {
	f := foldText(s)
	switch f {
	case "all", "toutes", "tous", "toutes les cellules", "all cells":
		return "all", true
	}
	for _, c := range k.Cells {
		if f == foldText(c.ID) || f == foldText(c.Name) {
			return c.ID, true
		}
	}
	return "", false
}

// splitExpected splits reactions written one per line or separated by " | ".
func splitExpected(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		for item := range strings.SplitSeq(line, " | ") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// foldText makes text comparable: lower case, no accents, '_' and '-' as spaces,
// single spaces.
func foldText(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r >= 0x300 && r <= 0x36f: // combining accents left by NFD
		case r == '_' || r == '-':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// foldLabel folds a header, dropping a unit in brackets and a trailing "*" or ":"
// as in "Décalage (min)" or "Contenu *".
func foldLabel(s string) string {
	if before, _, ok := strings.Cut(s, "("); ok {
		s = before
	}
	return foldText(strings.TrimRight(strings.TrimSpace(s), "*: "))
}

// ExportKit writes kit k as a kit file, in the format ParseKit reads, with lines
// as its chronogramme. Offsets go back to whole minutes, rounded down; a ref that
// is not a valid kit id is turned into one. The format requires every grid
// criterion to be observed by a stimulus, so criteria no line refers to are left
// out. The result is validated: a kit ParseKit would refuse is never written.
func ExportKit(k Kit, lines []Line) ([]byte, error) {
	sorted := slices.Clone(lines)
	slices.SortStableFunc(sorted, func(a, b Line) int { return cmp.Compare(a.Offset, b.Offset) })
	stimuli := make([]Stimulus, len(sorted))
	taken, used := map[string]bool{}, map[string]bool{}
	for i, l := range sorted {
		stimuli[i] = Stimulus{ID: stimulusID(l.Ref, i+1, taken), Offset: l.Offset / 60, Channel: l.Channel, Sender: l.Sender,
			Recipients: l.Recipients, Title: l.Title, Content: l.Content, Attachments: l.Attachments,
			ExpectedReactions: l.Expected, Criteria: l.Criteria}
		for _, cr := range l.Criteria {
			used[cr] = true
		}
	}
	k.Animator.Stimuli = stimuli
	k.Animator.Criteria = slices.DeleteFunc(slices.Clone(k.Animator.Criteria), func(cr Criterion) bool { return !used[cr.ID] })
	if err := k.Validate(); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := doc.Encode(k); err != nil {
		return nil, err
	}
	tidy(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// stimulusID keeps a valid, unused ref and otherwise derives one from it.
func stimulusID(ref string, n int, taken map[string]bool) string {
	id := ref
	if !idPattern.MatchString(id) {
		var b strings.Builder
		for _, r := range foldText(ref) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
		id = strings.Trim(b.String(), "-")
		if len(id) > 70 {
			id = strings.TrimRight(id[:70], "-")
		}
		if id == "" {
			id = fmt.Sprintf("s%02d", n)
		}
	}
	base := id
	for i := 2; taken[id]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		id = base[:min(len(base), 80-len(suffix))] + suffix
	}
	taken[id] = true
	return id
}

// tidy leaves out empty lists, which the shipped kits omit (so a round trip gives
// nil slices back), and writes short lists of ids on one line, as the kits do.
func tidy(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				continue
			}
			if v.Kind == yaml.SequenceNode && idList(v) {
				v.Style = yaml.FlowStyle
			}
			kept = append(kept, n.Content[i], v)
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		tidy(c)
	}
}

func idList(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || !idPattern.MatchString(c.Value) && c.Value != "ES" && c.Value != "ESSMS" && c.Value != "ARS" {
			return false
		}
	}
	return true
}
