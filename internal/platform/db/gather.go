package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Gather reads rows by key for many callers asking at about the same time with
// one statement: the live streams woken by one event each recheck the session
// or token that opened them, and on PostgreSQL one round trip each, through a
// pool of a few connections, made them queue behind one another.
//
// A caller's key joins the next read, never one already under way: the read
// that answers a caller began after the caller asked, so that it sees every
// change committed before (a logout, a disabled account). The first caller
// starts a read at once; those who ask during it are read together as soon as
// it ends, and so on until nobody waits.
type Gather[K comparable, V any] struct {
	// Read returns the rows of keys that exist, by key.
	Read func(ctx context.Context, keys []K) (map[K]V, error)

	mu      sync.Mutex
	next    *gathering[K, V]
	reading bool
}

// gathering is one read and the keys it answers.
type gathering[K comparable, V any] struct {
	keys map[K]struct{}
	done chan struct{}
	rows map[K]V
	err  error
}

// gatherTimeout bounds one read: it serves several callers, so it does not end
// with any one caller's request.
const gatherTimeout = 10 * time.Second

// Get returns the row of key, and whether there is one.
func (g *Gather[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	g.mu.Lock()
	if g.next == nil {
		g.next = &gathering[K, V]{keys: map[K]struct{}{}, done: make(chan struct{})}
	}
	r := g.next
	r.keys[key] = struct{}{}
	if !g.reading {
		g.reading = true
		go g.read()
	}
	g.mu.Unlock()
	var zero V
	select {
	case <-r.done:
		if r.err != nil {
			return zero, false, r.err
		}
		v, ok := r.rows[key]
		return v, ok, nil
	case <-ctx.Done():
		return zero, false, ctx.Err()
	}
}

// read runs the reads one after the other while callers wait. Before each it
// lets the goroutines ready to run go first: callers woken together (by one
// event) then join one read even when a read does not block, as on SQLite.
func (g *Gather[K, V]) read() {
	for {
		runtime.Gosched()
		g.mu.Lock()
		r := g.next
		g.next = nil
		if r == nil {
			g.reading = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		keys := make([]K, 0, len(r.keys))
		for k := range r.keys {
			keys = append(keys, k)
		}
		ctx, cancel := context.WithTimeout(context.Background(), gatherTimeout)
		r.rows, r.err = g.Read(ctx, keys)
		cancel()
		close(r.done)
	}
}

// GatherBatch is how many keys one statement of ReadIn carries at most: SQLite
// looks $N parameters up in a list, slow past a few hundred (see InsertRows).
const GatherBatch = 100

// ReadIn runs query, whose "$IN" stands for a list of placeholders, for keys in
// statements of GatherBatch keys at most, run at the same time on the pool q
// (one round trip for all, not one after the other; a pool, not a transaction,
// which runs one statement at a time), and hands each row to
// read, one row at a time. One SQL text for both engines: "t.token_hash IN
// ($IN)" becomes "t.token_hash IN ($1, $2, …)". Its errors say what was being
// done.
func ReadIn[K any](ctx context.Context, q *sql.DB, doing, query string, keys []K, read func(Row) error) error {
	var mu sync.Mutex
	one := func(r Row) error {
		mu.Lock()
		defer mu.Unlock()
		return read(r)
	}
	var wg sync.WaitGroup
	errs := make([]error, (len(keys)+GatherBatch-1)/GatherBatch)
	for i := range errs {
		part := keys[i*GatherBatch : min((i+1)*GatherBatch, len(keys))]
		marks := make([]string, len(part))
		args := make([]any, len(part))
		for j, k := range part {
			marks[j], args[j] = fmt.Sprintf("$%d", j+1), k
		}
		wg.Go(func() {
			errs[i] = Each(ctx, q, doing, one, strings.Replace(query, "$IN", strings.Join(marks, ", "), 1), args...)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
