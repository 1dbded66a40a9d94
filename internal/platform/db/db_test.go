package db_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"care/internal/platform/db"
	"care/internal/testkit"
)

func TestMigrationsAreIdempotentAndRefuseNewerDatabase(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		applied, known, err := d.Status(ctx)
		if err != nil || applied != known || known == 0 {
			t.Fatalf("after migrate: applied %d known %d err %v", applied, known, err)
		}
		if err := d.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if _, err := d.Write.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)", known+1, db.Now()); err != nil {
			t.Fatal(err)
		}
		if err := d.Migrate(ctx); !errors.Is(err, db.ErrDatabaseNewer) {
			t.Fatalf("migrate on a newer database: got %v, want ErrDatabaseNewer", err)
		}
	})
}

func TestTimestampsRoundTripOnBothEngines(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		at := db.Now()
		if _, err := d.Write.ExecContext(ctx, "INSERT INTO login_failures (key, at) VALUES ($1, $2)", "k", at); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := d.Read.QueryRowContext(ctx, "SELECT at FROM login_failures WHERE key = 'k' AND at > $1", at.Add(-time.Second)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) {
			t.Fatalf("timestamp came back as %v, want %v", got, at)
		}
	})
}

func TestTransactionRollsBackOnError(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO login_failures (key, at) VALUES ('x', $1)", db.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_failures").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows after rollback: %d (%v)", n, err)
		}
	})
}

// A migration line marked for one engine is a statement there and a comment on
// the other: the catalogue's full-text index is an FTS5 table in SQLite and a
// GIN index in PostgreSQL.
func TestEngineOnlyMigrationLines(t *testing.T) {
	for engine, want := range map[db.Engine][2]string{
		db.SQLite:   {"\nCREATE VIRTUAL TABLE catalogue_offers_fts", "--postgres: CREATE INDEX catalogue_offers_search"},
		db.Postgres: {"\nCREATE INDEX catalogue_offers_search", "--sqlite: CREATE VIRTUAL TABLE catalogue_offers_fts"},
	} {
		all, err := db.Migrations(engine)
		if err != nil {
			t.Fatal(err)
		}
		var sql string
		for _, m := range all {
			if m.Version == 21 {
				sql = m.SQL
			}
		}
		if !strings.Contains(sql, want[0]) || !strings.Contains(sql, want[1]) {
			t.Errorf("%s: migration 21 is not rendered for its engine:\n%s", engine, sql)
		}
	}
}
