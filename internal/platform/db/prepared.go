package db

import (
	"context"
	"database/sql"
)

// ReadRow runs query on the read pool through a statement prepared once per
// instance and kept: for the few statements that run for every live stream at
// every event (a session's recheck, a seat's check), where parsing the SQL again
// each time is most of SQLite's work. Other statements go through Read as usual.
func (d *DB) ReadRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := d.prepared.Load(query); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	st, err := d.Read.PrepareContext(ctx, query)
	if err != nil {
		// The query's own error comes back through the row.
		return d.Read.QueryRowContext(ctx, query, args...)
	}
	if prev, loaded := d.prepared.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}
