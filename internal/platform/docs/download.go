package docs

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/xuri/excelize/v2"
)

// Download is a table to download of rows under a header, as CSV or as a workbook.
type Download struct {
	Name   string // the file's name without extension, and the sheet's
	Header []string
	Rows   [][]any
}

// Send answers with the table as format "csv" or "xlsx" (anything else: CSV).
// A CSV is separated by semicolons and starts with a byte-order mark, as French
// spreadsheets expect; a cell that starts like a formula is quoted in both.
func (t Download) Send(w http.ResponseWriter, format string) error {
	var buf bytes.Buffer
	a := Attachment{Filename: t.Name + ".csv", ContentType: "text/csv; charset=utf-8"}
	if format == "xlsx" {
		a = Attachment{Filename: t.Name + ".xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
		f := excelize.NewFile()
		defer f.Close()
		sheet := t.Name[:min(len(t.Name), 31)] // a sheet name holds 31 characters
		_ = f.SetSheetName("Sheet1", sheet)
		header := make([]any, len(t.Header))
		for i, h := range t.Header {
			header[i] = h
		}
		if err := WriteRows(f, sheet, append([][]any{header}, t.Rows...)); err != nil {
			return err
		}
		if err := f.Write(&buf); err != nil {
			return err
		}
	} else {
		buf.WriteString("\ufeff")
		rows := [][]string{t.Header}
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = fmt.Sprint(v)
			}
			rows = append(rows, rec)
		}
		if err := WriteCSV(&buf, rows); err != nil {
			return err
		}
	}
	SendAttachment(w, a, buf.Bytes())
	return nil
}
