package docs

import (
	"encoding/csv"
	"io"
	"strings"
)

// WriteCSV writes rows as CSV with ';' between cells, as French spreadsheets
// read it. A cell that starts like a formula (= + - @, tab, carriage return) is
// prefixed with a quote so that a spreadsheet does not run it.
func WriteCSV(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	for _, row := range rows {
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				row[i] = "'" + c
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
