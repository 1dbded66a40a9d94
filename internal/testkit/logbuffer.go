package testkit

import (
	"bytes"
	"sync"
)

// LockedBuffer collects the log lines of concurrent handlers (a test's
// slog handler), safe to write from many requests and read at the end.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
