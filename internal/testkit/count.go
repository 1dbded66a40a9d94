package testkit

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"

	"care/internal/platform/db"
	"care/internal/server"
)

// Queries records the statements a database runs, for tests that hold a page to
// a number of queries.
type Queries struct {
	mu   sync.Mutex
	list []string
}

func (q *Queries) add(query string) {
	q.mu.Lock()
	q.list = append(q.list, query)
	q.mu.Unlock()
}

// During runs fn and returns the statements it ran (other work on the same
// database in the meantime is recorded too: run nothing else).
func (q *Queries) During(fn func()) []string {
	q.mu.Lock()
	before := len(q.list)
	q.mu.Unlock()
	fn()
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.list[before:])
}

var (
	countingOnce sync.Once
	counting     = map[string]*Queries{}
	countingMu   sync.Mutex
)

// WithoutLoops is a NewApp option that leaves the background loops stopped, so
// that counted statements are the request's own.
func WithoutLoops(c *server.Config) { c.NoLoops = true }

// CountedSQLite returns a migrated SQLite database whose statements are counted;
// start the app on it with WithoutLoops.
func CountedSQLite(t testing.TB) (*db.DB, *Queries) {
	t.Helper()
	countingOnce.Do(func() { sql.Register("sqlite-counted", countingDriver{}) })
	path := filepath.Join(t.TempDir(), "care.db")
	q := &Queries{}
	countingMu.Lock()
	counting[path] = q
	countingMu.Unlock()
	d, err := db.OpenSQLiteDriver(t.Context(), "sqlite-counted", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return d, q
}

// countingDriver is modernc's SQLite driver with a counter per database file (the
// file is found in the DSN, "file:PATH?…").
type countingDriver struct{}

func (countingDriver) Open(name string) (driver.Conn, error) {
	c, err := (&sqlite.Driver{}).Open(name)
	if err != nil {
		return nil, err
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(name, "file:"), "?")
	countingMu.Lock()
	q := counting[path]
	countingMu.Unlock()
	return countingConn{Conn: c, q: q}, nil
}

// countingConn counts every statement sent to SQLite; the rest is modernc's.
type countingConn struct {
	driver.Conn
	q *Queries
}

func (c countingConn) count(query string) {
	if c.q != nil {
		c.q.add(query)
	}
}

func (c countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.count(query)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.count(query)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// PrepareContext counts a prepared statement at each run, not at its preparing:
// a statement prepared once and run at every call is as many statements.
func (c countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		c.count(query)
		return nil, err
	}
	return countingStmt{Stmt: st, count: func() { c.count(query) }}, nil
}

// countingStmt counts every run of a prepared statement.
type countingStmt struct {
	driver.Stmt
	count func()
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.count()
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.count()
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c countingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c countingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c countingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }
