package maturity

import (
	"context"
	"fmt"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/problem"
)

// ThemeDelta is how one theme moved between two assessments.
type ThemeDelta struct {
	ID, Title     string
	Before, After *float64 // percent
}

// Delta is After − Before, when both exist.
func (d ThemeDelta) Delta() (float64, bool) {
	if d.Before == nil || d.After == nil {
		return 0, false
	}
	return *d.After - *d.Before, true
}

// DeltaText is the difference for display, signed, "—" when one side is missing.
func (d ThemeDelta) DeltaText() string {
	v, ok := d.Delta()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%+.0f", v)
}

// Comparison sets two assessments of one establishment side by side.
type Comparison struct {
	Before, After               Assessment
	BeforeRes, AfterRes         Result
	Themes                      []ThemeDelta
	OverallBefore, OverallAfter *float64
}

// Compare compares two assessments of the same establishment with the same
// questionnaire (any versions: themes are matched by id), the older first.
func (s *Service) Compare(ctx context.Context, a, b int64) (Comparison, error) {
	first, o, err := loadAssessment(ctx, s.DB.Read, a, authz.OrgRead)
	if err != nil {
		return Comparison{}, err
	}
	second, err := getAssessment(ctx, s.DB.Read, b)
	if err != nil {
		return Comparison{}, err
	}
	if second.OrgID != first.OrgID {
		// Another establishment's: absent when the caller does not see it.
		if _, err := org.Load(ctx, s.DB.Read, second.OrgID, authz.OrgRead); err != nil {
			return Comparison{}, err
		}
		return Comparison{}, problem.New(problem.Invalid, "maturity.error.compare")
	}
	if second.Slug != first.Slug {
		return Comparison{}, problem.New(problem.Invalid, "maturity.error.compare")
	}
	before, err := s.sheet(ctx, s.DB.Read, first, o)
	if err != nil {
		return Comparison{}, err
	}
	after, err := s.sheet(ctx, s.DB.Read, second, o)
	if err != nil {
		return Comparison{}, err
	}
	themes := after.Questionnaire.Themes // b's, whichever is older
	if after.Assessment.CreatedAt.Before(before.Assessment.CreatedAt) {
		before, after = after, before
	}
	return compare(before, after, themes), nil
}

// compare sets the results of two sheets side by side, theme by theme.
func compare(before, after Sheet, themes []Theme) Comparison {
	rb, ra := before.Result, after.Result
	c := Comparison{Before: before.Assessment, After: after.Assessment, BeforeRes: rb, AfterRes: ra, OverallBefore: rb.Percent, OverallAfter: ra.Percent}
	for _, t := range themes {
		d := ThemeDelta{ID: t.ID, Title: t.Title}
		for _, ts := range rb.Themes {
			if ts.ID == t.ID {
				d.Before = ts.Percent
			}
		}
		for _, ts := range ra.Themes {
			if ts.ID == t.ID {
				d.After = ts.Percent
			}
		}
		c.Themes = append(c.Themes, d)
	}
	return c
}
