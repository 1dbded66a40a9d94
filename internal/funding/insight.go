package funding

import (
	"context"

	"care/internal/org"
)

// CandidatureStates is funding's figure for the programme's view: each
// candidature of a live node under roots, keyed "call/status".
func (s *Service) CandidatureStates(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "funding: candidatures", roots, func(path, key string) { fn(path, key, 1) },
		"SELECT o.path, c.call_id || '/' || c.status FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id WHERE TRUE")
}
