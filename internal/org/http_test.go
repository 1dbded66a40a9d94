package org_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"care/internal/testkit"
)

// An organisation page whose node id is not one answers 400, never 404 nor
// another node; an id that is one but out of sight stays a 404.
func TestOrgPagesRefuseAMalformedID(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	c := app.Login(t, "direction@demo.care.test")
	for _, path := range []string{"/organisations/abc", "/organisations/-3", "/organisations/0/modifier", "/organisations/x1/enfants"} {
		if resp := app.Get(t, c, path); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", path, resp.StatusCode)
		}
	}
	if resp := app.PostForm(t, c, "/organisations/abc/archiver", url.Values{}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /organisations/abc/archiver: %d, want 400", resp.StatusCode)
	}
	other := app.Org(t, "Clinique Saint-Yves-des-Prés")
	if resp := app.Get(t, c, "/organisations/"+strconv.FormatInt(other.ID, 10)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a node out of sight: %d, want 404", resp.StatusCode)
	}
}
