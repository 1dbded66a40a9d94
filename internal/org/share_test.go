package org_test

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The activity share is a "part d'activité (%)": shown and typed as a percentage
// with a decimal comma in French ("62,5"), stored as the fraction the API gives
// (activity_weight 0.625). A share above 100 % or not a number is refused beside
// its field and changes nothing.
func TestActivityShareIsAPercentageWithADecimalComma(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude") // seeded with 0.62
		page := fmt.Sprintf("/organisations/%d", chu.ID)
		c := app.Login(t, "rssi@demo.care.test")
		if body := testkit.BodyOf(app.Get(t, c, page)); !strings.Contains(body, "Part d&#39;activité (%)") || !strings.Contains(body, "<dd>62 %</dd>") {
			t.Errorf("the page does not show the share as 62 %%")
		}
		if body := testkit.BodyOf(app.Get(t, c, page+"/modifier")); !strings.Contains(body, `name="activity_weight" value="62"`) {
			t.Errorf("the form does not offer 62")
		}
		form := func(share string) url.Values {
			return url.Values{"name": {chu.Name}, "finess": {chu.FINESS}, "kind": {string(chu.Kind)}, "category": {string(chu.Category)},
				"activity_weight": {share}, "level": {string(chu.Level)}}
		}
		for _, bad := range []struct{ share, want string }{{"150", "de 0 à 100"}, {"6,2,5", "virgule décimale"}, {"-3", "de 0 à 100"}} {
			resp := app.PostForm(t, c, page+"/modifier", form(bad.share))
			if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, bad.want) {
				t.Errorf("share %q: status %d, message %q missing", bad.share, resp.StatusCode, bad.want)
			}
		}
		if got := app.Org(t, chu.FINESS).ActivityWeight; got != 0.62 {
			t.Errorf("a refused share changed the weight to %v", got)
		}
		if resp := app.PostForm(t, c, page+"/modifier", form("62,5")); resp.StatusCode != 303 {
			t.Fatalf("62,5: status %d\n%.600s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if got := app.Org(t, chu.FINESS).ActivityWeight; math.Abs(got-0.625) > 1e-9 {
			t.Errorf("62,5 %% stored as %v, want 0.625", got)
		}
		if body := testkit.BodyOf(app.Get(t, c, page)); !strings.Contains(body, "<dd>62,5 %</dd>") {
			t.Errorf("the page does not show 62,5 %%")
		}
	})
}
