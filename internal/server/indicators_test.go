package server_test

import (
	"testing"
	"time"

	"care/internal/funding"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// The funding indicator exercise.yearly: a crisis exercise finished during the
// operational phase of the candidature's call, with its date and title; nothing
// (never a made-up value) when none finished inside the phase.
func TestYearlyExerciseIndicator(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		ind := app.Server.Funding.Indicators["exercise.yearly"]
		if ind == nil {
			t.Fatal("no provider for exercise.yearly")
		}
		ctx := testkit.As(t, app, "rssi@demo.care.test")
		chu := app.Org(t, "CHU de Port-Émeraude") // the demo finished its exercise today
		day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
		phase := func(from, to string) funding.Call {
			return funding.Call{ID: "t", Phases: []funding.Phase{{Name: funding.Operational, From: from, To: to}}}
		}
		for _, c := range []struct {
			name     string
			call     funding.Call
			expected bool
		}{
			{"inside, its last day today", phase(day(-30), day(0)), true},
			{"open-ended", phase(day(-30), ""), true},
			{"ended yesterday", phase(day(-30), day(-1)), false},
			{"starts tomorrow", phase(day(1), day(30)), false},
			{"start not published", phase("", ""), false},
		} {
			v, ok, err := ind(ctx, chu.ID, c.call)
			if err != nil || ok != c.expected || (ok != (v != nil)) {
				t.Errorf("%s: %v %v %v", c.name, v, ok, err)
				continue
			}
			if ok {
				m := v.(map[string]any)
				if on, _ := m["finished_on"].(time.Time); on.IsZero() || m["title"] == "" || m["title"] == nil {
					t.Errorf("%s: the value %v lacks the date or title", c.name, m)
				}
			}
		}
		// The clinic has none; the ARS of Armor-Océan does not read the other region.
		if v, ok, err := ind(testkit.As(t, app, "ars@demo.care.test"), app.Org(t, "Clinique des Quatre-Vents").ID, phase(day(-30), day(30))); ok || v != nil || err != nil {
			t.Errorf("the clinic without exercise: %v %v %v", v, ok, err)
		}
		if _, _, err := ind(testkit.As(t, app, "ars@demo.care.test"), app.Org(t, "Clinique Saint-Yves-des-Prés").ID, phase(day(-30), day(30))); !problem.Is(err, problem.NotFound) {
			t.Errorf("the ARS reads another region's establishment: %v", err)
		}
	})
}
