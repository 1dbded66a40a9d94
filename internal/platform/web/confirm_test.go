package web

import (
	"net/http/httptest"
	"testing"

	"care/internal/platform/problem"
)

// The page a refused form came from is its Referer when it is a page of this
// host, and nothing otherwise: another site's address must never reach the
// address bar.
func TestPageOf(t *testing.T) {
	for ref, want := range map[string]string{
		"http://care.test/exposition?org=3":         "/exposition?org=3",
		"http://care.test/exposition?org=3#constat": "/exposition?org=3",
		"http://care.test/":                         "/",
		"":                                          "",
		"http://evil.example/exposition":            "",
		"http://care.test.evil.example/exposition":  "",
		"http://care.test//evil.example/x":          "",
		"javascript:alert(1)":                       "",
		"::not a url":                               "",
	} {
		r := httptest.NewRequest("POST", "http://care.test/exposition/noeud/3/cibles", nil)
		if ref != "" {
			r.Header.Set("Referer", ref)
		}
		if got := PageOf(r); got != want {
			t.Errorf("PageOf(Referer %q) = %q, want %q", ref, got, want)
		}
	}
}

// The summary of a refused form lists every faulty field in the order found,
// a field with two reasons twice, so that each reason can be linked to its field.
func TestSetErrorFaults(t *testing.T) {
	var c problem.Checks
	c.Add("value", "error.invalid")
	c.Add("attested", "error.not_found")
	c.Add("value", "error.internal")
	v := &View{}
	v.SetError(c.Err())
	if len(v.Faults) != 3 || v.Faults[0].Field != "value" || v.Faults[1].Field != "attested" || v.Faults[2].Field != "value" {
		t.Fatalf("faults %+v, want value, attested, value", v.Faults)
	}
	if v.Fields["value"] != v.Faults[0].Message+" "+v.Faults[2].Message {
		t.Errorf("the message beside value is %q", v.Fields["value"])
	}
}
