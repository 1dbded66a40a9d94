package org

import (
	"context"
	"database/sql"
	"errors"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Authorize checks that the caller may act on the node id with need and returns the
// node's path. A node that is absent, archived or invisible to the caller is not
// found; a visible node the caller may not change is forbidden.
func Authorize(ctx context.Context, q db.Querier, id int64, need authz.Action) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1 AND archived_at IS NULL", id).Scan(&path)
	sub, _ := authz.FromContext(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sub.Can(authz.OrgRead, path)) {
		return "", problem.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if !sub.Can(need, path) {
		return "", problem.New(problem.Forbidden, "error.forbidden")
	}
	return path, nil
}
