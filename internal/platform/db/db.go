// Package db opens the platform's database — an embedded SQLite file by default,
// PostgreSQL when a postgres:// URL is given — and applies the embedded migrations.
//
// SQL is shared by both engines: modernc SQLite binds $1-style placeholders, and the
// few type differences are resolved when migrations are rendered (see migrate.go).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"care/internal/platform/problem"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names the database engine behind a DB.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB holds a writer and a reader pool. On SQLite the writer is a single connection
// (SQLite serialises writers anyway, and one connection avoids SQLITE_BUSY); on
// PostgreSQL both are the same pool.
type DB struct {
	Engine Engine
	Write  *sql.DB
	Read   *sql.DB
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn: a postgres:// URL, or a SQLite file path.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("db: no database given")
	}
	var d *DB
	var err error
	if IsPostgres(dsn) {
		d, err = openPostgres(dsn)
	} else {
		d, err = openSQLite("sqlite", dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := d.ping(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenSQLiteDriver opens the SQLite file at path through the database/sql driver
// registered as driverName: a wrapper of modernc's, such as the tests' query
// counter.
func OpenSQLiteDriver(ctx context.Context, driverName, path string) (*DB, error) {
	d, err := openSQLite(driverName, path)
	if err != nil {
		return nil, err
	}
	if err := d.ping(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Write.PingContext(ctx); err != nil {
		d.Close()
		return fmt.Errorf("db: cannot reach %s database: %w", d.Engine, err)
	}
	return nil
}

func openPostgres(dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{Engine: Postgres, Write: pool, Read: pool}, nil
}

// sqlitePragmas are applied on every connection, busy_timeout first so that the
// others wait rather than fail while another process holds the file.
var sqlitePragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
	"temp_store(MEMORY)",
}

func openSQLite(driverName, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open(driverName, dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: %w", err)
	}
	r.SetMaxOpenConns(8)
	return &DB{Engine: SQLite, Write: w, Read: r}, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.Write.Close()
	if d.Read != d.Write {
		err = errors.Join(err, d.Read.Close())
	}
	return err
}

// Tx runs fn in a write transaction, committed when fn returns nil and rolled back otherwise.
func (d *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// Querier is what read-only store functions need: a pool or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Now is the platform's clock reading, in UTC and at the microsecond precision both
// engines store, so that a value read back equals the value written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.Read.PingContext(ctx) }

// Row is what a row scanner reads from: a *sql.Row or the current row of *sql.Rows.
type Row interface{ Scan(...any) error }

// TimePtr is a nullable time as Go reads it: nil for NULL.
func TimePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// NullID is an id as SQL stores it: NULL for 0 (no one, the system).
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// List runs query and reads every row with scan. Its errors say what was being
// done (doing, such as "exercise: list stimuli of 12").
func List[T any](ctx context.Context, q Querier, doing string, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, q, doing, func(r Row) error {
		v, err := scan(r)
		out = append(out, v)
		return err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each runs query and hands every row to read as it comes, holding none: a
// roll-up over tens of thousands of rows. Its errors say what was being done.
func Each(ctx context.Context, q Querier, doing string, read func(Row) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := read(rows); err != nil {
			return fmt.Errorf("%s: %w", doing, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// One runs query for a single row read with scan: no row is problem.ErrNotFound.
// Its errors say what was being done.
func One[T any](ctx context.Context, q Querier, doing string, scan func(Row) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s: %w", doing, problem.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", doing, err)
	}
	return v, nil
}

// InsertRows writes rows into table(columns) ("assessments (org_id, level)"), each
// row followed by the constant values of tail, in multi-row statements. Batches
// stay small: SQLite looks $N parameters up in a list, slow past a few hundred.
func InsertRows(ctx context.Context, tx *sql.Tx, into string, rows [][]any, tail ...any) error {
	const batch = 50
	for start := 0; start < len(rows); start += batch {
		var values []string
		var args []any
		for _, r := range rows[start:min(start+batch, len(rows))] {
			var ph []string
			for _, v := range append(r, tail...) {
				args = append(args, v)
				ph = append(ph, fmt.Sprintf("$%d", len(args)))
			}
			values = append(values, "("+strings.Join(ph, ", ")+")")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+into+" VALUES "+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("db: insert into %s: %w", into, err)
		}
	}
	return nil
}
