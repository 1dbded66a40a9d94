package i18n

import (
	"testing"
	"time"
)

// French dates and hours in running text follow the Imprimerie nationale's
// rules; English ones the usual British order and a 24-hour clock.
func TestDatesAndTimes(t *testing.T) {
	at := time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC)
	cases := []struct{ got, want string }{
		{FR.LongDate(at), "mardi 8 décembre 2026"},
		{FR.LongDate(time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)), "dimanche 1er août 2027"},
		{EN.LongDate(at), "Tuesday 8 December 2026"},
		{FR.Clock(at), "9 h 30"},
		{EN.Clock(at), "09:30"},
		{FR.TimeOfDay(14*60 + 5), "14 h 05"},
		{FR.TimeOfDay(24*60 + 7*60), "7 h 00"},
		{EN.TimeOfDay(-30), "23:30"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
