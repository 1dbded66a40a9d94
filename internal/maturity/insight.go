package maturity

import "context"

// NationalSlug is the national maturity questionnaire's (content/questionnaire-maturite.yaml).
const NationalSlug = "questionnaire-maturite"

// LatestLevels is maturity's figure for the programme's view: the level of each
// live establishment's latest validated national self-assessment under roots.
func (s *Service) LatestLevels(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return eachLatest(ctx, s.DB.Read, NationalSlug, roots, func(path, level string, _ float64, _ string) { fn(path, level, 1) })
}
