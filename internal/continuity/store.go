package continuity

// The SQL of the continuity capability, common to both engines: plain functions
// over db.Querier (a pool or a transaction) or *sql.Tx (a write), which take
// nodes already checked by the service and wrap every error with what was being
// done. This file holds the framing, the plan's tests and versions, the
// degraded-mode sheets and the reminders; activities, resources and the tree have
// their own store files.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
)

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// idList is "(1,2,3)": ids are integers (read from the database or parsed as
// such), never text, so that they may stand in the statement.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// ---- framing ----

// getPlan reads the framing of node org; an empty one when not written yet.
func getPlan(ctx context.Context, q db.Querier, org int64) (Plan, error) {
	p := Plan{OrgID: org}
	var due, upd sql.NullTime
	var absent string
	var margin sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT rpcra_name, rpcra_email, mission, perimeter, calendar, governance, review_due, updated_at, absent_perimeter, margin_hours
		FROM continuity_plans WHERE org_id = $1`, org).Scan(&p.RPCRAName, &p.RPCRAEmail, &p.Mission, &p.Perimeter, &p.Calendar, &p.Governance, &due, &upd, &absent, &margin)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return Plan{}, fmt.Errorf("continuity: read the framing of %d: %w", org, err)
	}
	p.ReviewDue, p.UpdatedAt, p.Absent, p.MarginHours = db.TimePtr(due), db.TimePtr(upd), ParseAbsent(absent), intPtr(margin)
	return p, nil
}

// replacePlan writes the framing of node p.OrgID over the previous one.
func replacePlan(ctx context.Context, tx *sql.Tx, p Plan, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM continuity_plans WHERE org_id = $1", p.OrgID); err != nil {
		return fmt.Errorf("continuity: clear the framing of %d: %w", p.OrgID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO continuity_plans (org_id, rpcra_name, rpcra_email, mission, perimeter, calendar, governance, review_due, created_at, updated_at, absent_perimeter, margin_hours)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)`, p.OrgID, strings.TrimSpace(p.RPCRAName), strings.TrimSpace(p.RPCRAEmail), p.Mission, p.Perimeter, p.Calendar, p.Governance, p.ReviewDue, now,
		strings.Join(ParseAbsent(strings.Join(p.Absent, ",")), ","), nullInt(p.MarginHours)); err != nil {
		return fmt.Errorf("continuity: write the framing of %d: %w", p.OrgID, err)
	}
	return nil
}

// framing is what a node's framing says of the nodes below it.
type framing struct {
	absent []string // O1.C perimeter items they lack
	margin *int     // detection and decision margin, hours
}

// framingsAround reads, by path, the framings of the nodes in the subtree at
// path and of its ancestors. One statement.
func framingsAround(ctx context.Context, q db.Querier, path string) (map[string]framing, error) {
	type row struct {
		path, absent string
		margin       sql.NullInt64
	}
	rows, err := db.List(ctx, q, "continuity: list the framings around "+path, func(r db.Row) (row, error) {
		var x row
		err := r.Scan(&x.path, &x.absent, &x.margin)
		return x, err
	}, `SELECT o.path, p.absent_perimeter, p.margin_hours FROM continuity_plans p JOIN orgs o ON o.id = p.org_id
		WHERE (o.path >= $1 AND o.path < $2) OR $1 LIKE o.path || '%'`, path, authz.SubtreeEnd(path))
	if err != nil {
		return nil, err
	}
	out := map[string]framing{}
	for _, x := range rows {
		out[x.path] = framing{absent: ParseAbsent(x.absent), margin: intPtr(x.margin)}
	}
	return out, nil
}

// marginAt is the detection and decision margin in force at the node at path:
// the one of the nearest framing at the node or above that sets one; 0 when none.
func marginAt(framings map[string]framing, path string) int {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '/' {
			if m := framings[path[:i+1]].margin; m != nil {
				return *m
			}
		}
	}
	return 0
}

// ---- tests of the plan ----

func insertTest(ctx context.Context, tx *sql.Tx, t PlanTest, now time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO plan_tests (org_id, title, kind, planned_on, done_on, result, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.OrgID, strings.TrimSpace(t.Title), t.Kind, t.PlannedOn, t.DoneOn, t.Result, t.Actions, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("continuity: add a test to %d: %w", t.OrgID, err)
	}
	return id, nil
}

// listTests reads the plan tests in the subtree at path and above it, latest first.
func listTests(ctx context.Context, q db.Querier, path string) ([]PlanTest, error) {
	return db.List(ctx, q, "continuity: list the tests of "+path, func(row db.Row) (PlanTest, error) {
		var t PlanTest
		var planned, done sql.NullTime
		err := row.Scan(&t.ID, &t.OrgID, &t.Title, &t.Kind, &planned, &done, &t.Result, &t.Actions)
		t.PlannedOn, t.DoneOn = db.TimePtr(planned), db.TimePtr(done)
		return t, err
	}, `SELECT t.id, t.org_id, t.title, t.kind, t.planned_on, t.done_on, t.result, t.actions FROM plan_tests t JOIN orgs o ON o.id = t.org_id
		WHERE (o.path >= $1 AND o.path < $2) OR $1 LIKE o.path || '%' ORDER BY COALESCE(t.done_on, t.planned_on) DESC`, path, authz.SubtreeEnd(path))
}

// ---- versions of the plan ----

// listVersions reads the generated versions of node org's plan, newest first.
func listVersions(ctx context.Context, q db.Querier, org int64) ([]Version, error) {
	return db.List(ctx, q, fmt.Sprintf("continuity: list the versions of %d", org), func(row db.Row) (Version, error) {
		var v Version
		err := row.Scan(&v.ID, &v.Version, &v.ChangeLog, &v.CreatedAt)
		return v, err
	}, "SELECT id, version, change_log, created_at FROM plan_versions WHERE org_id = $1 ORDER BY version DESC", org)
}

// lastVersion reads the number and the snapshot of node org's latest version: 0
// and "" when none was generated.
func lastVersion(ctx context.Context, tx *sql.Tx, org int64) (int, string, error) {
	var last sql.NullInt64
	var snap sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM plan_versions WHERE org_id = $1", org).Scan(&last); err != nil {
		return 0, "", fmt.Errorf("continuity: last version of %d: %w", org, err)
	}
	if !last.Valid {
		return 0, "", nil
	}
	if err := tx.QueryRowContext(ctx, "SELECT snapshot FROM plan_versions WHERE org_id = $1 AND version = $2", org, last.Int64).Scan(&snap); err != nil {
		return 0, "", fmt.Errorf("continuity: snapshot of version %d of %d: %w", last.Int64, org, err)
	}
	return int(last.Int64), snap.String, nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, org int64, v Version, snapshot string, by any) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO plan_versions (org_id, version, change_log, snapshot, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		org, v.Version, v.ChangeLog, snapshot, by, v.CreatedAt).Scan(&id); err != nil {
		return 0, fmt.Errorf("continuity: record version %d of %d: %w", v.Version, org, err)
	}
	return id, nil
}

// ---- degraded-mode sheets ----

const sheetColumns = "activity_id, trigger_text, first_actions, paper_forms, roles, communication, return_to_normal, rekeying, holds_hours, updated_at"

func scanSheet(row db.Row) (Sheet, error) {
	var sh Sheet
	var upd sql.NullTime
	var holds sql.NullInt64
	err := row.Scan(&sh.ActivityID, &sh.Trigger, &sh.FirstActions, &sh.PaperForms, &sh.Roles, &sh.Communication, &sh.ReturnToNormal, &sh.Rekeying, &holds, &upd)
	sh.UpdatedAt, sh.Holds = db.TimePtr(upd), intPtr(holds)
	return sh, err
}

// getSheet reads the sheet written for an activity; false when none was.
func getSheet(ctx context.Context, q db.Querier, activity int64) (Sheet, bool, error) {
	sh, err := scanSheet(q.QueryRowContext(ctx, "SELECT "+sheetColumns+" FROM degraded_sheets WHERE activity_id = $1", activity))
	if errors.Is(err, sql.ErrNoRows) {
		return Sheet{}, false, nil
	}
	if err != nil {
		return Sheet{}, false, fmt.Errorf("continuity: read the sheet of activity %d: %w", activity, err)
	}
	return sh, true, nil
}

// writtenSheets reads, in one statement, the sheets written for activities.
func writtenSheets(ctx context.Context, q db.Querier, acts []Activity) (map[int64]Sheet, error) {
	out := map[int64]Sheet{}
	if len(acts) == 0 {
		return out, nil
	}
	ids := make([]int64, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	sheets, err := db.List(ctx, q, "continuity: list the sheets of activities "+idList(ids), scanSheet, "SELECT "+sheetColumns+" FROM degraded_sheets WHERE activity_id IN "+idList(ids))
	if err != nil {
		return nil, err
	}
	for _, sh := range sheets {
		out[sh.ActivityID] = sh
	}
	return out, nil
}

func replaceSheet(ctx context.Context, tx *sql.Tx, sh Sheet, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM degraded_sheets WHERE activity_id = $1", sh.ActivityID); err != nil {
		return fmt.Errorf("continuity: clear the sheet of activity %d: %w", sh.ActivityID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO degraded_sheets (activity_id, trigger_text, first_actions, paper_forms, roles, communication, return_to_normal, rekeying, holds_hours, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, sh.ActivityID, sh.Trigger, sh.FirstActions, sh.PaperForms, sh.Roles, sh.Communication, sh.ReturnToNormal, sh.Rekeying, nullInt(sh.Holds), now); err != nil {
		return fmt.Errorf("continuity: write the sheet of activity %d: %w", sh.ActivityID, err)
	}
	return nil
}

// ---- reminders ----

// reviewDue is a plan whose review date comes, with whom to remind.
type reviewDue struct {
	org   int64
	name  string
	email string
	when  time.Time
}

// dueReviews reads the plans with an RPCRA address whose review falls before
// before, not reminded since remindedBefore.
func dueReviews(ctx context.Context, q db.Querier, before, remindedBefore time.Time) ([]reviewDue, error) {
	return db.List(ctx, q, "continuity: list the reviews due", func(row db.Row) (reviewDue, error) {
		var d reviewDue
		err := row.Scan(&d.org, &d.name, &d.email, &d.when)
		return d, err
	}, `SELECT p.org_id, o.name, p.rpcra_email, p.review_due FROM continuity_plans p JOIN orgs o ON o.id = p.org_id
		WHERE p.rpcra_email <> '' AND p.review_due IS NOT NULL AND p.review_due < $1 AND (p.reminded_at IS NULL OR p.reminded_at < $2)`, before, remindedBefore)
}

// claimReminder marks node org's plan as reminded at now unless it was since
// remindedBefore: false when another instance took it.
func claimReminder(ctx context.Context, q db.Querier, org int64, now, remindedBefore time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE continuity_plans SET reminded_at = $1 WHERE org_id = $2 AND (reminded_at IS NULL OR reminded_at < $3)`, now, org, remindedBefore)
	if err != nil {
		return false, fmt.Errorf("continuity: claim the reminder of %d: %w", org, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// releaseReminder forgets a claim whose mail could not be sent.
func releaseReminder(ctx context.Context, q db.Querier, org int64) {
	_, _ = q.ExecContext(ctx, "UPDATE continuity_plans SET reminded_at = NULL WHERE org_id = $1", org)
}
