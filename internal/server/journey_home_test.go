package server_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
)

// Each demo role lands on its home, sees its next step and follows it to the page
// it names; the home is checked at 1,440 and 390 px (checkPage: a screenshot as
// test artifact, the navigation on one line, no sideways scrolling at 390 px,
// axe-core). One browser and one app for all roles, each in a browser context of
// its own (its own cookies), one after another.
func TestJourneyHomeNextStepPerRole(t *testing.T) {
	start := time.Now()
	j := newJourneyFor(t, 4*time.Minute)
	for _, a := range demo.Accounts {
		t.Run(a.Email, func(t *testing.T) {
			who := j.at(t).another()
			who.login(a.Email, demo.Password)
			for _, width := range []int64{1440, 390} {
				t.Run(strconv.FormatInt(width, 10), func(t *testing.T) {
					at := who.at(t)
					at.do("resizing to "+strconv.FormatInt(width, 10), chromedp.EmulateViewport(width, 900))
					at.open("/")
					at.checkPage(width)
				})
			}
			href := eval[string](who, `(document.querySelector('a.next-action.first') || {href: ''}).href`)
			if href == "" {
				t.Fatalf("the home of %s offers no next step", a.Email)
			}
			want, err := url.Parse(href)
			if err != nil {
				t.Fatal(err)
			}
			if status := who.submit("following the next step", `a.next-action.first`); status != 200 {
				t.Fatalf("the next step %s answered %d", href, status)
			}
			if got := who.path(); got != want.RequestURI() {
				t.Errorf("after following the next step the browser is on %s, want %s", got, want.RequestURI())
			}
		})
	}
	t.Logf("homes of %d roles checked in %s", len(demo.Accounts), time.Since(start).Round(time.Millisecond))
}
