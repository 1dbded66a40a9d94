package exercise

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/platform/db"
)

// The stream of an exercise's events, and what the delivery loop reads and writes
// of the running exercises.

// appendEvent appends an event to the exercise's stream and returns its number.
// Taking the next number locks the exercise row until the transaction ends, so
// events commit in number order and a reader that saw number n never misses a
// smaller one.
func appendEvent(ctx context.Context, tx *sql.Tx, exercise int64, kind string, ref int64, audience string) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, "UPDATE exercises SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq", exercise).Scan(&seq); err != nil {
		return 0, fmt.Errorf("exercise: number a %s event of %d: %w", kind, exercise, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_events (exercise_id, seq, kind, ref_id, audience, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		exercise, seq, kind, ref, audience, db.Now()); err != nil {
		return 0, fmt.Errorf("exercise: write %s event %d of %d: %w", kind, seq, exercise, err)
	}
	return seq, nil
}

// listEvents lists the events of exercise id after seq, in order.
func listEvents(ctx context.Context, q db.Querier, id, after int64) ([]Event, error) {
	return db.List(ctx, q, fmt.Sprintf("exercise: read the events of %d after %d", id, after), func(row db.Row) (Event, error) {
		var ev Event
		err := row.Scan(&ev.Seq, &ev.Kind, &ev.RefID, &ev.Audience, &ev.At)
		return ev, err
	}, "SELECT seq, kind, ref_id, audience, created_at FROM exercise_events WHERE exercise_id = $1 AND seq > $2 ORDER BY seq", id, after)
}

// lastSeq is the number of exercise id's last event, 0 before the first.
func lastSeq(ctx context.Context, q db.Querier, id int64) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM exercise_events WHERE exercise_id = $1", id).Scan(&seq); err != nil {
		return 0, fmt.Errorf("exercise: last event of %d: %w", id, err)
	}
	return seq, nil
}

// tickedExercise is what the delivery loop needs of a running exercise, read at
// each of its looks: its clock, its last tick and the offset of its next stimulus
// to deliver, not its kit.
type tickedExercise struct {
	ID     int64
	OrgID  int64
	Clock  Clock
	Ticked *time.Time
	Next   *int // offset in seconds of the first stimulus still to deliver; nil when none is left
}

// ticking lists the running, unpaused exercises (or exercise only, when set,
// whatever its state) as the delivery loop reads them: one query, whatever the
// number of exercises, the next offset read on the index of the due stimuli.
func ticking(ctx context.Context, q db.Querier, only int64) ([]tickedExercise, error) {
	where, args := "status = 'running' AND paused_at IS NULL", []any{}
	if only != 0 {
		where, args = "id = $1", []any{only}
	}
	return db.List(ctx, q, "exercise: read the running exercises", func(row db.Row) (tickedExercise, error) {
		var e tickedExercise
		var started sql.NullTime
		var pausedMS int64
		var next sql.NullInt64
		err := row.Scan(&e.ID, &e.OrgID, &e.Clock.Speed, &started, &pausedMS, &e.Ticked, &next)
		e.Clock.StartedAt = started.Time
		e.Clock.Paused = time.Duration(pausedMS) * time.Millisecond
		if next.Valid {
			n := int(next.Int64)
			e.Next = &n
		}
		return e, err
	}, `SELECT id, org_id, speed, started_at, paused_ms, ticked_at,
		(SELECT MIN(s.offset_seconds) FROM exercise_stimuli s WHERE s.exercise_id = exercises.id AND s.delivered_at IS NULL AND s.skipped = FALSE)
		FROM exercises WHERE `+where, args...)
}

// recordTick records that exercise id was ticked at now, unless a later tick is
// recorded.
func recordTick(ctx context.Context, q db.Querier, id int64, now time.Time) error {
	if _, err := q.ExecContext(ctx, "UPDATE exercises SET ticked_at = $1 WHERE id = $2 AND (ticked_at IS NULL OR ticked_at < $1)", now, id); err != nil {
		return fmt.Errorf("exercise: record a tick of %d: %w", id, err)
	}
	return nil
}

// bridgeOutage adds gap to the time exercise id spent paused and records the tick
// at now, if its last tick is still ticked and it still runs unpaused; it reports
// whether this call did it (one instance does).
func bridgeOutage(ctx context.Context, tx *sql.Tx, id int64, ticked, now time.Time, gap time.Duration) (bool, error) {
	ok, err := changed(tx.ExecContext(ctx, `UPDATE exercises SET paused_ms = paused_ms + $1, ticked_at = $2
		WHERE id = $3 AND ticked_at = $4 AND status = 'running' AND paused_at IS NULL`, gap.Milliseconds(), now, id, ticked))
	if err != nil {
		return false, fmt.Errorf("exercise: bridge an outage of %d: %w", id, err)
	}
	return ok, nil
}
