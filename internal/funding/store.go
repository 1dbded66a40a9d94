package funding

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/platform/db"
)

// latestVersion is the newest stored version number, 0 when none.
func latestVersion(ctx context.Context, q db.Querier) (int, error) {
	var latest sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM funding_programmes").Scan(&latest); err != nil {
		return 0, fmt.Errorf("funding: latest programme version: %w", err)
	}
	return int(latest.Int64), nil
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
