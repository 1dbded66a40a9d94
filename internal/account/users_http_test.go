package account_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/testkit"
)

// The role form lists the nodes where roles may be given while they are few; past
// org.FewChoices it offers the node search instead, which comes back to the form
// with ?org=ID, and the form then carries that node.
func TestUserFormNodeChooserScales(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	c := app.Login(t, "direction@demo.care.test")
	chu := app.Org(t, "CHU de Port-Émeraude")

	body := testkit.BodyOf(app.Get(t, c, "/utilisateurs/nouveau"))
	if !strings.Contains(body, `<select id="org" name="org" required>`) || !strings.Contains(body, `<option value="`+strconv.FormatInt(chu.ID, 10)+`"`) {
		t.Fatalf("with few nodes the form has no select of them:\n%s", body)
	}
	if strings.Contains(body, `action="/organisations/choix"`) {
		t.Error("with few nodes the form also offers the search")
	}

	ctx := authz.WithSubject(t.Context(), app.Root(t))
	var last org.Org
	for i := range org.FewChoices {
		o, err := app.Server.Orgs.Create(ctx, org.Org{ParentID: chu.ID, Level: org.Site, Name: fmt.Sprintf("Antenne %02d", i),
			FINESS: org.CompleteFINESS(fmt.Sprintf("3509%04d", i)), Kind: org.ES, Category: org.Public})
		if err != nil {
			t.Fatal(err)
		}
		last = o
	}
	resp := app.Get(t, c, "/utilisateurs/nouveau")
	body = testkit.BodyOf(resp)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `<select id="org"`) || !strings.Contains(body, `action="/organisations/choix"`) ||
		!strings.Contains(body, `name="cible" value="/utilisateurs/nouveau"`) {
		t.Fatalf("with many nodes the form does not offer the search (%d):\n%s", resp.StatusCode, body)
	}
	found := testkit.BodyOf(app.Get(t, c, "/organisations/choix?cible=/utilisateurs/nouveau&q=Antenne+29"))
	link := "/utilisateurs/nouveau?org=" + strconv.FormatInt(last.ID, 10)
	if !strings.Contains(found, `href="`+link+`"`) {
		t.Fatalf("the search does not lead back to the form with the node (%s):\n%s", link, found)
	}
	body = testkit.BodyOf(app.Get(t, c, link))
	if !strings.Contains(body, `<input type="hidden" name="org" value="`+strconv.FormatInt(last.ID, 10)+`">`) || !strings.Contains(body, "Structure choisie : <strong>Antenne 29") {
		t.Fatalf("the form does not carry the chosen node:\n%s", body)
	}
	form := url.Values{"name": {"Nour Antenne"}, "email": {"nour.antenne@demo.care.test"}, "role": {"rssi"}, "org": {strconv.FormatInt(last.ID, 10)}}
	if resp := app.PostForm(t, c, "/utilisateurs/nouveau", form); resp.StatusCode != http.StatusCreated {
		t.Errorf("creating a user at the chosen node: %d", resp.StatusCode)
	}
	// The grant form of a user's page does the same, coming back to that page.
	nour, err := app.Server.Accounts.ByEmail(t.Context(), "nour.antenne@demo.care.test")
	if err != nil {
		t.Fatal(err)
	}
	page := "/utilisateurs/" + strconv.FormatInt(nour.ID, 10)
	if body := testkit.BodyOf(app.Get(t, c, page)); !strings.Contains(body, `name="cible" value="`+page+`"`) || strings.Contains(body, `<select id="org"`) {
		t.Errorf("the grant form of %s does not offer the search:\n%s", page, body)
	}
	if body := testkit.BodyOf(app.Get(t, c, page+"?org="+strconv.FormatInt(chu.ID, 10))); !strings.Contains(body, `<input type="hidden" name="org" value="`+strconv.FormatInt(chu.ID, 10)+`">`) {
		t.Errorf("the grant form of %s does not carry the chosen node:\n%s", page, body)
	}
	if resp := app.Get(t, c, "/utilisateurs/nouveau?org=abc"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed chosen node: %d, want 400", resp.StatusCode)
	}
}
