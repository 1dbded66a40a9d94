package server_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"care/internal/demo"
	"care/internal/testkit"
)

// Each demo role lands on its home, sees its next step and follows it to the page
// it names; the home is photographed at 1,440 and 390 px (test artifacts, see
// testkit.Screenshot), and at 390 px its content does not scroll sideways.
func TestJourneyHomeNextStepPerRole(t *testing.T) {
	for _, a := range demo.Accounts {
		t.Run(a.Email, func(t *testing.T) {
			j := newJourney(t)
			j.login(a.Email, demo.Password)
			for _, width := range []int64{1440, 390} {
				t.Run(strconv.FormatInt(width, 10), func(t *testing.T) {
					j.do("resizing to "+strconv.FormatInt(width, 10), chromedp.EmulateViewport(width, 900))
					j.open("/")
					testkit.Screenshot(t, j.ctx)
					if width == 390 {
						if over := eval[int](j, `document.querySelector('main').scrollWidth - document.documentElement.clientWidth`); over > 0 {
							t.Errorf("at 390 px the home is %d px too wide", over)
						}
					}
				})
			}
			href := eval[string](j, `(document.querySelector('a.next-action.first') || {href: ''}).href`)
			if href == "" {
				t.Fatalf("the home of %s offers no next step", a.Email)
			}
			want, err := url.Parse(href)
			if err != nil {
				t.Fatal(err)
			}
			if status := j.submit("following the next step", `a.next-action.first`); status != 200 {
				t.Fatalf("the next step %s answered %d", href, status)
			}
			if got := j.path(); got != want.RequestURI() {
				t.Errorf("after following the next step the browser is on %s, want %s", got, want.RequestURI())
			}
		})
	}
}
