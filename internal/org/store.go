package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

const columns = `id, COALESCE(parent_id, 0), path, level, name, code, COALESCE(finess, ''), kind, category, activity_weight, archived_at, created_at, updated_at`

func scanOrg(row db.Row) (Org, error) {
	var o Org
	var archived sql.NullTime
	err := row.Scan(&o.ID, &o.ParentID, &o.Path, &o.Level, &o.Name, &o.Code, &o.FINESS, &o.Kind, &o.Category,
		&o.ActivityWeight, &archived, &o.CreatedAt, &o.UpdatedAt)
	if archived.Valid {
		t := archived.Time
		o.ArchivedAt = &t
	}
	return o, err
}

// Filter narrows a listing. Roots is the caller's visible scope and is always applied.
type Filter struct {
	Roots           []string
	ParentID        int64
	Under           string // path: only this subtree
	Levels          []Level
	Query           string // matches name, FINESS or code
	IncludeArchived bool
	Limit, Offset   int
}

func (f Filter) where() (string, []any) {
	clause, args := authz.ScopeClause("path", f.Roots, 1)
	conds := []string{clause}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.ParentID != 0 {
		add("parent_id = ?", f.ParentID)
	}
	if f.Under != "" {
		add("path >= ?", f.Under)
		add("path < ?", authz.SubtreeEnd(f.Under))
	}
	if len(f.Levels) > 0 {
		var ors []string
		for _, l := range f.Levels {
			args = append(args, string(l))
			ors = append(ors, fmt.Sprintf("level = $%d", len(args)))
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if q := fold(f.Query); q != "" {
		q = strings.NewReplacer("%", "", "_", "").Replace(q)
		add("search LIKE ?", "%"+q+"%")
	}
	if !f.IncludeArchived {
		conds = append(conds, "archived_at IS NULL")
	}
	return strings.Join(conds, " AND "), args
}

// searchText is what a search matches: name, FINESS and code, folded.
func (o Org) searchText() string { return fold(o.Name + " " + o.FINESS + " " + o.Code) }

func listOrgs(ctx context.Context, q db.Querier, f Filter) ([]Org, int, error) {
	where, args := f.where()
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org: count nodes: %w", err)
	}
	query := "SELECT " + columns + " FROM orgs WHERE " + where + " ORDER BY path"
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list nodes: %w", err)
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("org: list nodes: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("org: list nodes: %w", err)
	}
	return out, total, nil
}

func getOrg(ctx context.Context, q db.Querier, id int64) (Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, "SELECT "+columns+" FROM orgs WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, problem.ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("org: get %d: %w", id, err)
	}
	return o, nil
}

func getByFINESS(ctx context.Context, q db.Querier, finess string) (Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, "SELECT "+columns+" FROM orgs WHERE finess = $1", finess))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, problem.ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("org: get FINESS %s: %w", finess, err)
	}
	return o, nil
}

func getRoot(ctx context.Context, q db.Querier) (Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, "SELECT "+columns+" FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, problem.ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("org: get the national root: %w", err)
	}
	return o, nil
}

func finessTaken(ctx context.Context, q db.Querier, finess string, except int64) (bool, error) {
	if finess == "" {
		return false, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM orgs WHERE finess = $1 AND id <> $2", finess, except).Scan(&n); err != nil {
		return false, fmt.Errorf("org: is FINESS %s taken (but by %d): %w", finess, except, err)
	}
	return n > 0, nil
}

// insertOrg writes o under its parent and returns it with id and path set. The path
// needs the id, so the row is written with a provisional unique path first.
func insertOrg(ctx context.Context, tx *sql.Tx, o Org, parentPath string) (Org, error) {
	var parent any
	if o.ParentID != 0 {
		parent = o.ParentID
	}
	var finess any
	if o.FINESS != "" {
		finess = o.FINESS
	}
	now := db.Now()
	provisional := fmt.Sprintf("%s~%d", parentPath, now.UnixNano())
	err := tx.QueryRowContext(ctx, `INSERT INTO orgs (parent_id, path, level, name, code, finess, kind, category, activity_weight, search, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
		parent, provisional, o.Level, o.Name, o.Code, finess, o.Kind, o.Category, o.ActivityWeight, o.searchText(), now).Scan(&o.ID)
	if err != nil {
		return Org{}, fmt.Errorf("org: insert %q under %d: %w", o.Name, o.ParentID, err)
	}
	o.Path = childPath(parentPath, o.ID)
	if _, err := tx.ExecContext(ctx, "UPDATE orgs SET path = $1 WHERE id = $2", o.Path, o.ID); err != nil {
		return Org{}, fmt.Errorf("org: set the path of %d: %w", o.ID, err)
	}
	o.CreatedAt, o.UpdatedAt = now, now
	return o, nil
}

func updateOrg(ctx context.Context, tx *sql.Tx, o Org) error {
	var finess any
	if o.FINESS != "" {
		finess = o.FINESS
	}
	_, err := tx.ExecContext(ctx, `UPDATE orgs SET name = $1, code = $2, finess = $3, kind = $4, category = $5,
		activity_weight = $6, search = $7, updated_at = $8 WHERE id = $9`,
		o.Name, o.Code, finess, o.Kind, o.Category, o.ActivityWeight, o.searchText(), db.Now(), o.ID)
	if err != nil {
		return fmt.Errorf("org: update %d: %w", o.ID, err)
	}
	return nil
}

// moveSubtree rewrites the paths of the subtree at oldPath to start with newPath.
func moveSubtree(ctx context.Context, tx *sql.Tx, id, newParent int64, oldPath, newPath string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE orgs SET parent_id = $1, updated_at = $2 WHERE id = $3", newParent, db.Now(), id); err != nil {
		return fmt.Errorf("org: move %d under %d: %w", id, newParent, err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE orgs SET path = $1 || SUBSTR(path, $2) WHERE path >= $3 AND path < $4`,
		newPath, len(oldPath)+1, oldPath, authz.SubtreeEnd(oldPath))
	if err != nil {
		return fmt.Errorf("org: move %d under %d: %w", id, newParent, err)
	}
	return nil
}

func setArchived(ctx context.Context, tx *sql.Tx, path string, archive bool) error {
	var err error
	if archive {
		_, err = tx.ExecContext(ctx, "UPDATE orgs SET archived_at = $1, updated_at = $1 WHERE archived_at IS NULL AND path >= $2 AND path < $3",
			db.Now(), path, authz.SubtreeEnd(path))
	} else {
		_, err = tx.ExecContext(ctx, "UPDATE orgs SET archived_at = NULL, updated_at = $1 WHERE path >= $2 AND path < $3",
			db.Now(), path, authz.SubtreeEnd(path))
	}
	if err != nil {
		return fmt.Errorf("org: set archived=%t under %s: %w", archive, path, err)
	}
	return nil
}

// EachEntity calls fn with the path and kind of every live legal entity under
// roots (a roll-up's denominator), in one query.
func EachEntity(ctx context.Context, q db.Querier, roots []string, fn func(path string, kind Kind)) error {
	scope, args := authz.ScopeClause("path", roots, 1)
	return db.Each(ctx, q, fmt.Sprintf("org: list the legal entities under %v", roots), func(r db.Row) error {
		var path string
		var kind Kind
		if err := r.Scan(&path, &kind); err != nil {
			return err
		}
		fn(path, kind)
		return nil
	}, "SELECT path, kind FROM orgs WHERE level = 'legal_entity' AND archived_at IS NULL AND "+scope, args...)
}
