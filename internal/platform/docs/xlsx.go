package docs

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// WriteRows writes rows into sheet from A1. A text cell that starts like a
// formula (= + - @) is prefixed with a quote: excelize stores it as text, but a
// spreadsheet re-typing it would run it — the CSV precaution.
func WriteRows(f *excelize.File, sheet string, rows [][]any) error {
	for i, row := range rows {
		for j := range row {
			if s, ok := row[j].(string); ok && s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
				row[j] = "'" + s
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return nil
}
