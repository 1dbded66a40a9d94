package maturity

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Questionnaire versions: programme content, shipped in the binary or imported,
// readable by every logged-in person. No node is involved.

//go:embed content/*.yaml
var shipped embed.FS

// Version is a stored questionnaire version.
type Version struct {
	ID        int64
	Slug      string
	Version   int
	Kind      string
	Title     string
	Shipped   bool
	CreatedAt time.Time
}

// SyncShipped stores the questionnaires shipped in the binary that the database does
// not hold yet. Run at start-up; versions already stored are left as they are.
func (s *Service) SyncShipped(ctx context.Context) error {
	files, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := shipped.ReadFile(f)
		if err != nil {
			return err
		}
		q, err := Parse(data)
		if err != nil {
			return fmt.Errorf("maturity: shipped %s: %w", f, err)
		}
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if held, err := versionExists(ctx, tx, q.ID, q.Version); err != nil || held {
				return err
			}
			_, err := insertVersion(ctx, tx, q, string(data), true, nil, db.Now())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Versions lists the questionnaires: the latest version of each, or every version.
func (s *Service) Versions(ctx context.Context, all bool) ([]Version, error) {
	return listVersions(ctx, s.DB.Read, all)
}

// Questionnaire returns a stored version, parsed.
func (s *Service) Questionnaire(ctx context.Context, id int64) (Questionnaire, error) {
	return s.questionnaire(ctx, s.DB.Read, id)
}

func (s *Service) questionnaire(ctx context.Context, q db.Querier, id int64) (Questionnaire, error) {
	if qn, ok := s.parsed.Load(id); ok {
		return qn.(Questionnaire), nil
	}
	source, err := versionSource(ctx, q, id)
	if err != nil {
		return Questionnaire{}, err
	}
	qn, err := Parse([]byte(source))
	if err != nil {
		return Questionnaire{}, fmt.Errorf("maturity: stored questionnaire %d: %w", id, err)
	}
	s.parsed.Store(id, qn)
	return qn, nil
}

// Source returns the YAML of a stored questionnaire version.
func (s *Service) Source(ctx context.Context, id int64) (string, error) {
	return versionSource(ctx, s.DB.Read, id)
}

// Import stores a new questionnaire version. Only programme content managers may,
// and a version must be newer than any stored version of the same questionnaire.
func (s *Service) Import(ctx context.Context, data []byte) (Version, error) {
	sub := authz.Current(ctx)
	if !sub.CanAnywhere(authz.ContentManage) {
		return Version{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	q, err := Parse(data)
	if err != nil {
		return Version{}, err
	}
	v := Version{Slug: q.ID, Version: q.Version, Kind: q.Kind, Title: q.Title, CreatedAt: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		latest, err := latestVersion(ctx, tx, q.ID)
		if err != nil {
			return err
		}
		if latest > 0 && int64(q.Version) <= latest {
			return problem.New(problem.Conflict, "maturity.error.version_exists", q.ID, q.Version, latest)
		}
		if v.ID, err = insertVersion(ctx, tx, q, string(data), false, db.NullID(sub.UserID), v.CreatedAt); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "questionnaire.import", ObjectType: "questionnaire", ObjectID: audit.ID(v.ID),
			Changes: map[string]audit.Change{"questionnaire": {After: q.Ref()}}})
	})
	return v, err
}
