package exercise

import (
	"slices"
	"testing"
	"time"
)

// Exercise time reads hh:mm; the simulated time of day follows the kit's text
// where it gives a start hour and a steady pace, and nothing is made up where the
// kit's time jumps (the hour is then at the head of each message).
func TestSimulatedClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "00:00", 85*time.Minute + 59*time.Second: "01:25", 4 * time.Hour: "04:00", -time.Second: "00:00"} {
		if got := HHMM(d); got != want {
			t.Errorf("HHMM(%v) = %q, want %q", d, got, want)
		}
	}
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	kit := func(level string) Kit {
		i := slices.IndexFunc(kits, func(k Kit) bool { return k.Level == level })
		if i < 0 {
			t.Fatalf("no %s kit", level)
		}
		return kits[i]
	}
	cases := []struct {
		level   string
		elapsed time.Duration
		want    int // minutes after midnight
	}{
		// "L'exercice commence le lundi à 8 h 00 (heure simulée) … les deux heures
		// d'exercice couvrent la matinée jusqu'à midi."
		{"debutant", 0, 8 * 60},
		{"debutant", 2 * time.Hour, 12 * 60},
		// "commence le mercredi à 7 h 30 simulées … une minute de jeu vaut environ
		// quatre minutes simulées, soit une journée complète jusqu'à 19 h 30"; its
		// stimulus at 5 minutes says "Il est 7 h 50".
		{"intermediaire", 5 * time.Minute, 7*60 + 50},
		{"intermediaire", 3 * time.Hour, 19*60 + 30},
	}
	for _, c := range cases {
		if got, ok := kit(c.level).SimulatedAt(c.elapsed); !ok || got != c.want {
			t.Errorf("%s at %v: %d:%02d (%v), want %d:%02d", c.level, c.elapsed, got/60, got%60, ok, c.want/60, c.want%60)
		}
	}
	for _, level := range []string{"confirme", "regional"} {
		if _, ok := kit(level).SimulatedAt(time.Hour); ok {
			t.Errorf("%s: a steady clock for a kit whose time jumps", level)
		}
	}
	k := kit("debutant")
	for _, bad := range []struct {
		start string
		scale int
	}{{"8h00", 2}, {"25:00", 1}, {"", 2}, {"08:00", 61}} {
		k.StartTime, k.TimeScale = bad.start, bad.scale
		if k.Validate() == nil {
			t.Errorf("start_time %q, time_scale %d accepted", bad.start, bad.scale)
		}
	}
}
