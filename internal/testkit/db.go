// Package testkit is the shared test rig: real SQLite and PostgreSQL databases, an
// SMTP sink, a browser. Components a test cannot find make it fail in CI (CI=true)
// with what to install, and skip it elsewhere.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"care/internal/platform/db"
)

// Missing stops a test whose component is not there: a failure in CI, a skip elsewhere.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available: %s", what, install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// SQLite returns a migrated database in a fresh file.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return migrated(t, filepath.Join(t.TempDir(), "care.db"))
}

// migrated opens the database at dsn for the test's life and migrates it.
func migrated(t testing.TB, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresURL returns the URL of a new, empty PostgreSQL database on the test
// server named by TEST_DATABASE_URL, dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		Missing(t, "PostgreSQL", "run the tests with scripts/test.sh, which starts one, or set TEST_DATABASE_URL")
	}
	conn, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	name := "care_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := conn.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a migrated database of its own on the test PostgreSQL server.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return migrated(t, PostgresURL(t))
}

// Engines runs fn once on SQLite and once on PostgreSQL, each with a fresh database.
func Engines(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
