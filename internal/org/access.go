package org

import (
	"context"
	"errors"

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
	return load(ctx, q, id, need, false)
}

// load is Load for this package. The organisation pages are the one place where
// archived nodes are still shown (withArchived): their detail page opens an
// archived node, lists archived children on request, and restores them; their
// edit and archive actions reach archived nodes too, while a new node never hangs
// under an archived parent nor is moved there (createIn, checkMove). Everywhere
// else, as in Load, an archived node is absent.
func load(ctx context.Context, q db.Querier, id int64, need authz.Action, withArchived bool) (Org, error) {
	o, err := getOrg(ctx, q, id)
	if errors.Is(err, problem.ErrNotFound) || (err == nil && o.Archived() && !withArchived) {
		return Org{}, problem.ErrNotFound
	}
	if err != nil {
		return Org{}, err
	}
	if err := authz.Current(ctx).Check(need, o.Path); err != nil {
		return Org{}, err
	}
	return o, nil
}
