package exercise

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/platform/db"
)

// The main courante as stored.

const logColumns = "l.id, l.user_id, u.name, l.cell, l.kind, l.body, l.stimulus_id, l.created_at, l.done_at"

func scanLog(row db.Row) (LogEntry, error) {
	var l LogEntry
	var stimulus sql.NullInt64
	var done sql.NullTime
	err := row.Scan(&l.ID, &l.UserID, &l.Author, &l.Cell, &l.Kind, &l.Body, &stimulus, &l.At, &done)
	if stimulus.Valid {
		v := stimulus.Int64
		l.Stimulus = &v
	}
	l.DoneAt = db.TimePtr(done)
	return l, err
}

// listLog lists the main courante of exercise id, oldest first.
func listLog(ctx context.Context, q db.Querier, id int64) ([]LogEntry, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: read the main courante of %d", id), scanLog,
		"SELECT "+logColumns+" FROM exercise_log l JOIN users u ON u.id = l.user_id WHERE l.exercise_id = $1 ORDER BY l.id", id)
}

// getLogEntry reads entry lid of exercise id's main courante.
func getLogEntry(ctx context.Context, q db.Querier, id, lid int64) (LogEntry, error) {
	return db.One(ctx, q, fmt.Sprintf("exercise: read log entry %d of %d", lid, id), scanLog,
		"SELECT "+logColumns+" FROM exercise_log l JOIN users u ON u.id = l.user_id WHERE l.id = $1 AND l.exercise_id = $2", lid, id)
}

// insertLog writes l in exercise id's main courante and returns its id.
func insertLog(ctx context.Context, tx *sql.Tx, id int64, l LogEntry) (int64, error) {
	var ref any
	if l.Stimulus != nil {
		ref = *l.Stimulus
	}
	var lid int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO exercise_log (exercise_id, user_id, cell, kind, body, stimulus_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		id, l.UserID, l.Cell, l.Kind, l.Body, ref, l.At).Scan(&lid); err != nil {
		return 0, fmt.Errorf("exercise: write in the main courante of %d: %w", id, err)
	}
	return lid, nil
}

// openTask is the cell of action lid of exercise id's main courante, if it is not
// done; problem.ErrNotFound when there is no such action still to do.
func openTask(ctx context.Context, q db.Querier, id, lid int64) (string, error) {
	return db.One(ctx, q, fmt.Sprintf("exercise: read task %d of %d", lid, id), func(row db.Row) (string, error) {
		var cell string
		err := row.Scan(&cell)
		return cell, err
	}, "SELECT cell FROM exercise_log WHERE id = $1 AND exercise_id = $2 AND kind = 'action' AND done_at IS NULL", lid, id)
}

// markDone marks action lid done at now.
func markDone(ctx context.Context, tx *sql.Tx, lid int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE exercise_log SET done_at = $1 WHERE id = $2", now, lid); err != nil {
		return fmt.Errorf("exercise: mark task %d done: %w", lid, err)
	}
	return nil
}
