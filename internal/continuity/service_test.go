package continuity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"care/internal/continuity"
	"care/internal/platform/mail"
	"care/internal/testkit"
)

type activityJSON struct {
	ID           int64 `json:"id"`
	DMIA         *int  `json:"dmia_hours"`
	Computed     *int  `json:"computed_dmia_hours"`
	PDMA         *int  `json:"pdma_hours"`
	Impacts      map[string]map[string]int
	Dependencies []struct {
		Application int64 `json:"application"`
		Critical    bool  `json:"critical"`
	} `json:"dependencies"`
}

type gapsJSON struct {
	Items []struct {
		Application int64  `json:"application"`
		Name        string `json:"name"`
		RequiredRTO *int   `json:"required_rto_hours"`
		ActualRTO   *int   `json:"actual_rto_hours"`
		RequiredRPO *int   `json:"required_rpo_hours"`
		Gap         bool   `json:"gap"`
		Order       int    `json:"recovery_order"`
	} `json:"items"`
}

func TestContinuityContract(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		pcra := app.Token(t, "pcra@demo.care.test")
		chu := app.Org(t, "CHU de Port-Émeraude")
		nord := app.Org(t, "CHU de Port-Émeraude — Hôpital Nord")

		// The register: the DPI at the CHU, the lab system declared with a slow restore.
		var dpi, sil struct {
			ID int64 `json:"id"`
		}
		app.API(t, pcra, "POST", "/api/v1/applications", map[string]any{"org": chu.ID, "name": "DPI test", "rto_hours": 8, "rpo_hours": 1}, &dpi)
		if resp := app.API(t, pcra, "POST", "/api/v1/applications", map[string]any{"org": chu.ID, "name": "SIL test", "rto_hours": 48, "rpo_hours": 24, "last_restore_test": "2026-10-01"}, &sil); resp.StatusCode != 201 {
			t.Fatalf("application: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}

		// An activity from the catalogue on a site, and its BIA.
		var a activityJSON
		resp := app.API(t, pcra, "POST", "/api/v1/activities", map[string]any{"org": nord.ID, "catalogue_id": "urgences"}, &a)
		if resp.StatusCode != 201 {
			t.Fatalf("activity: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		base := fmt.Sprintf("/api/v1/activities/%d", a.ID)
		bia := map[string]any{
			"impacts": map[string]any{
				"patient_safety": map[string]int{"1h": 2, "4h": 4, "24h": 4},
				"financial":      map[string]int{"1h": 1, "4h": 1, "24h": 2, "72h": 3},
			},
			"pdma_hours":   1,
			"dependencies": []map[string]any{{"application": dpi.ID, "critical": true}, {"application": sil.ID, "critical": true}},
		}
		if resp := app.API(t, pcra, "PUT", base+"/bia", bia, &a); resp.StatusCode != 200 || a.DMIA == nil || *a.DMIA != 4 {
			t.Fatalf("BIA: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}

		// Bad input changes nothing: a horizon out of order, an override without
		// justification, a dependency on another tenant's application.
		other := app.Token(t, "dsi@demo.care.test")
		var foreign struct {
			ID int64 `json:"id"`
		}
		app.API(t, other, "POST", "/api/v1/applications", map[string]any{"org": app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID, "name": "DPI voisin", "rto_hours": 1}, &foreign)
		for name, body := range map[string]map[string]any{
			"out of order": {"impacts": map[string]any{"patient_safety": map[string]int{"1h": 3, "4h": 2}}},
			"override":     {"impacts": map[string]any{}, "dmia_override_hours": 72},
			"foreign app":  {"impacts": map[string]any{}, "dependencies": []map[string]any{{"application": foreign.ID, "critical": true}}},
			"unknown hz":   {"impacts": map[string]any{"legal": map[string]int{"2d": 2}}},
		} {
			if resp := app.API(t, pcra, "PUT", base+"/bia", body, nil); resp.StatusCode != 422 {
				t.Errorf("%s: %d %s", name, resp.StatusCode, testkit.BodyOf(resp))
			}
		}
		var again activityJSON
		app.API(t, pcra, "GET", base, nil, &again)
		if again.DMIA == nil || *again.DMIA != 4 || len(again.Dependencies) != 2 {
			t.Fatalf("a refused BIA changed the activity: %s", testkit.BodyOf(app.API(t, pcra, "GET", base, nil, nil)))
		}
		// A justified override wins over the computed DMIA.
		bia["dmia_override_hours"], bia["dmia_justification"] = 2, "Déport vers le CH voisin impossible la nuit"
		app.API(t, pcra, "PUT", base+"/bia", bia, &a)
		if *a.DMIA != 2 || *a.Computed != 4 {
			t.Errorf("override: DMIA %v computed %v", *a.DMIA, *a.Computed)
		}

		// Gaps: required RTO 2 h (the override), the DPI restores in 8 h, the SIL in 48.
		var g gapsJSON
		app.API(t, pcra, "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/gaps", chu.ID), nil, &g)
		found := 0
		for _, it := range g.Items {
			if it.Name == "DPI test" || it.Name == "SIL test" {
				found++
				if it.RequiredRTO == nil || *it.RequiredRTO != 2 || *it.RequiredRPO != 1 || !it.Gap {
					t.Errorf("%s: %+v", it.Name, it)
				}
			}
		}
		if found != 2 {
			t.Errorf("gaps: %s", testkit.BodyOf(app.API(t, pcra, "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/gaps", chu.ID), nil, nil)))
		}
		// The neighbour sees none of it.
		if resp := app.API(t, other, "GET", base, nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour reads the activity: %d", resp.StatusCode)
		}
		if resp := app.API(t, other, "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/gaps", chu.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour reads the gaps: %d", resp.StatusCode)
		}

		// The register import is all or nothing.
		bad := "nom;type;rto;rpo;schéma;hors ligne;test\nPACS;application;4;1;3-2-1;oui;2026-01-10\nRIS;logiciel;x;1;;peut-être;10/01/2026\n"
		if resp := app.API(t, pcra, "POST", fmt.Sprintf("/api/v1/orgs/%d/applications/import", chu.ID), bad, nil); resp.StatusCode != 422 || strings.Count(testkit.BodyOf(resp), "Ligne 3") < 3 {
			t.Errorf("bad import: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		good := "nom;type;rto;rpo;schéma;hors ligne;test\nPACS;application;4;1;3-2-1;oui;2026-01-10\nRIS;application;24;4;;non;\n"
		var created struct {
			Created int `json:"created"`
		}
		if resp := app.API(t, pcra, "POST", fmt.Sprintf("/api/v1/orgs/%d/applications/import", chu.ID), good, &created); resp.StatusCode != 201 || created.Created != 2 {
			t.Errorf("good import: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}

		// The plan: DOCX and ODT downloads, then two new versions with their change log.
		for i, format := range []string{"docx", "odt"} {
			resp := app.API(t, pcra, "GET", fmt.Sprintf("/api/v1/orgs/%d/pcra?format=%s", chu.ID, format), nil, nil)
			body := testkit.BodyOf(resp)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", format, resp.StatusCode, body)
			}
			if text := docText(t, body, format); !strings.Contains(text, "Urgences") || !strings.Contains(text, "DPI test") {
				t.Errorf("%s: the plan lacks the activity or the application", format)
			}
			if resp := app.API(t, pcra, "POST", fmt.Sprintf("/api/v1/orgs/%d/pcra/versions", chu.ID), nil, nil); resp.StatusCode != 201 {
				t.Fatalf("new version: %d", resp.StatusCode)
			}
			versions, _ := app.Server.Continuity.Versions(testkit.As(t, app, "pcra@demo.care.test"), chu.ID)
			if len(versions) != i+2 { // the demo generated version 1
				t.Errorf("versions after %s: %d", format, len(versions))
			}
		}
		versions, _ := app.Server.Continuity.Versions(testkit.As(t, app, "pcra@demo.care.test"), chu.ID)
		if len(versions) != 3 || !strings.Contains(versions[2].ChangeLog, "Première") || !strings.Contains(versions[1].ChangeLog, "Ressource ajoutée : DPI test") ||
			!strings.Contains(versions[1].ChangeLog, "Nouvel écart : DPI test") || !strings.Contains(versions[0].ChangeLog, "sans changement") {
			t.Errorf("change logs: %+v", versions)
		}

		// Coverage of the GHT: the CHU (62 %) has a BIA and a plan; no test yet.
		var cov struct {
			BIA  float64 `json:"bia_percent"`
			Plan float64 `json:"plan_percent"`
			Met  bool    `json:"met"`
		}
		ght := app.Org(t, "GHT-LE")
		app.API(t, app.Token(t, "rssi.ght@demo.care.test"), "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/coverage", ght.ID), nil, &cov)
		if cov.BIA < 62 || cov.Plan < 61.9 || cov.Plan > 62.1 || cov.Met {
			t.Errorf("coverage: %+v", cov)
		}
	})
}

type fakeSender struct{ sent []mail.Message }

func (f *fakeSender) Send(_ context.Context, m mail.Message) error {
	f.sent = append(f.sent, m)
	return nil
}

func TestReviewRemindersOverRealSMTP(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	ctx := testkit.As(t, app, "pcra@demo.care.test")
	chu := app.Org(t, "CHU de Port-Émeraude")
	due := time.Now().Add(10 * 24 * time.Hour)
	if err := app.Server.Continuity.SavePlan(ctx, continuity.Plan{OrgID: chu.ID, RPCRAName: "Eden", RPCRAEmail: "pcra@demo.care.test", ReviewDue: &due}); err != nil {
		t.Fatal(err)
	}
	sender := &mail.SMTP{Addr: app.Mail.Addr, From: "care@localhost"}
	n, err := app.Server.Continuity.SendReminders(t.Context(), sender, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("reminders: %d, %v", n, err)
	}
	m := app.Mail.Wait(t, 1)
	if m.To[0] != "pcra@demo.care.test" || !strings.Contains(m.Data, "CHU de Port") {
		t.Errorf("reminder mail: %+v", m)
	}
	// Claimed once: a second pass (another instance, the next hour) sends nothing.
	if n, _ := app.Server.Continuity.SendReminders(t.Context(), sender, time.Now().Add(time.Hour)); n != 0 {
		t.Errorf("the reminder went out twice")
	}
	// A week later, still due: once more.
	if n, _ := app.Server.Continuity.SendReminders(t.Context(), &fakeSender{}, time.Now().Add(8*24*time.Hour)); n != 1 {
		t.Errorf("no reminder a week later")
	}
}

func TestInstanceHorizons(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	hs, err := continuity.ParseHorizons("2h,12h,3d,2w")
	if err != nil {
		t.Fatal(err)
	}
	s := &continuity.Service{DB: app.DB, Horizons: hs}
	ctx := testkit.As(t, app, "pcra@demo.care.test")
	a, err := s.CreateActivity(ctx, continuity.NewActivity{OrgID: app.Org(t, "CHU de Port-Émeraude").ID, Name: "Hôpital de jour", Type: continuity.TypeCare})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveBIA(ctx, a.ID, continuity.BIA{Impacts: continuity.Impacts{"patient_safety": {"1h": 2}}}); err == nil {
		t.Error("a default horizon was accepted by an instance that does not use it")
	}
	got, err := s.SaveBIA(ctx, a.ID, continuity.BIA{Impacts: continuity.Impacts{"patient_safety": {"2h": 1, "12h": 3, "3d": 4}}})
	if err != nil || got.EffectiveDMIA() == nil || *got.EffectiveDMIA() != 72 {
		t.Fatalf("DMIA over the instance's horizons: %v %v", got.EffectiveDMIA(), err)
	}
}
