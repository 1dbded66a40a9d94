package incident

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"time"

	"care/internal/platform/live"
)

// What the ARS referents and CERT Santé see at once: a stream of the changes of
// the incidents in sight (a new declaration, a qualification, a closure), read
// for each caller from its own scope.

// notifyChannel announces to the other instances (PostgreSQL) that an incident
// changed.
const notifyChannel = "care_incident"

// announce tells the other instances, when tx commits, that an incident changed.
func (s *Service) announce(ctx context.Context, tx *sql.Tx) error {
	return s.DB.Notify(ctx, tx, notifyChannel, "")
}

// Listen wakes this instance's streams when another instance announces a change,
// until ctx ends (PostgreSQL; on SQLite it returns at once).
func (s *Service) Listen(ctx context.Context) {
	s.DB.Listen(ctx, notifyChannel, s.live.Fire, func(string) { s.live.Fire() })
}

// Stop ends the live streams of this instance.
func (s *Service) Stop() { s.live.Stop() }

// ChangesJSON is an event of the stream: the incidents in sight submitted and
// not yet qualified, and those that changed since the previous event.
type ChangesJSON struct {
	New     []int64 `json:"new"`
	Changed []int64 `json:"changed"`
}

// Stream answers GET /incidents/flux and GET /api/v1/incidents/events: an event
// "incidents" each time the incidents the caller sees change. The first read
// only records what the caller sees; nothing is sent until something changes.
func (h *Handler) Stream(w http.ResponseWriter, r *http.Request) {
	var seen map[int64]time.Time
	live.Serve(w, r, live.Stream{
		Wait: h.Incidents.live.Wait,
		Next: func(ctx context.Context) ([]live.Event, error) {
			list, err := h.Incidents.Incidents(ctx, 0, "")
			if err != nil {
				return nil, err
			}
			now := make(map[int64]time.Time, len(list))
			var c ChangesJSON
			for _, i := range list {
				now[i.ID] = i.UpdatedAt
				if i.Status == Submitted {
					c.New = append(c.New, i.ID)
				}
				if at, ok := seen[i.ID]; seen != nil && (!ok || !at.Equal(i.UpdatedAt)) {
					c.Changed = append(c.Changed, i.ID)
				}
			}
			first := seen == nil
			seen = now
			if first || len(c.Changed) == 0 {
				return nil, nil
			}
			slices.Sort(c.New)
			slices.Sort(c.Changed)
			return []live.Event{{Name: "incidents", Data: c}}, nil
		},
		Stopping: h.Incidents.live.Stopping(),
		Poll:     h.Poll,
	})
}
