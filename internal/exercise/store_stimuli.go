package exercise

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The chronogramme of an exercise as stored: one row per stimulus.

const stimulusColumns = "id, ref, offset_seconds, channel, sender, recipients, title, content, attachments, expected, criteria, delivered_at, skipped"

func scanStimulus(row db.Row) (Line, error) {
	var st Line
	var recipients, attachments, expected, criteria string
	var delivered sql.NullTime
	err := row.Scan(&st.ID, &st.Ref, &st.Offset, &st.Channel, &st.Sender, &recipients, &st.Title, &st.Content, &attachments, &expected, &criteria, &delivered, &st.Skipped)
	st.Recipients = strings.Fields(recipients)
	st.Attachments = lines(attachments)
	st.Expected = lines(expected)
	st.Criteria = strings.Fields(criteria)
	st.DeliveredAt = db.TimePtr(delivered)
	return st, err
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// listStimuli lists the chronogramme of exercise id in its order, only the
// delivered stimuli when delivered is set.
func listStimuli(ctx context.Context, q db.Querier, id int64, delivered bool) ([]Line, error) {
	query := "SELECT " + stimulusColumns + " FROM exercise_stimuli WHERE exercise_id = $1"
	if delivered {
		query += " AND delivered_at IS NOT NULL"
	}
	return db.List(ctx, q, fmt.Sprintf("exercise: list the stimuli of %d", id), scanStimulus, query+" ORDER BY offset_seconds, id", id)
}

// getStimulus reads stimulus sid of exercise id.
func getStimulus(ctx context.Context, q db.Querier, id, sid int64) (Line, error) {
	return db.One(ctx, q, fmt.Sprintf("exercise: read stimulus %d of %d", sid, id), scanStimulus, "SELECT "+stimulusColumns+" FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2", sid, id)
}

// stimulusArgs are the stored forms of a stimulus's fields, in the column order of
// insertStimulus and updateStimulus.
func stimulusArgs(st Line) []any {
	return []any{st.Offset, st.Channel, st.Sender, strings.Join(st.Recipients, " "), st.Title, st.Content,
		strings.Join(st.Attachments, "\n"), strings.Join(st.Expected, "\n"), strings.Join(st.Criteria, " ")}
}

// insertStimulus adds st to the chronogramme of exercise id and returns its id.
func insertStimulus(ctx context.Context, tx *sql.Tx, id int64, st Line) (int64, error) {
	var sid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO exercise_stimuli (offset_seconds, channel, sender, recipients, title, content, attachments, expected, criteria, exercise_id, ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, append(stimulusArgs(st), id, st.Ref)...).Scan(&sid)
	if err != nil {
		return 0, fmt.Errorf("exercise: add stimulus %s to %d: %w", st.Ref, id, err)
	}
	return sid, nil
}

// updateStimulus changes stimulus st.ID of exercise id; problem.ErrNotFound when it
// has no such stimulus.
func updateStimulus(ctx context.Context, tx *sql.Tx, id int64, st Line) error {
	ok, err := changed(tx.ExecContext(ctx, `UPDATE exercise_stimuli SET offset_seconds = $1, channel = $2, sender = $3, recipients = $4, title = $5, content = $6,
		attachments = $7, expected = $8, criteria = $9 WHERE id = $10 AND exercise_id = $11`, append(stimulusArgs(st), st.ID, id)...))
	if err != nil {
		return fmt.Errorf("exercise: change stimulus %d of %d: %w", st.ID, id, err)
	}
	if !ok {
		return problem.ErrNotFound
	}
	return nil
}

// deleteStimulus takes stimulus sid out of exercise id; problem.ErrNotFound when it
// has no such stimulus.
func deleteStimulus(ctx context.Context, tx *sql.Tx, id, sid int64) error {
	ok, err := changed(tx.ExecContext(ctx, "DELETE FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2", sid, id))
	if err != nil {
		return fmt.Errorf("exercise: remove stimulus %d of %d: %w", sid, id, err)
	}
	if !ok {
		return problem.ErrNotFound
	}
	return nil
}

// clearStimuli empties the chronogramme of exercise id.
func clearStimuli(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_stimuli WHERE exercise_id = $1", id); err != nil {
		return fmt.Errorf("exercise: clear the chronogramme of %d: %w", id, err)
	}
	return nil
}

// skipStimulus marks stimulus sid of exercise id not to be delivered, and reports
// whether it was still to deliver.
func skipStimulus(ctx context.Context, q db.Querier, id, sid int64) (bool, error) {
	ok, err := changed(q.ExecContext(ctx, "UPDATE exercise_stimuli SET skipped = TRUE WHERE id = $1 AND exercise_id = $2 AND delivered_at IS NULL", sid, id))
	if err != nil {
		return false, fmt.Errorf("exercise: skip stimulus %d of %d: %w", sid, id, err)
	}
	return ok, nil
}

// delivered reports whether stimulus sid of exercise id was delivered.
func delivered(ctx context.Context, q db.Querier, id, sid int64) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM exercise_stimuli WHERE id = $1 AND exercise_id = $2 AND delivered_at IS NOT NULL", sid, id).Scan(&n); err != nil {
		return false, fmt.Errorf("exercise: delivery of stimulus %d of %d: %w", sid, id, err)
	}
	return n > 0, nil
}

// changed reports whether a statement changed a row.
func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ---- delivery ----

// due is a stimulus whose time has come, and the cells it goes to.
type due struct {
	id         int64
	recipients string
}

// lockRunning locks exercise id until the transaction ends (as emit does, so that
// the two take their locks in one order) and reports whether it runs, and whether
// it is paused.
func lockRunning(ctx context.Context, tx *sql.Tx, id int64) (running, paused bool, err error) {
	var status string
	var at sql.NullTime
	if err := tx.QueryRowContext(ctx, "UPDATE exercises SET event_seq = event_seq WHERE id = $1 RETURNING status, paused_at", id).Scan(&status, &at); err != nil {
		return false, false, fmt.Errorf("exercise: lock %d: %w", id, err)
	}
	return status == StatusRunning, at.Valid, nil
}

// dueStimuli lists the stimuli of exercise id still to deliver whose offset is
// elapsed at most, in order; or stimulus only, if still to deliver, when only is
// set.
func dueStimuli(ctx context.Context, tx *sql.Tx, id int64, elapsed int, only int64) ([]due, error) {
	q := "SELECT id, recipients FROM exercise_stimuli WHERE exercise_id = $1 AND delivered_at IS NULL AND skipped = FALSE AND offset_seconds <= $2 ORDER BY offset_seconds, id"
	args := []any{id, elapsed}
	if only != 0 {
		q = "SELECT id, recipients FROM exercise_stimuli WHERE exercise_id = $1 AND delivered_at IS NULL AND skipped = FALSE AND id = $2"
		args = []any{id, only}
	}
	return db.List(ctx, tx, fmt.Sprintf("exercise: list the due stimuli of %d", id), func(row db.Row) (due, error) {
		var d due
		err := row.Scan(&d.id, &d.recipients)
		return d, err
	}, q, args...)
}

// claimStimulus marks stimulus sid delivered at now, and reports whether this call
// did it: the conditional update makes one claim win, whatever the instances.
func claimStimulus(ctx context.Context, tx *sql.Tx, sid int64, now time.Time) (bool, error) {
	ok, err := changed(tx.ExecContext(ctx, "UPDATE exercise_stimuli SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL", now, sid))
	if err != nil {
		return false, fmt.Errorf("exercise: claim stimulus %d: %w", sid, err)
	}
	return ok, nil
}
