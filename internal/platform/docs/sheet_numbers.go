package docs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

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
