package incident_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"care/internal/testkit"
)

type changesJSON struct {
	New     []int64 `json:"new"`
	Changed []int64 `json:"changed"`
}

// next reads the next event of a stream.
func next(t *testing.T, events <-chan string) changesJSON {
	t.Helper()
	select {
	case data, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		var c changesJSON
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no event in 10 s")
	}
	return changesJSON{}
}

// submitted creates and submits a complete declaration of org with token, and
// returns its id.
func submitted(t *testing.T, app *testkit.App, token string, org int64, decl map[string]any) int64 {
	t.Helper()
	var i incidentJSON
	if r := app.API(t, token, "POST", "/api/v1/incidents", decl, &i); r.StatusCode != 201 {
		t.Fatalf("create: %d %s", r.StatusCode, testkit.BodyOf(r))
	}
	if r := app.API(t, token, "POST", fmt.Sprintf("/api/v1/incidents/%d/submit", i.ID), nil, nil); r.StatusCode != 200 {
		t.Fatalf("submit: %d %s", r.StatusCode, testkit.BodyOf(r))
	}
	return i.ID
}

// A submission reaches at once, on their live streams, the region's ARS
// referent (API token) and CERT Santé (page session); the referent of another
// region hears only of its own region's declaration (décret 2022-715: the
// declaration goes to the ARS of the establishment's region).
func TestSubmissionsStreamWithinScope(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		stream := func(c *http.Client, url, token string) <-chan string {
			req, _ := http.NewRequestWithContext(ctx, "GET", app.URL+url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return testkit.Follow(t, c, req)
		}
		ars := stream(http.DefaultClient, "/api/v1/incidents/events", app.Token(t, "ars@demo.care.test"))
		ars2 := stream(http.DefaultClient, "/api/v1/incidents/events", app.Token(t, otherARS(t, app)))
		cert := stream(app.Login(t, "cert@demo.care.test"), "/incidents/flux", "")

		chu := app.Org(t, "CHU de Port-Émeraude").ID
		first := submitted(t, app, app.Token(t, "rssi@demo.care.test"), chu, declaration(chu))
		for name, s := range map[string]<-chan string{"ARS": ars, "CERT Santé": cert} {
			c := next(t, s)
			if !slices.Equal(c.Changed, []int64{first}) || !slices.Contains(c.New, first) {
				t.Errorf("%s: first event %+v, want the submission %d", name, c, first)
			}
		}
		clinic := app.Org(t, "Clinique Saint-Yves-des-Prés").ID
		second := submitted(t, app, app.Token(t, "admin@demo.care.test"), clinic, declaration(clinic))
		if c := next(t, ars2); !slices.Equal(c.Changed, []int64{second}) || slices.Contains(c.New, first) {
			t.Errorf("other region's ARS: first event %+v, want only its region's submission %d", c, second)
		}
		if c := next(t, cert); !slices.Equal(c.Changed, []int64{second}) {
			t.Errorf("CERT Santé: second event %+v, want %d", c, second)
		}
	})
}

// CERT Santé reads the establishment's degraded-mode sheets through an open
// incident that declares the degraded mode (or the continuity plan) activated,
// the most urgent activity first, without the establishment sharing its other
// pages; not once the incident is closed, nor for an incident without them.
func TestCERTReadsTheSheetsOfAnOpenIncident(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		rssi, cert := app.Token(t, "rssi@demo.care.test"), app.Token(t, "cert@demo.care.test")
		var got struct {
			Shared bool `json:"shared"`
			Sheets []struct {
				Activity     string   `json:"activity"`
				DMIAHours    *int     `json:"dmia_hours"`
				FirstActions []string `json:"first_actions"`
			} `json:"degraded_sheets"`
		}
		id := submitted(t, app, rssi, chu, declaration(chu))
		path := fmt.Sprintf("/api/v1/incidents/%d", id)
		if r := app.API(t, cert, "GET", path, nil, &got); r.StatusCode != 200 || got.Shared {
			t.Fatalf("CERT reads the incident: %d shared=%v", r.StatusCode, got.Shared)
		}
		// The demo CHU wrote three sheets: réanimation (DMIA 1 h), urgences and
		// laboratoire (4 h).
		if len(got.Sheets) != 3 || got.Sheets[0].DMIAHours == nil || *got.Sheets[0].DMIAHours != 1 || len(got.Sheets[0].FirstActions) == 0 {
			t.Fatalf("sheets as CERT Santé: %+v", got.Sheets)
		}
		body := testkit.BodyOf(app.Get(t, app.Login(t, "cert@demo.care.test"), fmt.Sprintf("/incidents/%d", id)))
		if !strings.Contains(body, "Fiches de mode dégradé") || !strings.Contains(body, got.Sheets[0].Activity) {
			t.Errorf("the incident page shows CERT Santé no sheet")
		}
		if r := app.API(t, cert, "GET", fmt.Sprintf("/api/v1/orgs/%d/continuity/coverage", chu), nil, nil); r.StatusCode != 404 {
			t.Errorf("CERT Santé reads the continuity work itself: %d", r.StatusCode)
		}
		if r := app.API(t, cert, "POST", path+"/close", nil, nil); r.StatusCode != 200 {
			t.Fatalf("close: %d", r.StatusCode)
		}
		got.Sheets = nil
		if app.API(t, cert, "GET", path, nil, &got); len(got.Sheets) != 0 {
			t.Errorf("sheets after the closure: %+v", got.Sheets)
		}
		calm := declaration(chu)
		calm["degraded_mode"], calm["pca_activated"] = false, false
		other := submitted(t, app, rssi, chu, calm)
		if app.API(t, cert, "GET", fmt.Sprintf("/api/v1/incidents/%d", other), nil, &got); len(got.Sheets) != 0 {
			t.Errorf("sheets of an incident without degraded mode: %+v", got.Sheets)
		}
	})
}

// Two instances on one PostgreSQL: a submission on the first reaches a stream
// of the second by its notification, before the stream's own 15 s look.
func TestSubmissionWakesOtherInstance(t *testing.T) {
	d := testkit.Postgres(t)
	a := testkit.NewApp(t, d, testkit.WithoutLoops)
	b := testkit.NewApp(t, d)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.URL+"/api/v1/incidents/events", nil)
	req.Header.Set("Authorization", "Bearer "+b.Token(t, "ars@demo.care.test"))
	onB := testkit.Follow(t, http.DefaultClient, req)
	chu := a.Org(t, "CHU de Port-Émeraude").ID
	id := submitted(t, a, a.Token(t, "rssi@demo.care.test"), chu, declaration(chu))
	if c := next(t, onB); !slices.Equal(c.Changed, []int64{id}) {
		t.Errorf("second instance: first event %+v, want %d", c, id)
	}
}
