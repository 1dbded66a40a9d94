package web

import (
	"context"
	"net/http"

	"care/internal/platform/problem"
)

// The steps a handler repeats, each written once: read the id of the path and
// load what it names (a page), or read the JSON body and act with it (the API).
// Each answers the first error itself and reports whether the handler goes on.

// ByID reads the object id of the path ({id}; one that is not an id reads as
// absent) and loads it with get. On either error it shows the error through fail
// (a page's Fail) and reports false.
func ByID[T any](w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error), get func(context.Context, int64) (T, error)) (T, bool) {
	var v T
	id, err := PathID(r, "id")
	if err == nil {
		v, err = get(r.Context(), id)
	}
	if err != nil {
		fail(w, r, err)
		return v, false
	}
	return v, true
}

// IDParam reads the object id of the path ({id}) for a page; one that is not an
// id shows the error page through fail (404) and reports false.
func IDParam(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error)) (int64, bool) {
	id, err := PathID(r, "id")
	if err != nil {
		fail(w, r, err)
		return 0, false
	}
	return id, true
}

// IDForm reads the object id of the path ({id}) and the posted form of a page's
// action: an id that is not one shows the error page through fail (404), a form
// that cannot be read a refusal (422); either reports false.
func IDForm(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error)) (int64, bool) {
	id, ok := IDParam(w, r, fail)
	if !ok {
		return 0, false
	}
	if err := r.ParseForm(); err != nil {
		fail(w, r, problem.New(problem.Invalid, "error.invalid"))
		return 0, false
	}
	return id, true
}

// OnBody answers an API call that carries a JSON body: the body read into an In
// (unknown fields refused, 422 when it is not JSON), do called with it, and its
// result written as JSON with status, or its error as a problem document.
func OnBody[In, T any](w http.ResponseWriter, r *http.Request, status int, do func(ctx context.Context, in In) (T, error)) {
	answer(w, r, status, 0, nil, func(ctx context.Context, _ int64) (T, error) {
		in, err := Decoded[In](w, r)
		if err != nil {
			var zero T
			return zero, err
		}
		return do(ctx, in)
	})
}

// OnIDBody answers an API call on the object of path parameter name that carries
// a JSON body, as OnID does: the id read first (404 when it is not one), then the
// body into an In, then do called with both.
func OnIDBody[In, T any](w http.ResponseWriter, r *http.Request, name string, status int, do func(ctx context.Context, id int64, in In) (T, error)) {
	OnID(w, r, name, status, func(ctx context.Context, id int64) (T, error) {
		in, err := Decoded[In](w, r)
		if err != nil {
			var zero T
			return zero, err
		}
		return do(ctx, id, in)
	})
}

// As turns a step that loads a T into one that answers its JSON form conv(T);
// on error conv is not called and the error is passed on.
func As[T, U any](get func(context.Context, int64) (T, error), conv func(T) U) func(context.Context, int64) (U, error) {
	return func(ctx context.Context, id int64) (U, error) {
		v, err := get(ctx, id)
		if err != nil {
			var zero U
			return zero, err
		}
		return conv(v), nil
	}
}
