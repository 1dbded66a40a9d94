package directory

import (
	"context"
	"database/sql"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Source is how the platform reaches an establishment's directory. The password is
// never read back: HasPassword says whether one is stored.
type Source struct {
	URL         string
	BindDN      string
	BaseDN      string
	StartTLS    bool
	AllowPlain  bool
	Insecure    bool
	CAPEM       string
	Kerberos    bool
	SPN         string
	EveryDays   int
	HasPassword bool
	NextRunAt   *time.Time
	LastRunAt   *time.Time
	LastError   string
}

// SourceOf is the settings of a connection, scheduled every days (0: not).
func SourceOf(c Config, every int) Source {
	return Source{URL: c.URL, BindDN: c.BindDN, BaseDN: c.BaseDN, StartTLS: c.StartTLS, AllowPlain: c.AllowPlain, Insecure: c.InsecureSkipVerify,
		CAPEM: string(c.CAPEM), Kerberos: c.Kerberos, SPN: c.SPN, EveryDays: every}
}

func (src Source) config() Config {
	return Config{URL: src.URL, BindDN: src.BindDN, BaseDN: src.BaseDN, StartTLS: src.StartTLS, AllowPlain: src.AllowPlain, InsecureSkipVerify: src.Insecure, CAPEM: []byte(src.CAPEM),
		Kerberos: src.Kerberos, SPN: src.SPN}
}

// GetSource returns the establishment's settings (zero value when none).
func (s *Service) GetSource(ctx context.Context, org int64) (Source, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return Source{}, err
	}
	src, _, _, err := getSource(ctx, s.DB.Read, o.ID)
	return src, err
}

// storedConfig is the stored settings with their password, when one is stored.
// Plain LDAP is refused even if a row says so: a stored password never travels in
// clear.
func (s *Service) storedConfig(ctx context.Context, org int64) (Config, bool, error) {
	src, enc, _, err := getSource(ctx, s.DB.Read, org)
	if err != nil {
		return Config{}, false, err
	}
	if len(enc) == 0 || s.SecretKey == nil {
		return Config{}, false, nil
	}
	c := src.config()
	if transport(c) == "plain" {
		return Config{}, false, refused("url", "directory.error.plain_stored")
	}
	if c.Password, err = unseal(s.SecretKey, org, src, enc); err != nil {
		return Config{}, false, refused("password", "directory.error.password_again")
	}
	return c, true, nil
}

// SaveSource records the settings. With EveryDays > 0 audits run on schedule and
// the password is kept, encrypted; with 0 any stored password is erased.
func (s *Service) SaveSource(ctx context.Context, org int64, src Source, password string) error {
	var c problem.Checks
	cfg := src.config()
	cfg.Password = password
	if password == "" {
		cfg.Password = "unchanged" // validated apart: a stored one may be kept
	}
	if err := s.kerberos(&cfg); err != nil {
		return err
	}
	if err := s.checkServerSide(cfg); err != nil {
		e, _ := problem.As(err)
		for _, f := range e.Fields {
			c.Add(f.Field, f.Key, f.Args...)
		}
	}
	if src.EveryDays < 0 || src.EveryDays > 366 {
		c.Add("every_days", "directory.error.every_days")
	}
	if src.EveryDays > 0 && s.SecretKey == nil {
		c.Add("every_days", "directory.error.no_secret_key")
	}
	if src.EveryDays > 0 && transport(cfg) == "plain" {
		c.Add("url", "directory.error.plain_stored")
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.write(ctx, org, func(tx *sql.Tx, o orgs.Org) error {
		old, oldEnc, exists, err := getSource(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		var enc []byte
		switch {
		case src.EveryDays == 0:
			// no schedule: no password kept
		case password != "":
			if enc, err = seal(s.SecretKey, o.ID, src, password); err != nil {
				return err
			}
		case len(oldEnc) > 0 && old.destination() == src.destination():
			enc = oldEnc
		case len(oldEnc) > 0:
			// Another server, account or protection: the stored password is not
			// sent there without being given again.
			c.Add("password", "directory.error.password_again")
			return c.Err()
		default:
			c.Add("password", "directory.error.password")
			return c.Err()
		}
		var next any
		if src.EveryDays > 0 {
			next = db.Now()
			if old.NextRunAt != nil && old.EveryDays == src.EveryDays {
				next = *old.NextRunAt
			}
		}
		if err := putSource(ctx, tx, o.ID, exists, src, enc, next, authz.Current(ctx).UserID); err != nil {
			return err
		}
		// The trail says a password was set or erased, never what it was.
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.source", ObjectType: "org", ObjectID: audit.ID(o.ID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"url": {Before: old.URL, After: src.URL}, "bind_dn": {Before: old.BindDN, After: src.BindDN},
				"every_days": {Before: old.EveryDays, After: src.EveryDays}, "password_stored": {Before: old.HasPassword, After: len(enc) > 0}}})
	})
}
