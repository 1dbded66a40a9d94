package org

import (
	"context"
	"errors"
	"fmt"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Load is the one place a capability decides access to a node: it reads node id
// and applies authz.Check with need for the caller in ctx. The node comes back
// checked; code that receives it does not check again.
//
// Archived nodes read as absent for every capability: archiving a structure ends
// its programme work, and only the organisation pages (which list archived nodes
// on request) show them.
func Load(ctx context.Context, q db.Querier, id int64, need authz.Action) (Org, error) {
	o, err := getOrg(ctx, q, id)
	if errors.Is(err, problem.ErrNotFound) || (err == nil && o.Archived()) {
		return Org{}, problem.ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("org: load %d: %w", id, err)
	}
	if err := authz.Current(ctx).Check(need, o.Path); err != nil {
		return Org{}, err
	}
	return o, nil
}
