package continuity_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/continuity"
	"care/internal/testkit"
)

// The required RTO of an application: the smallest, over the activities that
// depend on it, of how long their rehearsed degraded mode holds (recorded on the
// sheet) or of their DMIA without one, minus the establishment's detection and
// decision margin. Before, it was the smallest DMIA whatever the degraded mode.
func TestRequiredRTOFromTheSheetAndTheMargin(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ctx := testkit.As(t, app, "pcra@demo.care.test")
		s := app.Server.Continuity
		chu, nord := app.Org(t, "CHU de Port-Émeraude"), app.Org(t, "CHU de Port-Émeraude — Hôpital Nord")
		rto := 12
		dpi, err := s.CreateResource(ctx, continuity.ResourceRow{OrgID: chu.ID, Name: "DPI endurance", Kind: "application", RTO: &rto})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.CreateActivity(ctx, continuity.NewActivity{OrgID: nord.ID, Name: "Hôpital de jour", Type: continuity.TypeCare})
		if err == nil {
			_, err = s.SaveBIA(ctx, a.ID, continuity.BIA{Impacts: continuity.Impacts{"patient_safety": {"1h": 2, "4h": 4}},
				Dependencies: []continuity.DependencyInput{{ResourceID: dpi.ID, Critical: true}}})
		}
		if err != nil {
			t.Fatal(err)
		}
		token := app.Token(t, "pcra@demo.care.test")
		type basis struct {
			Activity string `json:"activity"`
			Source   string `json:"source"`
			Hours    int    `json:"hours"`
			Margin   int    `json:"margin_hours"`
		}
		gap := func() (required *int, gap bool, b *basis) {
			var g struct {
				Items []struct {
					Name     string `json:"name"`
					Required *int   `json:"required_rto_hours"`
					RTOGap   bool   `json:"rto_gap"`
					Basis    *basis `json:"required_rto_basis"`
				} `json:"items"`
			}
			app.API(t, token, "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/gaps", chu.ID), nil, &g)
			for _, it := range g.Items {
				if it.Name == "DPI endurance" {
					return it.Required, it.RTOGap, it.Basis
				}
			}
			t.Fatal("no gap line for the application")
			return nil, false, nil
		}
		// No rehearsed degraded mode: the DMIA (4 h) bounds it.
		if req, short, b := gap(); req == nil || *req != 4 || !short || b == nil || b.Source != "dmia" || b.Hours != 4 || b.Activity != "Hôpital de jour" {
			t.Fatalf("without a degraded mode: %v %v %+v", req, short, b)
		}

		// The degraded mode, rehearsed, holds 24 h: the DPI restored in 12 h is enough.
		client := app.Login(t, "pcra@demo.care.test")
		sheet := fmt.Sprintf("/continuite/activites/%d/mode-degrade", a.ID)
		form := url.Values{"trigger": {"Panne du DPI"}, "first_actions": {"Dossiers papier"}, "holds_hours": {"-3"}}
		if resp := app.PostForm(t, client, sheet, form); resp.StatusCode != 422 {
			t.Errorf("a negative endurance: %d", resp.StatusCode)
		}
		if req, _, _ := gap(); *req != 4 {
			t.Error("a refused sheet changed the required RTO")
		}
		form.Set("holds_hours", "24")
		if resp := app.PostForm(t, client, sheet, form); resp.StatusCode != 303 {
			t.Fatalf("sheet: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if req, short, b := gap(); *req != 24 || short || b.Source != "degraded_mode" || b.Hours != 24 || b.Margin != 0 {
			t.Errorf("with a degraded mode holding 24 h: %v %v %+v", *req, short, b)
		}

		// The CHU sets a detection and decision margin of 6 h, which its sites inherit.
		frame := fmt.Sprintf("/continuite/noeud/%d/cadrage", chu.ID)
		if resp := app.PostForm(t, client, frame, url.Values{"rpcra_name": {"Eden"}, "margin_hours": {"six"}}); resp.StatusCode != 422 {
			t.Errorf("an unreadable margin: %d", resp.StatusCode)
		}
		if resp := app.PostForm(t, client, frame, url.Values{"rpcra_name": {"Eden"}, "margin_hours": {"6"}}); resp.StatusCode != 303 {
			t.Fatalf("framing: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if req, short, b := gap(); *req != 18 || short || b.Margin != 6 {
			t.Errorf("with a margin of 6 h: %v %v %+v", *req, short, b)
		}
		page := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite?org=%d&onglet=reprise", chu.ID)))
		if !contains(page, "« Hôpital de jour » : mode dégradé tenu 24 h − marge de détection et de décision 6 h = 18 h") {
			t.Error("the gap line does not show the reasoning")
		}
		bia := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite/activites/%d", a.ID)))
		if !contains(bia, `id="dmia-help"`, "ISO 22301", "inacceptables") {
			t.Error("the BIA page does not say what the DMIA means")
		}
	})
}
