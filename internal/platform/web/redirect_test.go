package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/exercices":                         "/exercices",
		"/maturite?org=12&x=%C3%A9":          "/maturite?org=12&x=%C3%A9",
		"/@evil.example":                     "/@evil.example",
		"/a b":                               "/a%20b",
		"":                                   "/",
		"//evil.example":                     "/",
		"///evil.example":                    "/",
		"/\\evil.example":                    "/",
		"\\/evil.example":                    "/",
		"/\t/evil.example":                   "/",
		"/\n/evil.example":                   "/",
		"/\r\nLocation: http://evil.example": "/",
		"/%09/evil.example":                  "/%09/evil.example", // still encoded: a path segment, not a tab
		"https://evil.example":               "/",
		"http:/evil.example":                 "/",
		"javascript:alert(1)":                "/",
		"evil.example":                       "/",
		" /evil.example":                     "/",
		"/x#//evil.example":                  "/",
		"/\x7f/evil.example":                 "/",
		"/\u3000/evil.example":               "/\u3000/evil.example", // not a control character
	} {
		got := LocalPath(in)
		if want == "/\u3000/evil.example" {
			want = (&url.URL{Path: "/\u3000/evil.example"}).EscapedPath()
		}
		if got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
		// Whatever it returns, a browser resolving it stays on this host.
		base, _ := url.Parse("http://care.test/connexion")
		ref, err := url.Parse(got)
		if err != nil || base.ResolveReference(ref).Host != "care.test" {
			t.Errorf("LocalPath(%q) = %q leaves the host", in, got)
		}
		w := httptest.NewRecorder()
		Redirect(w, httptest.NewRequest("POST", "/connexion", nil), got)
		if loc, _ := url.Parse(w.Header().Get("Location")); w.Code != http.StatusSeeOther || base.ResolveReference(loc).Host != "care.test" {
			t.Errorf("redirect for %q goes to %q", in, w.Header().Get("Location"))
		}
	}
}

func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/exercices?org=1", "//evil.example", "/\t/evil.example", "/\\evil", "https://evil.example", "/%2F%2Fevil"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://care.test/connexion")
	f.Fuzz(func(t *testing.T, s string) {
		got := LocalPath(s)
		if got == "" || got[0] != '/' {
			t.Fatalf("LocalPath(%q) = %q", s, got)
		}
		ref, err := url.Parse(got)
		if err != nil {
			t.Fatalf("LocalPath(%q) = %q does not parse: %v", s, got, err)
		}
		if h := base.ResolveReference(ref).Host; h != "care.test" {
			t.Fatalf("LocalPath(%q) = %q resolves to host %q", s, got, h)
		}
		if LocalPath(got) != got {
			t.Fatalf("LocalPath is not stable on %q: %q then %q", s, got, LocalPath(got))
		}
	})
}
