// Package problem carries the errors a user can act on: what kind of failure (bad
// input, not found, forbidden…) and a message key for each faulty field. Handlers
// translate the keys; the internal cause, if any, is logged and never shown.
package problem

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for its HTTP status.
type Kind int

const (
	Invalid      Kind = iota + 1 // 422: the input is wrong
	NotFound                     // 404: absent, or outside what the caller may see
	Forbidden                    // 403: visible, but not the caller's to change
	Conflict                     // 409: duplicate, or the state forbids it
	Unauthorized                 // 401: not logged in, or bad credentials
	TooMany                      // 429: rate limited
	TooLarge                     // 413: body too large
	BadRequest                   // 400: a malformed parameter (an id that is not one)
)

// FieldError is one faulty field with its message key and arguments.
type FieldError struct {
	Field string
	Key   string
	Args  []any
}

// Error is a user-facing error.
type Error struct {
	Kind   Kind
	Key    string // message key of the summary
	Args   []any
	Fields []FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Key)
	}
	return b.String()
}

// New returns an error of kind k with summary key.
func New(k Kind, key string, args ...any) *Error { return &Error{Kind: k, Key: key, Args: args} }

// ErrNotFound is what every lookup answers for an object that is absent or invisible
// to the caller: the two cases must not be told apart.
var ErrNotFound = New(NotFound, "error.not_found")

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is a problem of kind k.
func Is(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}

// Checks collects field errors while validating a whole input.
type Checks struct{ fields []FieldError }

// Add records a faulty field.
func (c *Checks) Add(field, key string, args ...any) {
	c.fields = append(c.fields, FieldError{Field: field, Key: key, Args: args})
}

// Has reports whether field already has an error.
func (c *Checks) Has(field string) bool {
	for _, f := range c.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns an Invalid error holding every recorded field, or nil.
func (c *Checks) Err() error {
	if len(c.fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Key: "error.invalid", Fields: c.fields}
}

// Fields returns the faulty fields recorded so far.
func (c *Checks) Fields() []FieldError { return c.fields }
