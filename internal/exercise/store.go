package exercise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The exercises and their participants as stored. Every function here is plain SQL
// over a db.Querier or a transaction; access is decided before (open).

const exerciseColumns = "e.id, e.org_id, e.kit_id, e.kit_version, e.title, e.level, e.status, e.planned_for, e.place, e.speed, e.started_at, e.paused_at, e.paused_ms, e.finished_at, e.created_at"

// scanExercise reads the exerciseColumns, then the kit copy when kit is set, then
// extra.
func scanExercise(row db.Row, kit bool, extra ...any) (Exercise, error) {
	var e Exercise
	var blob []byte
	var planned, started, paused, finished sql.NullTime
	var pausedMS int64
	dest := []any{&e.ID, &e.OrgID, &e.KitID, &e.KitVersion, &e.Title, &e.Level, &e.Status, &planned, &e.Place, &e.Clock.Speed, &started, &paused, &pausedMS, &finished, &e.CreatedAt}
	if kit {
		dest = append(dest, &blob)
	}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return e, err
	}
	if kit {
		if err := json.Unmarshal(blob, &e.Kit); err != nil {
			return e, fmt.Errorf("kit copy of exercise %d: %w", e.ID, err)
		}
	}
	e.PlannedFor = db.TimePtr(planned)
	e.Clock.StartedAt = started.Time
	e.Clock.PausedAt = db.TimePtr(paused)
	e.Clock.Paused = time.Duration(pausedMS) * time.Millisecond
	e.FinishedAt = db.TimePtr(finished)
	return e, nil
}

// getExercise reads exercise id and the seat of user in it (none when they do not
// take part), with the kit copy when kit is set.
func getExercise(ctx context.Context, q db.Querier, id, user int64, kit bool) (Exercise, Seat, error) {
	cols := exerciseColumns
	if kit {
		cols += ", e.kit"
	}
	var seat Seat
	e, err := scanExercise(q.QueryRowContext(ctx, "SELECT "+cols+`, COALESCE(p.role, ''), COALESCE(p.cell, '') FROM exercises e
		LEFT JOIN exercise_participants p ON p.exercise_id = e.id AND p.user_id = $2 WHERE e.id = $1`, id, user), kit, &seat.Role, &seat.Cell)
	if errors.Is(err, sql.ErrNoRows) {
		return e, seat, problem.ErrNotFound
	}
	if err != nil {
		return e, seat, fmt.Errorf("exercise: read %d: %w", id, err)
	}
	return e, seat, nil
}

// nodeOf is the path of exercise id's node and whether it is archived, for a
// participant whom org.Load does not let read it, and for the platform's own
// entries (an outage).
func nodeOf(ctx context.Context, q db.Querier, id int64) (string, bool, error) {
	var path string
	var archived sql.NullTime
	err := q.QueryRowContext(ctx, "SELECT o.path, o.archived_at FROM exercises e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1", id).Scan(&path, &archived)
	if err != nil {
		return "", false, fmt.Errorf("exercise: node of %d: %w", id, err)
	}
	return path, archived.Valid, nil
}

// seatKey is what the access to an exercise's feed rests on besides the
// caller's grants: its node (path, archived) and the caller's seat.
type seatKey struct {
	path       string
	archived   bool
	role, cell string
}

// seats is every seat of an exercise with its node: what a stream's access rests
// on besides its caller's grants, read once for all the streams of a wake-up.
type seats struct {
	path     string
	archived bool
	byUser   map[int64]Seat
}

// seatOf is the seatKey of user (no role when they take no part).
func (r *sharedRead) seatOf(user int64) seatKey {
	st := r.seats.byUser[user]
	return seatKey{path: r.seats.path, archived: r.seats.archived, role: st.Role, cell: st.Cell}
}

// readSeats reads the node and the seats of exercise id in one statement.
func readSeats(ctx context.Context, q db.Querier, id int64) (seats, error) {
	type row struct {
		path     string
		archived bool
		user     int64
		seat     Seat
	}
	rows, err := db.List(ctx, q, fmt.Sprintf("exercise: seats of %d", id), func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.path, &x.archived, &x.user, &x.seat.Role, &x.seat.Cell)
	}, `SELECT o.path, o.archived_at IS NOT NULL, COALESCE(p.user_id, 0), COALESCE(p.role, ''), COALESCE(p.cell, '') FROM exercises e
		JOIN orgs o ON o.id = e.org_id LEFT JOIN exercise_participants p ON p.exercise_id = e.id WHERE e.id = $1`, id)
	if err != nil {
		return seats{}, err
	}
	if len(rows) == 0 {
		return seats{}, problem.ErrNotFound
	}
	out := seats{path: rows[0].path, archived: rows[0].archived, byUser: make(map[int64]Seat, len(rows))}
	for _, x := range rows {
		if x.user != 0 {
			out.byUser[x.user] = x.seat
		}
	}
	return out, nil
}

// stateOf is the status of exercise id and whether it is paused: what a state
// event tells live clients.
func stateOf(ctx context.Context, q db.Querier, id int64) (string, bool, error) {
	var status string
	var paused sql.NullTime
	if err := q.QueryRowContext(ctx, "SELECT status, paused_at FROM exercises WHERE id = $1", id).Scan(&status, &paused); err != nil {
		return "", false, fmt.Errorf("exercise: state of %d: %w", id, err)
	}
	return status, paused.Valid, nil
}

// listExercises lists a page of the exercises user takes part in and those of
// the live nodes under roots, newest first and without their kit copy, with how
// many there are in all.
func listExercises(ctx context.Context, q db.Querier, user int64, roots []string, limit, offset int) ([]Exercise, int, error) {
	scope, args := authz.ScopeClause("o.path", roots, 2)
	where := " FROM exercises e JOIN orgs o ON o.id = e.org_id WHERE o.archived_at IS NULL AND " +
		"(e.id IN (SELECT exercise_id FROM exercise_participants WHERE user_id = $1) OR " + scope + ")"
	args = append([]any{user}, args...)
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*)"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("exercise: count the exercises of user %d: %w", user, err)
	}
	list, err := db.List(ctx, q, fmt.Sprintf("exercise: list the exercises of user %d", user), func(row db.Row) (Exercise, error) { return scanExercise(row, false) },
		"SELECT "+exerciseColumns+where+fmt.Sprintf(" ORDER BY e.id DESC LIMIT %d OFFSET %d", limit, offset), args...)
	return list, total, err
}

// insertExercise stores a draft exercise of org from kit (its stimuli apart) and
// returns its id.
func insertExercise(ctx context.Context, tx *sql.Tx, org int64, kit Kit, speed int, by int64, at time.Time) (int64, error) {
	copied := kit
	copied.Animator.Stimuli = nil
	blob, err := json.Marshal(copied)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO exercises (org_id, kit_id, kit_version, kit, title, level, status, speed, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9) RETURNING id`,
		org, kit.ID, kit.Version, blob, kit.Title, kit.Level, speed, by, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("exercise: create for %d from kit %s: %w", org, kit.ID, err)
	}
	return id, nil
}

// setExercise applies an update of exercise id's columns ("status = 'planned',
// planned_for = $1"): the arguments number from $1, the id comes last.
func setExercise(ctx context.Context, tx *sql.Tx, id int64, what, set string, args ...any) error {
	args = append(args, id)
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE exercises SET %s WHERE id = $%d", set, len(args)), args...); err != nil {
		return fmt.Errorf("exercise: %s %d: %w", what, id, err)
	}
	return nil
}

// ---- participants ----

// listMembers lists the participants of exercise id, by role, cell and name.
func listMembers(ctx context.Context, q db.Querier, id int64) ([]Member, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: list the participants of %d", id), func(row db.Row) (Member, error) {
		var p Member
		err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.Email, &p.Role, &p.Cell)
		return p, err
	}, `SELECT p.id, p.user_id, u.name, u.email, p.role, p.cell FROM exercise_participants p JOIN users u ON u.id = p.user_id
		WHERE p.exercise_id = $1 ORDER BY p.role, p.cell, u.name`, id)
}

// userByEmail is the id of the account with that address, 0 when there is none.
func userByEmail(ctx context.Context, q db.Querier, email string) (int64, error) {
	var user int64
	err := q.QueryRowContext(ctx, "SELECT id FROM users WHERE email = $1", strings.ToLower(strings.TrimSpace(email))).Scan(&user)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("exercise: find a participant by e-mail: %w", err)
	}
	return user, nil
}

// inScope reports whether user may be seated in an exercise of the node at path:
// an active member of its branch (the node, a node under it or above it), or a
// guest (an account with no role, invited for exercises: a préfecture's staff in
// a regional exercise).
func inScope(ctx context.Context, q db.Querier, user int64, path string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL AND (
		EXISTS (SELECT 1 FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = u.id AND (o.path LIKE $2 OR $3 LIKE o.path || '%'))
		OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id))`, user, path+"%", path).Scan(&n); err != nil {
		return false, fmt.Errorf("exercise: scope of user %d: %w", user, err)
	}
	return n > 0, nil
}

// putSeat seats user in exercise id, in place of any seat they had.
func putSeat(ctx context.Context, tx *sql.Tx, id, user int64, role, cell string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_participants WHERE exercise_id = $1 AND user_id = $2", id, user); err != nil {
		return fmt.Errorf("exercise: seat user %d in %d: %w", user, id, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_participants (exercise_id, user_id, role, cell, created_at) VALUES ($1, $2, $3, $4, $5)", id, user, role, cell, at); err != nil {
		return fmt.Errorf("exercise: seat user %d in %d: %w", user, id, err)
	}
	return nil
}

// player is an active player of an exercise, whom delivered stimuli are e-mailed
// to.
type player struct{ email, cell, locale string }

// listPlayers lists the active players of exercise id.
func listPlayers(ctx context.Context, q db.Querier, id int64) ([]player, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: list the players of %d", id), func(row db.Row) (player, error) {
		var p player
		err := row.Scan(&p.email, &p.cell, &p.locale)
		return p, err
	}, `SELECT u.email, p.cell, u.locale FROM exercise_participants p JOIN users u ON u.id = p.user_id
		WHERE p.exercise_id = $1 AND p.role = 'player' AND u.disabled_at IS NULL`, id)
}
