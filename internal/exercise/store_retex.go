package exercise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The observation grid, the RETEX's conclusions and its action plan as stored.

const markColumns = "m.id, m.user_id, u.name, m.criterion, m.score, m.note, m.elapsed_seconds, m.created_at"

func scanMark(row db.Row) (Mark, error) {
	var m Mark
	err := row.Scan(&m.ID, &m.UserID, &m.Author, &m.Criterion, &m.Score, &m.Note, &m.Elapsed, &m.At)
	return m, err
}

// listMarks lists the marks of exercise id's grid, oldest first.
func listMarks(ctx context.Context, q db.Querier, id int64) ([]Mark, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: list the marks of %d", id), scanMark,
		"SELECT "+markColumns+" FROM exercise_marks m JOIN users u ON u.id = m.user_id WHERE m.exercise_id = $1 ORDER BY m.id", id)
}

// getMark reads mark mid of exercise id.
func getMark(ctx context.Context, q db.Querier, id, mid int64) (Mark, error) {
	return db.One(ctx, q, fmt.Sprintf("exercise: read mark %d of %d", mid, id), scanMark,
		"SELECT "+markColumns+" FROM exercise_marks m JOIN users u ON u.id = m.user_id WHERE m.id = $1 AND m.exercise_id = $2", mid, id)
}

// insertMark records m in exercise id's grid and returns its id.
func insertMark(ctx context.Context, tx *sql.Tx, id int64, m Mark) (int64, error) {
	var mid int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO exercise_marks (exercise_id, user_id, criterion, score, note, elapsed_seconds, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, id, m.UserID, m.Criterion, m.Score, m.Note, m.Elapsed, m.At).Scan(&mid); err != nil {
		return 0, fmt.Errorf("exercise: mark %s in %d: %w", m.Criterion, id, err)
	}
	return mid, nil
}

// getConclusions reads the conclusions of exercise id's RETEX, empty before they
// are written.
func getConclusions(ctx context.Context, q db.Querier, id int64) (strengths, improvements string, err error) {
	err = q.QueryRowContext(ctx, "SELECT strengths, improvements FROM exercise_retex WHERE exercise_id = $1", id).Scan(&strengths, &improvements)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("exercise: conclusions of %d: %w", id, err)
	}
	return strengths, improvements, nil
}

// putConclusions writes the conclusions of exercise id's RETEX.
func putConclusions(ctx context.Context, tx *sql.Tx, id int64, strengths, improvements string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_retex WHERE exercise_id = $1", id); err != nil {
		return fmt.Errorf("exercise: write the conclusions of %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_retex (exercise_id, strengths, improvements, updated_at) VALUES ($1, $2, $3, $4)", id, strengths, improvements, at); err != nil {
		return fmt.Errorf("exercise: write the conclusions of %d: %w", id, err)
	}
	return nil
}

// closeConclusions records who closed exercise id's RETEX.
func closeConclusions(ctx context.Context, tx *sql.Tx, id, by int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE exercise_retex SET closed_by = $1 WHERE exercise_id = $2", db.NullID(by), id); err != nil {
		return fmt.Errorf("exercise: close the RETEX of %d: %w", id, err)
	}
	return nil
}

// countActions is the number of actions of exercise id's plan.
func countActions(ctx context.Context, q db.Querier, id int64) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM exercise_actions WHERE exercise_id = $1", id).Scan(&n); err != nil {
		return 0, fmt.Errorf("exercise: count the actions of %d: %w", id, err)
	}
	return n, nil
}

// listActions lists the action plan of exercise id, by due date.
func listActions(ctx context.Context, q db.Querier, id int64) ([]Action, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: list the action plan of %d", id), func(row db.Row) (Action, error) {
		var a Action
		var act sql.NullInt64
		err := row.Scan(&a.ID, &a.ExerciseID, &a.OrgID, &a.Title, &a.Owner, &a.Due, &a.Status, &act, &a.CreatedAt, &a.UpdatedAt)
		if act.Valid {
			v := act.Int64
			a.ActivityID = &v
		}
		return a, err
	}, `SELECT id, exercise_id, org_id, title, owner, due_on, status, activity_id, created_at, updated_at
		FROM exercise_actions WHERE exercise_id = $1 ORDER BY due_on, id`, id)
}

// insertAction adds a to the plan of its exercise and returns its id.
func insertAction(ctx context.Context, tx *sql.Tx, a Action) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO exercise_actions (exercise_id, org_id, title, owner, due_on, status, activity_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, a.ExerciseID, a.OrgID, a.Title, a.Owner, a.Due, a.Status, a.ActivityID, a.UpdatedAt).Scan(&id); err != nil {
		return 0, fmt.Errorf("exercise: add an action to %d: %w", a.ExerciseID, err)
	}
	return id, nil
}

// updateAction changes action a.ID of its exercise; problem.ErrNotFound when the
// exercise has no such action.
func updateAction(ctx context.Context, tx *sql.Tx, a Action) error {
	ok, err := changed(tx.ExecContext(ctx, `UPDATE exercise_actions SET title = $1, owner = $2, due_on = $3, status = $4, activity_id = $5, updated_at = $6 WHERE id = $7 AND exercise_id = $8`,
		a.Title, a.Owner, a.Due, a.Status, a.ActivityID, a.UpdatedAt, a.ID, a.ExerciseID))
	if err != nil {
		return fmt.Errorf("exercise: change action %d of %d: %w", a.ID, a.ExerciseID, err)
	}
	if !ok {
		return problem.ErrNotFound
	}
	return nil
}

// activityInBranch reports whether continuity activity act belongs to the branch
// of the node at path (the node, a node under it or above it).
func activityInBranch(ctx context.Context, q db.Querier, act int64, path string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1 AND (o.path LIKE $2 OR $3 LIKE o.path || '%')`,
		act, path+"%", path).Scan(&n); err != nil {
		return false, fmt.Errorf("exercise: find activity %d: %w", act, err)
	}
	return n > 0, nil
}

// countFinished is the number of exercises of the subtree at path that finished
// within [from, to).
func countFinished(ctx context.Context, q db.Querier, path string, from, to time.Time) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM exercises e JOIN orgs o ON o.id = e.org_id
		WHERE o.path LIKE $1 AND e.status IN ('finished', 'closed') AND e.finished_at >= $2 AND e.finished_at < $3`, path+"%", from.UTC(), to.UTC()).Scan(&n); err != nil {
		return 0, fmt.Errorf("exercise: count the exercises done under %s: %w", path, err)
	}
	return n, nil
}
