package web

import "context"

type recheckKey struct{}

// WithRecheck records how the session or token that authenticated a request is
// checked again. A response that lasts (a live stream) asks it at each wake-up,
// so that a logout, an ended session or a disabled account ends the stream too.
func WithRecheck(ctx context.Context, check func(context.Context) error) context.Context {
	return context.WithValue(ctx, recheckKey{}, check)
}

// Recheck reports whether the request's credentials still stand: nil when they
// do, or when the request recorded none (anonymous routes).
func Recheck(ctx context.Context) error {
	if check, ok := ctx.Value(recheckKey{}).(func(context.Context) error); ok {
		return check(ctx)
	}
	return nil
}
