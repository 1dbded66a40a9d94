package exercise

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/platform/db"
)

// importedKits reads the kits imported into the database, every version.
func importedKits(ctx context.Context, q db.Querier) ([]Kit, error) {
	return db.List(ctx, q, "exercise: read the imported kits", func(row db.Row) (Kit, error) {
		var src string
		if err := row.Scan(&src); err != nil {
			return Kit{}, err
		}
		return ParseKit([]byte(src))
	}, "SELECT source FROM exercise_kits ORDER BY id, version")
}

// insertKit stores version k.Version of kit k.ID from its source.
func insertKit(ctx context.Context, tx *sql.Tx, k Kit, source []byte, by int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_kits (id, version, source, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
		k.ID, k.Version, string(source), db.NullID(by), at); err != nil {
		return fmt.Errorf("exercise: import kit %s version %d: %w", k.ID, k.Version, err)
	}
	return nil
}
