package catalogue_test

import (
	"testing"
	"time"

	"care/internal/authz"
	"care/internal/catalogue"
	"care/internal/home"
	"care/internal/platform/i18n"
	"care/internal/testkit"
)

// The awareness indicator on the home cards: the rate of the latest year
// counted and its change in points; counts of an old year ask for this year's;
// no count is not started.
func TestAwarenessCard(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		ctx := authz.WithSubject(t.Context(), app.Root(t))
		year := time.Now().Year()
		ch, ehpad, mas := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID, app.Org(t, "EHPAD Les Glycines").ID,
			app.Org(t, "Maison d'accueil spécialisée Le Grand Chêne").ID
		save := func(org int64, year, staff, trained int) {
			t.Helper()
			if err := app.Server.Catalogue.SaveAwareness(ctx, org, year, []catalogue.Count{{Population: "soignants", Staff: staff, Trained: trained}}); err != nil {
				t.Fatal(err)
			}
		}
		save(ch, year-2, 200, 50) // 25 %
		save(ch, year, 200, 90)   // 45 %: +20 points
		save(ehpad, year-4, 40, 10)
		set, err := home.Of(ctx, d.Read, ch, ehpad, mas)
		if err != nil {
			t.Fatal(err)
		}
		cards, err := app.Server.Catalogue.Status(ctx, set)
		if err != nil {
			t.Fatal(err)
		}
		fr := i18n.FR
		if c := cards[ch]; c.State != home.Done || c.Level.In(fr) != "45 % du personnel sensibilisé" || c.Summary.In(fr) != fr.T("catalogue.awareness.card.summary", year, "+20") {
			t.Errorf("CH: %v %q %q", c.State, c.Level.In(fr), c.Summary.In(fr))
		}
		if c := cards[ehpad]; c.State != home.InProgress || c.Next.URL == "" {
			t.Errorf("EHPAD counted %d: %+v", year-4, c)
		}
		if c := cards[mas]; c.State != home.NotStarted {
			t.Errorf("MAS without counts: %+v", c)
		}
	})
}
