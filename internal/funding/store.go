package funding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"care/internal/platform/db"
)

// latestStored is the newest stored version and its text; version 0 when none.
func latestStored(ctx context.Context, q db.Querier) (int, string, error) {
	var version int
	var source string
	err := q.QueryRowContext(ctx, "SELECT version, source FROM funding_programmes ORDER BY version DESC LIMIT 1").Scan(&version, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("funding: read the programme in force: %w", err)
	}
	return version, source, nil
}

// storedSource is the text of one stored version.
func storedSource(ctx context.Context, q db.Querier, version int) (string, error) {
	return db.One(ctx, q, fmt.Sprintf("funding: read programme version %d", version), func(row db.Row) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	}, "SELECT source FROM funding_programmes WHERE version = $1", version)
}

// listVersions lists the stored versions, newest first.
func listVersions(ctx context.Context, q db.Querier) ([]Version, error) {
	return db.List(ctx, q, "funding: list the programme versions", func(row db.Row) (Version, error) {
		var v Version
		var by sql.NullString
		err := row.Scan(&v.Version, &v.Title, &v.Shipped, &by, &v.CreatedAt)
		v.ImportedBy = by.String
		return v, err
	}, `SELECT p.version, p.title, p.shipped, u.name, p.created_at FROM funding_programmes p
LEFT JOIN users u ON u.id = p.imported_by ORDER BY p.version DESC`)
}

// insertVersion stores a programme version: shipped in the binary, or imported
// by someone (by, NULL for the system).
func insertVersion(ctx context.Context, tx *sql.Tx, p Programme, source []byte, shipped bool, by any, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO funding_programmes (version, title, source, shipped, imported_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		p.Version, p.Title, string(source), shipped, by, at); err != nil {
		return fmt.Errorf("funding: store programme version %d: %w", p.Version, err)
	}
	return nil
}
