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
	rows, err := q.QueryContext(ctx, "SELECT source FROM exercise_kits ORDER BY id, version")
	if err != nil {
		return nil, fmt.Errorf("exercise: read the imported kits: %w", err)
	}
	defer rows.Close()
	var kits []Kit
	for rows.Next() {
		var src string
		if err := rows.Scan(&src); err != nil {
			return nil, fmt.Errorf("exercise: read the imported kits: %w", err)
		}
		k, err := ParseKit([]byte(src))
		if err != nil {
			return nil, fmt.Errorf("exercise: read the imported kits: %w", err)
		}
		kits = append(kits, k)
	}
	return kits, rows.Err()
}

// insertKit stores version k.Version of kit k.ID from its source.
func insertKit(ctx context.Context, tx *sql.Tx, k Kit, source []byte, by int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_kits (id, version, source, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
		k.ID, k.Version, string(source), nullID(by), at); err != nil {
		return fmt.Errorf("exercise: import kit %s version %d: %w", k.ID, k.Version, err)
	}
	return nil
}
