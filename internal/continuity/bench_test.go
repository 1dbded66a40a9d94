package continuity_test

import (
	"fmt"
	"testing"

	"care/internal/continuity"
	"care/internal/platform/i18n"
	"care/internal/testkit"
)

// BenchmarkGHTPlan measures, for a GHT with 200 activities and 80 applications, the
// gap computation (read everything, derive required RTO/RPO, order) and the PCRA
// generation in each format, on SQLite.
//
//	go test ./internal/continuity -run '^$' -bench GHTPlan -benchtime 20x
func BenchmarkGHTPlan(b *testing.B) {
	app := testkit.NewApp(b, testkit.SQLite(b))
	ctx := testkit.As(b, app, "rssi.ght@demo.care.test")
	s := app.Server.Continuity
	ght := app.Org(b, "GHT-LE")
	sites := []int64{app.Org(b, "CHU de Port-Émeraude — Hôpital Nord").ID, app.Org(b, "CHU de Port-Émeraude — Hôpital Sud").ID,
		app.Org(b, "Centre hospitalier de Saint-Aubin-des-Landes").ID}
	holder := ght.ID // applications shared by the GHT serve every establishment
	var apps []int64
	for i := range 80 {
		rto, rpo := 4+i%7*8, 1+i%5*4
		r, err := s.CreateResource(ctx, continuity.ResourceRow{OrgID: holder, Name: fmt.Sprintf("Application %02d", i), Kind: "application", RTO: &rto, RPO: &rpo})
		if err != nil {
			b.Fatal(err)
		}
		apps = append(apps, r.ID)
	}
	horizons := continuity.DefaultHorizons
	types := []string{continuity.TypeCare, continuity.TypeAdmin, continuity.TypePlatform}
	for i := range 200 {
		a, err := s.CreateActivity(ctx, continuity.NewActivity{OrgID: sites[i%len(sites)], Name: fmt.Sprintf("Activité %03d", i), Type: types[i%3]})
		if err != nil {
			b.Fatal(err)
		}
		imp := continuity.Impacts{}
		for _, crit := range continuity.Criteria {
			imp[crit] = map[continuity.Horizon]int{}
			for k, h := range horizons {
				imp[crit][h] = min(4, 1+k*(1+i%3)/2)
			}
		}
		pdma := 1 + i%24
		deps := []continuity.DependencyInput{{ResourceID: apps[i%80], Critical: true}, {ResourceID: apps[(i+27)%80], Critical: true}, {ResourceID: apps[(i+53)%80]}}
		if _, err := s.SaveBIA(ctx, a.ID, continuity.BIA{Impacts: imp, PDMA: &pdma, Dependencies: deps}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("gaps", func(b *testing.B) {
		for b.Loop() {
			gaps, err := s.GapsFor(ctx, ght.ID)
			if err != nil || len(gaps) < 80 {
				b.Fatalf("%d gaps, %v", len(gaps), err)
			}
		}
	})
	for _, format := range []string{continuity.FormatDOCX, continuity.FormatODT, continuity.FormatPDF} {
		b.Run("pcra-"+format, func(b *testing.B) {
			for b.Loop() {
				doc, err := s.Document(ctx, ght.ID, format, i18n.FR, app.Server.PDF)
				if err != nil || len(doc.Data) < 10_000 {
					b.Fatalf("%s: %d bytes, %v", format, len(doc.Data), err)
				}
			}
		})
	}
}
