package funding

import (
	"context"
	"strconv"
	"strings"

	"care/internal/org"
)

// CandidatureStates is funding's figure for the programme's view: each
// candidature of a live node under roots, keyed "call/status".
func (s *Service) CandidatureStates(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "funding: candidatures", roots, func(path, key string) { fn(path, key, 1) },
		"SELECT o.path, c.call_id || '/' || c.status FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id WHERE TRUE")
}

// Amounts is funding's money for the programme's view: the euros requested,
// granted and paid of each candidature of a live node under roots.
func (s *Service) Amounts(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "funding: amounts", roots, func(path, amounts string) {
		for _, key := range []string{"requested", "granted", "paid"} {
			part, rest, _ := strings.Cut(amounts, "/")
			if n, err := strconv.ParseInt(part, 10, 64); err == nil {
				fn(path, key, n)
			}
			amounts = rest
		}
	}, `SELECT o.path, CAST(COALESCE(c.amount_requested, 0) AS TEXT) || '/' || CAST(COALESCE(c.amount_granted, 0) AS TEXT) || '/' || CAST(COALESCE(c.amount_paid, 0) AS TEXT)
		FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id WHERE TRUE`)
}

// ObjectiveStates is funding's objectives for the programme's view: each
// declared objective of a candidature of a live node under roots, keyed
// "call/objective/state" (declared, accepted, more, refused).
func (s *Service) ObjectiveStates(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "funding: objectives", roots, func(path, key string) { fn(path, key, 1) },
		`SELECT o.path, c.call_id || '/' || x.objective || '/' || x.status FROM funding_objective_states x
		JOIN funding_candidatures c ON c.id = x.candidature_id JOIN orgs o ON o.id = c.org_id WHERE TRUE`)
}
