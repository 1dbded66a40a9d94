package demo

import (
	"context"
	"fmt"

	"care/internal/catalogue"
	"care/internal/platform/db"
)

// Demo awareness counts of the CHU for two years: the share of staff made
// aware rises from one year to the next.
var awareness = map[int][]catalogue.Count{
	2024: {{Population: "soignants", Staff: 1200, Trained: 420}, {Population: "administratifs", Staff: 300, Trained: 150},
		{Population: "techniques", Staff: 150, Trained: 60}, {Population: "direction", Staff: 20, Trained: 15}},
	2025: {{Population: "soignants", Staff: 1220, Trained: 730}, {Population: "administratifs", Staff: 310, Trained: 220},
		{Population: "techniques", Staff: 150, Trained: 95}, {Population: "direction", Staff: 20, Trained: 19}},
}

func seedAwareness(ctx context.Context, d *db.DB, ids map[string]int64) error {
	s := &catalogue.Service{DB: d}
	for _, year := range []int{2024, 2025} {
		if err := s.SaveAwareness(ctx, ids["chu"], year, awareness[year]); err != nil {
			return fmt.Errorf("demo: awareness %d: %w", year, err)
		}
	}
	return nil
}
