package web

import (
	"net/http"
	"net/url"
	"strings"
)

// Destructive actions ask for confirmation (issue 15 point 6): their form carries
// the template "confirm" (a hidden field confirmer holding the question's message
// key). With script, care.js asks the question in a dialog and, when the person
// agrees, sends the form with confirme=1. Without script, or from any browser
// that did not add it, Confirm answers the post with a confirmation step: the
// question, a button that sends the same form again with confirme=1, and a way
// back. Forms without confirmer (the API, the tests' plain posts) are not
// affected.

// ConfirmStep is what the confirmation step's template receives.
type ConfirmStep struct {
	Question string
	Action   string     // where the form goes again
	Fields   url.Values // the form's fields, sent again unchanged
	Back     string     // the page the form was on
}

// Confirm wraps the handler of a form post: a post asking for confirmation that
// has not got it gets the confirmation step instead.
func (p Pages) Confirm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			next.ServeHTTP(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		key := r.PostForm.Get("confirmer")
		if key == "" || r.PostForm.Get("confirme") == "1" || !messageKey(key) {
			next.ServeHTTP(w, r)
			return
		}
		v := p.View(r, "confirm.title")
		fields := url.Values{}
		for name, values := range r.PostForm {
			if name != "confirmer" && name != "confirme" {
				fields[name] = values
			}
		}
		back := PageOf(r)
		if back == "" {
			back = "/"
		}
		v.Data = ConfirmStep{Question: v.T(key), Action: r.URL.RequestURI(), Fields: fields, Back: back}
		p.Render.Render(w, http.StatusOK, "confirm-page", v)
	})
}

// messageKey reports whether s may be a message key: letters, digits, dots and
// underscores (the form is not trusted).
func messageKey(s string) bool {
	return len(s) <= 80 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789._") == ""
}

// PageOf is the page a form was sent from (its Referer, when it is a page of
// this host), as a local path with its query; "" when unknown. After a refused
// post the browser shows that address rather than the post's (see Again).
func PageOf(r *http.Request) string {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host != r.Host {
		return ""
	}
	u.Fragment = ""
	p := LocalPath(u.RequestURI())
	if p == "/" && u.Path != "/" {
		return ""
	}
	return p
}
