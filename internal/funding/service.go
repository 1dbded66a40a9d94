package funding

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Service keeps the programme content (the versions stored, the newest in
// force: readable by every logged-in person, imported by content managers) and
// the candidatures to its calls (workflow.go).
type Service struct {
	DB *db.DB
	// Mail tells the ARS referents of a new candidature and the submitter of the
	// decision; BaseURL makes the links of those messages. Nothing is sent when
	// Mail is nil.
	Mail    mail.Sender
	BaseURL string
	// Indicators are the platform's checks of an objective, by rule name (Rules),
	// wired by the server from the capabilities that hold them: a rule without
	// one shows as not available, never as a value.
	Indicators map[string]Indicator
	// Now is the clock of the workflow's deadlines; db.Now when nil (the demo
	// seeds past candidatures with its own).
	Now func() time.Time

	mu     sync.Mutex
	parsed map[int]Programme // by version: a stored text never changes
}

// Version is a stored programme version.
type Version struct {
	Version    int
	Title      string
	Shipped    bool
	ImportedBy string // the importer's name; empty for the shipped file
	CreatedAt  time.Time
}

// SyncShipped stores the programme shipped in the binary when the database holds
// no version as new. Run at start-up.
func (s *Service) SyncShipped(ctx context.Context) error {
	p, data, err := Shipped()
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		latest, err := latestVersion(ctx, tx)
		if err != nil || latest >= p.Version {
			return err
		}
		return insertVersion(ctx, tx, p, data, true, nil, db.Now())
	})
}

// Programme is the programme in force: the newest stored version (the shipped
// one until the database holds any). It is shared between requests: callers read
// it and never change it.
func (s *Service) Programme(ctx context.Context) (Programme, error) {
	version, err := latestVersion(ctx, s.DB.Read)
	if err != nil {
		return Programme{}, err
	}
	if version == 0 {
		p, _, err := Shipped()
		return p, err
	}
	s.mu.Lock()
	p, ok := s.parsed[version]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	source, err := storedSource(ctx, s.DB.Read, version)
	if err != nil {
		return Programme{}, err
	}
	return s.parse(version, source)
}

// parse reads a stored version and keeps it: a stored text never changes.
func (s *Service) parse(version int, source string) (Programme, error) {
	p, err := ParseProgramme([]byte(source))
	if err != nil {
		return p, fmt.Errorf("funding: stored programme version %d: %w", version, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parsed == nil {
		s.parsed = map[int]Programme{}
	}
	s.parsed[version] = p
	return p, nil
}

// Versions lists the stored versions, newest first.
func (s *Service) Versions(ctx context.Context) ([]Version, error) {
	return listVersions(ctx, s.DB.Read)
}

// Source is the YAML text of a stored version, to edit and import again.
func (s *Service) Source(ctx context.Context, version int) (string, error) {
	return storedSource(ctx, s.DB.Read, version)
}

// Import stores a new version of the programme from its YAML text (content
// managers). The file is checked whole and its version must be newer than every
// stored one; it is then in force.
func (s *Service) Import(ctx context.Context, source []byte) (Version, error) {
	sub := authz.Current(ctx)
	if !sub.CanAnywhere(authz.ContentManage) {
		return Version{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	p, err := ParseProgramme(source)
	if err != nil {
		return Version{}, err
	}
	v := Version{Version: p.Version, Title: p.Title, ImportedBy: sub.Name, CreatedAt: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		latest, err := latestVersion(ctx, tx)
		if err != nil {
			return err
		}
		if p.Version <= latest {
			return problem.New(problem.Conflict, "funding.error.version_exists", p.Version, latest)
		}
		if err := insertVersion(ctx, tx, p, source, false, db.NullID(sub.UserID), v.CreatedAt); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.programme_import", ObjectType: "funding_programme", ObjectID: audit.ID(int64(p.Version)),
			Changes: map[string]audit.Change{"version": {Before: latest, After: p.Version}, "domains": {After: len(p.Domains)}, "calls": {After: len(p.Calls)}}})
	})
	return v, err
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}
