package exposure

import (
	"testing"
	"time"
)

// The programme's Domaine 1 exposure indicator, from the ANS FAQ on SILENE audits
// (15 Jan 2025): two successive SILENE audits 45 to 60 days apart that keep the
// minimum level. Our own scans never count for it.
func TestSileneIndicatorFollowsTheProgramme(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	audit := func(on string, level int) Silene { return Silene{AuditedOn: day(on), Level: level} }
	yes, no := true, false
	cases := []struct {
		name          string
		audits        []Silene
		minimum       int
		met           *bool
		first, second string
	}{
		{"two audits 47 days apart keep level 3", []Silene{audit("2026-03-01", 4), audit("2026-01-13", 3)}, 3, &yes, "2026-01-13", "2026-03-01"},
		{"the second falls below the minimum", []Silene{audit("2026-01-13", 4), audit("2026-03-01", 2)}, 3, &no, "2026-01-13", "2026-03-01"},
		{"exactly 45 days", []Silene{audit("2026-01-01", 3), audit("2026-02-15", 3)}, 3, &yes, "2026-01-01", "2026-02-15"},
		{"exactly 60 days", []Silene{audit("2026-01-01", 3), audit("2026-03-02", 3)}, 3, &yes, "2026-01-01", "2026-03-02"},
		{"44 days is too close", []Silene{audit("2026-01-01", 5), audit("2026-02-14", 5)}, 3, nil, "", ""},
		{"61 days is too far", []Silene{audit("2026-01-01", 5), audit("2026-03-03", 5)}, 3, nil, "", ""},
		// 1 Jan → 1 Mar is 59 days, but an audit stands between them: not successive.
		{"an audit in between breaks the pair", []Silene{audit("2026-01-01", 5), audit("2026-01-25", 5), audit("2026-03-01", 5)}, 3, nil, "", ""},
		{"the latest pair is the one shown", []Silene{audit("2025-06-01", 2), audit("2025-07-20", 2), audit("2025-09-01", 4), audit("2025-10-20", 4)}, 3, &yes, "2025-09-01", "2025-10-20"},
		{"an unknown threshold decides nothing", []Silene{audit("2026-01-13", 4), audit("2026-03-01", 4)}, 0, nil, "2026-01-13", "2026-03-01"},
		{"no audit", nil, 3, nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sileneIndicator(c.audits, c.minimum)
			if (got.Met == nil) != (c.met == nil) || got.Met != nil && *got.Met != *c.met {
				t.Errorf("met = %v, want %v", got.Met, c.met)
			}
			if c.first == "" {
				if got.First != nil {
					t.Errorf("pair %v–%v, want none", got.First.AuditedOn, got.Second.AuditedOn)
				}
				return
			}
			if got.First == nil || !got.First.AuditedOn.Equal(day(c.first)) || !got.Second.AuditedOn.Equal(day(c.second)) {
				t.Errorf("pair %+v %+v, want %s–%s", got.First, got.Second, c.first, c.second)
			}
		})
	}
}
