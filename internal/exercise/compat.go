package exercise

import "context"

// The service's former entry points, kept for the handlers until they move to
// the page kit.

// Recommended returns the kit level recommended to an establishment.
func (s *Service) Recommended(ctx context.Context, org int64) (string, bool, error) {
	if org == 0 {
		return "", false, nil
	}
	c, err := s.Catalogue(ctx, org)
	return c.Recommended, c.Recommended != "", err
}

// Participants lists an exercise's participants (for its participants and readers).
func (s *Service) Participants(ctx context.Context, id int64) ([]Member, error) {
	if _, err := open(ctx, s.DB.Read, id, false); err != nil {
		return nil, err
	}
	return listMembers(ctx, s.DB.Read, id)
}

// Start sets T0 now.
func (s *Service) Start(ctx context.Context, id int64) error { return s.Step(ctx, id, "start") }

// Pause stops the exercise clock.
func (s *Service) Pause(ctx context.Context, id int64) error { return s.Step(ctx, id, "pause") }

// Resume restarts the clock.
func (s *Service) Resume(ctx context.Context, id int64) error { return s.Step(ctx, id, "resume") }

// Finish ends the play.
func (s *Service) Finish(ctx context.Context, id int64) error { return s.Step(ctx, id, "finish") }
