package home

import (
	"io"
	"slices"
	"strings"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
)

// Count is how far the structures of a table are with one capability: "x sur N".
type Count struct {
	Capability string
	Title      string
	Total      int      // N: the structures of the table
	Started    int      // in progress or done
	Done       int      // done
	Missing    []string // the names of the structures that have not started, by name
}

// Tally counts, per source, the rows that started and those that are done, and
// names those that have not started.
func Tally(rows []Row, sources []Source) []Count {
	out := make([]Count, len(sources))
	for j, src := range sources {
		c := Count{Capability: src.Capability, Title: src.Title, Total: len(rows)}
		for _, r := range rows {
			switch r.Cards[j].State {
			case Done:
				c.Done++
				c.Started++
			case InProgress:
				c.Started++
			default:
				c.Missing = append(c.Missing, r.Node.Name)
			}
		}
		out[j] = c
	}
	return out
}

// Query is how a table is narrowed and ordered: by a part of the name, by the
// state of one capability, sorted by name or by one capability's state.
type Query struct {
	Name       string // part of the name, any case
	Capability string // the capability State filters on, "" for none
	State      State
	Sort       string // "" (by name) or a capability
	Desc       bool
}

// Apply returns the rows q keeps, in q's order (the rows are left untouched).
func (q Query) Apply(rows []Row, sources []Source) []Row {
	col := func(capability string) int {
		return slices.IndexFunc(sources, func(s Source) bool { return s.Capability == capability })
	}
	filter, sortBy := col(q.Capability), col(q.Sort)
	name := fold(q.Name)
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if name != "" && !strings.Contains(fold(r.Node.Name), name) {
			continue
		}
		if filter >= 0 && r.Cards[filter].State != q.State {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		c := 0
		if sortBy >= 0 {
			c = int(a.Cards[sortBy].State) - int(b.Cards[sortBy].State)
		}
		if c == 0 {
			c = strings.Compare(fold(a.Node.Name), fold(b.Node.Name))
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	return out
}

// fold lowers s and drops the French accents, so that "etablissement" finds
// "Établissement".
func fold(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "î", "i", "ï", "i", "ô", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "œ", "oe").Replace(strings.ToLower(s))
}

// WriteCSV writes the table in language l: one line per structure, for each
// capability its state and its level. Cells a spreadsheet would take for a
// formula are prefixed with a quote.
func WriteCSV(w io.Writer, l i18n.Lang, rows []Row, sources []Source) error {
	head := []string{l.T("home.table.structure")}
	for _, s := range sources {
		head = append(head, l.T(s.Title), l.T(s.Title)+" — "+l.T("home.table.level"))
	}
	out := [][]string{head}
	for _, r := range rows {
		rec := []string{r.Node.Name}
		for _, c := range r.Cards {
			rec = append(rec, l.T(c.State.Key()), c.Level.In(l))
		}
		out = append(out, rec)
	}
	return docs.WriteCSV(w, out)
}
