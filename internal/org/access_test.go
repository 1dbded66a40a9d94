package org_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/testkit"
)

// Who sees and changes the organisation tree, and how bad input is refused: the
// CHU's RSSI manages the CHU; the CH's DSI manages the CH next door; the region's
// ARS referent reads the region; the Clinique Saint-Yves is in the other region.
func TestWhoSeesTheOrganisations(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		far := app.Org(t, "Clinique Saint-Yves-des-Prés").ID
		north := app.Org(t, "CHU de Port-Émeraude — Hôpital Nord").ID
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID
		api := fmt.Sprintf("/api/v1/orgs/%d", chu)
		page := fmt.Sprintf("/organisations/%d", chu)
		site := func(parent int64, finess string) map[string]any {
			return map[string]any{"parent_id": parent, "level": "site", "name": "Antenne de test", "finess": finess, "kind": "ES", "category": "public", "activity_weight": 0.01}
		}
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the RSSI reads the CHU", As: "rssi@demo.care.test", Path: api, Status: 200, Contains: []string{`"name": "CHU de Port-Émeraude"`}},
			{Name: "the ARS referent reads it", As: "ars@demo.care.test", Path: api, Status: 200},
			{Name: "the CH's DSI does not see it", As: "dsi@demo.care.test", Path: api, Status: 404},
			{Name: "the EHPAD's reader does not see it", As: "lecteur@demo.care.test", Path: api, Status: 404},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/orgs/999999", Status: 404},
			{Name: "the list holds only what is in sight", As: "dsi@demo.care.test", Path: "/api/v1/orgs", Status: 200,
				Contains: []string{"Saint-Aubin-des-Landes"}, Excludes: []string{"CHU de Port-Émeraude", "Saint-Yves"}},
			{Name: "the ARS referent may not edit", As: "ars@demo.care.test", Method: "PATCH", Path: api, Body: map[string]any{"code": "X"}, Status: 403},
			{Name: "the neighbour may not edit", As: "dsi@demo.care.test", Method: "PATCH", Path: api, Body: map[string]any{"code": "X"}, Status: 404},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "PATCH", Path: api, Body: map[string]any{"nom": "X"}, Status: 422},
			{Name: "a negative activity share is refused", As: "rssi@demo.care.test", Method: "PATCH", Path: api, Body: map[string]any{"activity_weight": -1}, Status: 422},
			{Name: "a node may not move under its own child", As: "rssi@demo.care.test", Method: "PATCH", Path: api, Body: map[string]any{"parent_id": north}, Status: 422},
			{Name: "a bad FINESS is refused", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/orgs", Body: site(chu, "350001049"), Status: 422},
			{Name: "a parent out of sight reads as unknown", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/orgs", Body: site(far, ""), Status: 422, Contains: []string{"Structure de rattachement inconnue"}},
			{Name: "the ARS referent may not create", As: "ars@demo.care.test", Method: "POST", Path: "/api/v1/orgs", Body: site(chu, ""), Status: 403},
			{Name: "the RSSI's page", As: "rssi@demo.care.test", Path: page, Status: 200, Contains: []string{"CHU de Port-Émeraude"}},
			{Name: "the reader's page", As: "lecteur@demo.care.test", Path: page, Status: 404, Excludes: []string{"CHU de Port-Émeraude"}},
			{Name: "the ARS referent gets no edit form", As: "ars@demo.care.test", Path: page + "/modifier", Status: 403},
			{Name: "nor a creation form", As: "ars@demo.care.test", Path: page + "/nouveau", Status: 403},
			{Name: "the RSSI gets the edit form", As: "rssi@demo.care.test", Path: page + "/modifier", Status: 200, Contains: []string{`name="name"`}},
			{Name: "the ARS referent may not archive", As: "ars@demo.care.test", Method: "POST", Path: page + "/archiver", Form: url.Values{}, Status: 403},
			{Name: "the edit form refuses a bad name beside its field", As: "rssi@demo.care.test", Method: "POST", Path: page + "/modifier",
				Form: url.Values{"name": {""}, "activity_weight": {"0,62"}}, Status: 422, Contains: []string{"field-error"}},
			{Name: "the search offers what the caller may read", As: "ars@demo.care.test", Path: "/organisations/choix?q=Port&cible=/exposition", Status: 200,
				Contains: []string{"CHU de Port-Émeraude", "/exposition?org="}},
			{Name: "a search for a node to write offers none to the ARS referent", As: "ars@demo.care.test", Path: "/organisations/choix?q=Port&pour=write&cible=/exposition", Status: 200,
				Contains: []string{"Aucune structure"}, Excludes: []string{"CHU de Port-Émeraude ("}},
			{Name: "a search for a node where roles are given offers only those", As: "direction@demo.care.test", Path: "/organisations/choix?q=a&pour=grant&cible=/utilisateurs/nouveau", Status: 200,
				Contains: []string{"CHU de Port-Émeraude"}, Excludes: []string{"Saint-Aubin"}},
			{Name: "a search keeps the parameter it sets", As: "rssi.ght@demo.care.test", Path: fmt.Sprintf("/organisations/choix?q=Littoral&pour=write&param=parent&cible=/organisations/%d/modifier", chu), Status: 200,
				Contains: []string{fmt.Sprintf("/organisations/%d/modifier?parent=", chu)}},
			{Name: "a parameter that is not a plain name falls back to org", As: "rssi.ght@demo.care.test", Path: "/organisations/choix?q=Littoral&param=%22%3E%3Cx&cible=/exposition", Status: 200,
				Contains: []string{"/exposition?org="}, Excludes: []string{"<x"}},
			{Name: "the edit form offers a move by search or short list", As: "rssi.ght@demo.care.test", Path: page + "/modifier", Status: 200,
				Contains: []string{`id="move"`, "Rattacher à une autre structure"}, Excludes: []string{`<select id="parent_id"`}},
			{Name: "the edit form shows the parent chosen", As: "rssi.ght@demo.care.test", Path: fmt.Sprintf("%s/modifier?parent=%d", page, app.Org(t, "Région Armor-Océan (fictive)").ID), Status: 200,
				Excludes: []string{"Nouvelle structure de rattachement"}},
			{Name: "a site's form shows the new parent chosen", As: "rssi.ght@demo.care.test", Path: fmt.Sprintf("/organisations/%d/modifier?parent=%d", north, ch), Status: 200,
				Contains: []string{"Nouvelle structure de rattachement : Centre hospitalier de Saint-Aubin-des-Landes.", fmt.Sprintf(`name="parent_id" value="%d"`, ch)}},
			{Name: "the CHU keeps its name", As: "rssi@demo.care.test", Path: api, Status: 200, Contains: []string{`"name": "CHU de Port-Émeraude"`}, Excludes: []string{`"code": "X"`}},
		})
	})
}
