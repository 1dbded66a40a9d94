package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Service stores an establishment's directory audits and follows each failed
// checkpoint until it is fixed.
type Service struct {
	DB *db.DB
	// SecretKey encrypts the bind passwords of scheduled audits; without it,
	// scheduling is refused and no password is ever stored.
	SecretKey []byte
	// Every is how often scheduled audits are looked for; one minute when zero.
	Every time.Duration
	// Mail tells whoever set a schedule that a scheduled audit failed; BaseURL
	// makes the link to the page.
	Mail    mail.Sender
	BaseURL string
	// KRB5Conf is the instance's Kerberos configuration; without it, audits run
	// from the server bind with a password only.
	KRB5Conf string
	// Networks are the non-public networks audits may reach (care serve
	// --directory-networks). Loopback, link-local and private addresses are
	// refused unless listed: an audit request must not reach the platform's own
	// host or its neighbours.
	Networks []netip.Prefix
}

// Audit sources.
const (
	SourceLive      = "live"
	SourceImport    = "import"
	SourceScheduled = "scheduled"
)

// AuditRow is a stored audit without its detail.
type AuditRow struct {
	ID          int64
	OrgID       int64
	Source      string
	Transport   string
	Verified    bool
	Server      string
	Domain      string
	BaseDN      string
	CollectedAt time.Time
	Level       int
	Objects     int
	Failed      int
	CreatedAt   time.Time
}

// AuditDetail is an audit with every checkpoint's result and change.
type AuditDetail struct {
	AuditRow
	Checks []Result
}

// kerberos points a Kerberos bind at the instance's krb5.conf, or refuses it.
func (s *Service) kerberos(c *Config) error {
	if !c.Kerberos {
		return nil
	}
	if s.KRB5Conf == "" {
		return refused("kerberos", "directory.error.no_krb5")
	}
	c.KRB5Conf = s.KRB5Conf
	return nil
}

// ldapPorts are the only ports the server dials: an audit request cannot be used to
// probe other services of the network.
var ldapPorts = map[string]bool{"": true, "389": true, "636": true, "3268": true, "3269": true}

func (s *Service) checkServerSide(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	u, _ := url.Parse(c.URL)
	if !ldapPorts[u.Port()] {
		return refused("url", "directory.error.port", u.Port())
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		return s.guard(a.Unmap()) // a name is checked when it is dialled
	}
	return nil
}

func transport(c Config) string {
	switch {
	case strings.HasPrefix(c.URL, "ldaps:"):
		return "ldaps"
	case c.StartTLS:
		return "starttls"
	}
	return "plain"
}

// collect reads the directory with c from the server, streamed: the caller closes
// the collection.
func (s *Service) collect(ctx context.Context, c Config, source string) (*Collection, taken, error) {
	if err := s.kerberos(&c); err != nil {
		return nil, taken{}, err
	}
	if err := s.checkServerSide(c); err != nil {
		return nil, taken{}, err
	}
	c.Guard = s.guard
	coll, err := CollectStreamed(ctx, c)
	if err != nil {
		return nil, taken{}, err
	}
	t := transport(c)
	return coll, taken{source: source, transport: t, verified: !c.InsecureSkipVerify && t != "plain"}, nil
}

// taken is how a snapshot was obtained, as its audit records it.
type taken struct {
	source    string
	transport string
	verified  bool // a certificate was checked
}

// auditable checks that an audit may be attached to o: a GHT (a shared
// directory), an establishment or a site — not a region or the nation.
func auditable(o orgs.Org) error {
	switch o.Level {
	case orgs.GHT, orgs.LegalEntity, orgs.Site:
		return nil
	}
	return problem.New(problem.Conflict, "directory.error.not_auditable")
}

// attach stores a new audit of node org: the node is loaded for the caller's
// write right and must take audits, then get obtains the snapshot. The audit comes
// back as stored, with its results.
func (s *Service) attach(ctx context.Context, org int64, get func(o orgs.Org) (*Collection, taken, error)) (AuditDetail, error) {
	o, err := orgs.Load(ctx, s.DB.Read, org, authz.ProgrammeWrite)
	if err != nil {
		return AuditDetail{}, err
	}
	if err := auditable(o); err != nil {
		return AuditDetail{}, err
	}
	coll, how, err := get(o)
	if err != nil {
		return AuditDetail{}, err
	}
	defer coll.Close()
	id, err := s.store(ctx, o, coll, how)
	if err != nil {
		return AuditDetail{}, err
	}
	return getAudit(ctx, s.DB.Read, id)
}

// write runs fn in a transaction on node org, loaded in it for the caller's
// write right.
func (s *Service) write(ctx context.Context, org int64, fn func(tx *sql.Tx, o orgs.Org) error) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := orgs.Load(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		return fn(tx, o)
	})
}

// Run collects the establishment's directory now and stores the audit. Without a
// password in c, the stored one (scheduled audits) is used. Nothing is stored when
// the collection fails.
func (s *Service) Run(ctx context.Context, org int64, c Config) (AuditDetail, error) {
	return s.attach(ctx, org, func(o orgs.Org) (*Collection, taken, error) {
		if c.Password == "" {
			// The stored password goes only where it was stored for: the stored
			// settings are used whole, whatever else the request says.
			stored, ok, err := s.storedConfig(ctx, o.ID)
			if err != nil {
				return nil, taken{}, err
			}
			if ok {
				c = stored
			}
		}
		return s.collect(ctx, c, SourceLive)
	})
}

// Import stores an audit from a snapshot file sealed with the establishment's
// import key.
func (s *Service) Import(ctx context.Context, org int64, r io.Reader) (AuditDetail, error) {
	return s.attach(ctx, org, func(o orgs.Org) (*Collection, taken, error) {
		key, ok, err := getImportKey(ctx, s.DB.Read, o.ID)
		if err != nil {
			return nil, taken{}, err
		}
		if !ok {
			return nil, taken{}, refused("file", "directory.error.no_import_key")
		}
		snap, err := ReadSnapshot(r, []byte(key))
		return &Collection{Snapshot: snap}, taken{source: SourceImport, transport: "file"}, err
	})
}

// Record stores an audit of a snapshot collected elsewhere and already trusted
// (demo data, tools of the platform); the caller needs the establishment's write
// right, as for Run and Import.
func (s *Service) Record(ctx context.Context, org int64, snap *Snapshot, source string) (AuditDetail, error) {
	return s.attach(ctx, org, func(orgs.Org) (*Collection, taken, error) {
		return &Collection{Snapshot: snap}, taken{source: source, transport: "file"}, snap.Validate()
	})
}

// store evaluates a snapshot of o against the previous audit and records both the
// audit and the follow-up of every checkpoint, in one transaction.
func (s *Service) store(ctx context.Context, o orgs.Org, coll *Collection, how taken) (int64, error) {
	compressed, sum, err := coll.stored()
	if err != nil {
		return 0, err
	}
	snap := coll.Snapshot
	ev := Evaluate(snap)
	row := AuditRow{OrgID: o.ID, Source: how.source, Transport: how.transport, Verified: how.verified, Server: snap.Server, Domain: snap.Domain.DNSName,
		BaseDN: snap.BaseDN, CollectedAt: snap.CollectedAt, Level: ev.Level, Objects: snap.Len(), CreatedAt: db.Now()}
	for _, r := range ev.Checks {
		if r.Status == Fail {
			row.Failed++
		}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		prevAt, prev, err := previousEvaluation(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if prev != nil && !snap.CollectedAt.After(prevAt) {
			return refused("file", "directory.error.snapshot_older", prevAt.Format("2006-01-02 15:04"))
		}
		dup, err := snapshotStored(ctx, tx, o.ID, sum)
		if err != nil {
			return err
		}
		if dup {
			return problem.New(problem.Conflict, "directory.error.duplicate")
		}
		Compare(prev, &ev)
		results, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if row.ID, err = insertAudit(ctx, tx, row, string(results), compressed, sum, authz.Current(ctx).UserID); err != nil {
			return err
		}
		if err := follow(ctx, tx, o.ID, row.ID, ev); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.audit", ObjectType: "directory_audit", ObjectID: audit.ID(row.ID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"level": {After: row.Level}, "source": {After: how.source}, "domain": {After: row.Domain}, "failed": {After: row.Failed}}})
	})
	return row.ID, err
}

// follow updates each checkpoint's follow-up after audit id: failing ones are
// (re)opened, open ones that pass now are fixed. Owner and due date are kept.
func follow(ctx context.Context, tx *sql.Tx, org, id int64, ev Evaluation) error {
	open, err := openCheckpoints(ctx, tx, org)
	if err != nil {
		return err
	}
	for _, r := range ev.Checks {
		switch {
		case r.Status == Fail:
			err = openCheckpoint(ctx, tx, org, r.ID, len(r.Objects), id)
		case open[r.ID]:
			err = fixCheckpoint(ctx, tx, org, r.ID, id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
