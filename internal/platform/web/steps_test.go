package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"care/internal/platform/problem"
)

var errForbidden = problem.New(problem.Forbidden, "error.forbidden")

// request is a request to pattern with path value id set as the mux would.
func request(method, id, body string) *http.Request {
	r := httptest.NewRequest(method, "/x/"+id, strings.NewReader(body))
	r.SetPathValue("id", id)
	return r
}

func TestByIDStopsAtTheFirstError(t *testing.T) {
	var failed error
	fail := func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err }
	calls := 0
	get := func(_ context.Context, id int64) (int64, error) {
		calls++
		if id == 7 {
			return 0, errForbidden
		}
		return id * 2, nil
	}
	for _, c := range []struct {
		id    string
		want  int64
		ok    bool
		err   error
		calls int
	}{
		{"21", 42, true, nil, 1},
		{"x", 0, false, problem.ErrNotFound, 0},
		{"-3", 0, false, problem.ErrNotFound, 0},
		{"7", 0, false, errForbidden, 1},
	} {
		failed, calls = nil, 0
		got, ok := ByID(httptest.NewRecorder(), request("GET", c.id, ""), fail, get)
		if got != c.want || ok != c.ok || !errors.Is(failed, c.err) || (c.err == nil && failed != nil) || calls != c.calls {
			t.Errorf("ByID(%q) = %d, %v, failed %v, %d calls; want %d, %v, %v, %d", c.id, got, ok, failed, calls, c.want, c.ok, c.err, c.calls)
		}
	}
}

func TestIDFormRefusesAnUnreadableForm(t *testing.T) {
	var failed error
	fail := func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err }
	r := request("POST", "5", "a=%zz")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, ok := IDForm(httptest.NewRecorder(), r, fail); ok || !problem.Is(failed, problem.Invalid) {
		t.Errorf("IDForm with a bad form: ok %v, failed %v; want a refusal", ok, failed)
	}
	failed = nil
	r = request("POST", "5", "a=1")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id, ok := IDForm(httptest.NewRecorder(), r, fail); !ok || id != 5 || r.PostForm.Get("a") != "1" || failed != nil {
		t.Errorf("IDForm = %d, %v (form %v, failed %v); want 5, true", id, ok, r.PostForm, failed)
	}
}

func TestOnIDBodyReadsTheIDBeforeTheBody(t *testing.T) {
	type in struct {
		N int `json:"n"`
	}
	do := func(_ context.Context, id int64, v in) (map[string]int64, error) {
		return map[string]int64{"sum": id + int64(v.N)}, nil
	}
	for _, c := range []struct {
		id, body string
		status   int
		text     string
	}{
		{"2", `{"n":3}`, http.StatusCreated, `"sum": 5`},
		{"x", `not json`, http.StatusNotFound, ""},
		{"2", `not json`, http.StatusUnprocessableEntity, ""},
		{"2", `{"n":3,"other":1}`, http.StatusUnprocessableEntity, ""},
	} {
		w := httptest.NewRecorder()
		OnIDBody(w, request("POST", c.id, c.body), "id", http.StatusCreated, do)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.text) {
			t.Errorf("OnIDBody(%q, %q) = %d %s; want %d with %q", c.id, c.body, w.Code, w.Body, c.status, c.text)
		}
	}
	w := httptest.NewRecorder()
	OnBody(w, request("POST", "", `{"n":4}`), http.StatusOK, func(_ context.Context, v in) (int, error) { return v.N, nil })
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "4" {
		t.Errorf("OnBody = %d %s; want 200 4", w.Code, w.Body)
	}
}

func TestAsConvertsOnlyWhatWasLoaded(t *testing.T) {
	converted := 0
	conv := func(n int64) string { converted++; return fmt.Sprint(n) }
	step := As(func(_ context.Context, id int64) (int64, error) {
		if id == 0 {
			return 0, problem.ErrNotFound
		}
		return id * 10, nil
	}, conv)
	if s, err := step(context.Background(), 4); s != "40" || err != nil {
		t.Errorf("As(4) = %q, %v; want 40", s, err)
	}
	if s, err := step(context.Background(), 0); s != "" || !errors.Is(err, problem.ErrNotFound) || converted != 1 {
		t.Errorf("As(0) = %q, %v after %d conversions; want the error and no conversion", s, err, converted)
	}
}
