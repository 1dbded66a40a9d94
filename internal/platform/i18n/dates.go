package i18n

import (
	"fmt"
	"time"
)

// Dates and times in running text, as each language writes them.
//
// French follows the Lexique des règles typographiques en usage à l'Imprimerie
// nationale: the day of the week and the month in lower case, the day without a
// leading zero ("mardi 8 décembre 2026"), and the hour written with "h" between
// spaces, minutes on two digits; the first of the month is "1er" ("9 h 30", "14 h 05"). English writes "Tuesday
// 8 December 2026" and a 24-hour "09:30".

var (
	frDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// LongDate writes the day of t in full: "mardi 8 décembre 2026".
func (l Lang) LongDate(t time.Time) string {
	if l == FR {
		day := fmt.Sprint(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], day, frMonths[t.Month()-1], t.Year())
	}
	return t.Format("Monday 2 January 2006")
}

// TimeOfDay writes a time of day given in minutes after midnight (wrapping at 24
// hours): "9 h 30" in French, "09:30" in English.
func (l Lang) TimeOfDay(minutes int) string {
	minutes = ((minutes % (24 * 60)) + 24*60) % (24 * 60)
	if l == FR {
		return fmt.Sprintf("%d h %02d", minutes/60, minutes%60)
	}
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

// Clock writes the time of day of t (TimeOfDay).
func (l Lang) Clock(t time.Time) string { return l.TimeOfDay(t.Hour()*60 + t.Minute()) }
