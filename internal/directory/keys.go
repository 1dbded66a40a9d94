package directory

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
)

// Import keys: a snapshot file collected away from the platform is sealed with its
// establishment's key, and only then imported.

// ImportKey returns the establishment's import key, made on first use (the page
// shows it at every visit: reading it takes no write transaction).
func (s *Service) ImportKey(ctx context.Context, org int64) (string, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.ProgrammeWrite)
	if err != nil {
		return "", err
	}
	return s.importKey(ctx, o)
}

// importKey is the key of checked node o, made on first use.
func (s *Service) importKey(ctx context.Context, o orgs.Org) (string, error) {
	key, ok, err := getImportKey(ctx, s.DB.Read, o.ID)
	if ok || err != nil {
		return key, err
	}
	key = newImportKey()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Another request may have made it meanwhile: keep the first.
		first, ok, err := getImportKey(ctx, tx, o.ID)
		if ok || err != nil {
			key = first
			return err
		}
		if err := putImportKey(ctx, tx, o.ID, key); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.import_key", ObjectType: "org", ObjectID: audit.ID(o.ID), OrgPath: o.Path})
	})
	return key, err
}

func newImportKey() string {
	raw := make([]byte, 24)
	rand.Read(raw)
	return hex.EncodeToString(raw)
}

// RenewImportKey replaces the establishment's import key: files sealed with the old
// one are refused from now on (a key that leaked, a provider that left).
func (s *Service) RenewImportKey(ctx context.Context, org int64) (string, error) {
	key := newImportKey()
	err := s.write(ctx, org, func(tx *sql.Tx, o orgs.Org) error {
		if err := putImportKey(ctx, tx, o.ID, key); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.import_key_renewed", ObjectType: "org", ObjectID: audit.ID(o.ID), OrgPath: o.Path})
	})
	return key, err
}
