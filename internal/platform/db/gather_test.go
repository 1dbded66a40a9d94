package db_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// A caller who asks while a read is under way is answered by the next read,
// which began after it asked, never by the one under way: a change committed
// before a stream's recheck is always seen. The callers who asked during one
// read are answered together by the next.
func TestGatherJoinsTheNextRead(t *testing.T) {
	var mu sync.Mutex
	var reads [][]int
	first := make(chan struct{})
	release := make(chan struct{})
	g := db.Gather[int, string]{Read: func(_ context.Context, keys []int) (map[int]string, error) {
		mu.Lock()
		reads = append(reads, slices.Sorted(slices.Values(keys)))
		n := len(reads)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
		}
		out := map[int]string{}
		for _, k := range keys {
			if k%2 == 0 {
				out[k] = "read " + string(rune('0'+n))
			}
		}
		return out, nil
	}}
	ctx := t.Context()
	type answer struct {
		v  string
		ok bool
	}
	answers := make([]answer, 7)
	var wg sync.WaitGroup
	wg.Go(func() {
		v, ok, err := g.Get(ctx, 0)
		if err != nil {
			t.Error(err)
		}
		answers[0] = answer{v, ok}
	})
	<-first
	// Asked during the first read, which had only key 0.
	for k := 1; k < 7; k++ {
		wg.Go(func() {
			v, ok, err := g.Get(ctx, k%4)
			if err != nil {
				t.Error(err)
			}
			answers[k] = answer{v, ok}
		})
	}
	// Let them all ask before the first read ends.
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if len(reads) != 2 || !slices.Equal(reads[0], []int{0}) || !slices.Equal(reads[1], []int{0, 1, 2, 3}) {
		t.Fatalf("reads %v, want [[0] [0 1 2 3]]", reads)
	}
	for k, a := range answers {
		want := answer{}
		switch {
		case k == 0:
			want = answer{"read 1", true}
		case k%4%2 == 0:
			want = answer{"read 2", true}
		}
		if a != want {
			t.Errorf("caller %d (key %d): got %+v, want %+v", k, k%4, a, want)
		}
	}
}

// A caller who leaves stops waiting; a failed read fails its callers only.
func TestGatherCancelAndError(t *testing.T) {
	release := make(chan struct{})
	fail := errors.New("no database")
	calls := 0
	g := db.Gather[int, int]{Read: func(_ context.Context, keys []int) (map[int]int, error) {
		calls++
		if calls == 1 {
			<-release
			return nil, fail
		}
		return map[int]int{keys[0]: 1}, nil
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := g.Get(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a caller who left: %v", err)
	}
	close(release)
	if v, ok, err := g.Get(t.Context(), 2); err != nil || !ok || v != 1 {
		t.Errorf("after a failed read: %v %v %v", v, ok, err)
	}
}

// ReadIn reads more keys than one statement carries, on both engines.
func TestReadIn(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := d.Write.ExecContext(ctx, "CREATE TABLE gather_keys (k BIGINT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var rows [][]any
		var keys, want []int64
		for k := range int64(2*db.GatherBatch + 50) {
			keys = append(keys, k)
			if k%3 != 0 {
				rows = append(rows, []any{k})
				want = append(want, k)
			}
		}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return db.InsertRows(ctx, tx, "gather_keys (k)", rows) }); err != nil {
			t.Fatal(err)
		}
		var got []int64
		err := db.ReadIn(ctx, d.Read, "test: read keys", "SELECT k FROM gather_keys WHERE k IN ($IN)", keys, func(r db.Row) error {
			var k int64
			err := r.Scan(&k)
			got = append(got, k)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("read %d keys %v, want %d", len(got), got, len(want))
		}
	})
}
