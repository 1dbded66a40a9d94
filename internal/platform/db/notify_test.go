package db_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

// notify announces payload on channel in a transaction of its own, committed
// unless rollback is set.
func notify(t *testing.T, d *db.DB, channel, payload string, rollback bool) {
	t.Helper()
	tx, err := d.Write.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Notify(t.Context(), tx, channel, payload); err != nil {
		t.Fatal(err)
	}
	if rollback {
		err = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A notification reaches the listener when its transaction commits, never when
// it rolls back; when the listening connection is killed, the listener takes
// another one, says so, and hears what is announced afterwards.
func TestListenHearsCommitsAndListensAgain(t *testing.T) {
	d := testkit.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{}, 4)
	heard := make(chan string, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		d.Listen(ctx, "care_test", func() { listening <- struct{}{} }, func(p string) { heard <- p })
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-heard:
			if got != want {
				t.Fatalf("heard %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%q not heard", want)
		}
	}
	<-listening
	notify(t, d, "care_test", "rolled back", true)
	notify(t, d, "care_test", "first", false)
	expect("first") // and not "rolled back", announced before it

	var killed int
	if err := d.Write.QueryRowContext(t.Context(), `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminate the listening connection: %d killed, %v", killed, err)
	}
	select {
	case <-listening:
	case <-time.After(20 * time.Second):
		t.Fatal("no new listening connection after the first was killed")
	}
	notify(t, d, "care_test", "second", false)
	expect("second")
}

// SQLite serves one process: Listen returns at once and Notify writes nothing.
func TestListenNothingOnSQLite(t *testing.T) {
	d := testkit.SQLite(t)
	done := make(chan struct{})
	go func() {
		d.Listen(t.Context(), "care_test", func() { t.Error("listening on SQLite") }, func(string) {})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Listen on SQLite did not return")
	}
	err := d.Tx(t.Context(), func(tx *sql.Tx) error { return d.Notify(t.Context(), tx, "care_test", "x") })
	if err != nil {
		t.Fatal(err)
	}
}
