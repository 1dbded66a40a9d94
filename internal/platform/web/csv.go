package web

import "strings"

// CSVCell is s as a cell of an exported CSV file: a cell a spreadsheet would
// take for a formula (=, +, -, @, tab, carriage return first) is prefixed with a
// quote (OWASP, "CSV Injection").
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
