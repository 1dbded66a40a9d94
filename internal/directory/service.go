package directory

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
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

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

// node checks that the caller may act on org and returns its path.
func node(ctx context.Context, q db.Querier, org int64, need authz.Action) (string, error) {
	return orgs.Authorize(ctx, q, org, need)
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

// guard refuses the addresses an audit run by the platform may not reach.
func (s *Service) guard(a netip.Addr) error {
	for _, p := range s.Networks {
		if p.Contains(a) {
			return nil
		}
	}
	switch {
	case a.IsLoopback(), a.IsLinkLocalUnicast(), a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return refused("url", "directory.error.address", a.String())
	case a.IsPrivate():
		return refused("url", "directory.error.address_private", a.String())
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

// collect reads the directory with c from the server and stores the audit.
func (s *Service) collect(ctx context.Context, org int64, c Config, source string) (AuditRow, error) {
	if err := s.kerberos(&c); err != nil {
		return AuditRow{}, err
	}
	if err := s.checkServerSide(c); err != nil {
		return AuditRow{}, err
	}
	c.Guard = s.guard
	snap, err := Collect(ctx, c)
	if err != nil {
		return AuditRow{}, err
	}
	t := transport(c)
	return s.store(ctx, org, snap, source, t, !c.InsecureSkipVerify && t != "plain")
}

// writable checks that the caller may attach an audit to org.
func (s *Service) writable(ctx context.Context, org int64) error {
	if _, err := node(ctx, s.DB.Read, org, authz.ProgrammeWrite); err != nil {
		return err
	}
	return s.auditable(ctx, org)
}

// Run collects the establishment's directory now and stores the audit. Without a
// password in c, the stored one (scheduled audits) is used. Nothing is stored when
// the collection fails.
func (s *Service) Run(ctx context.Context, org int64, c Config) (AuditRow, error) {
	if err := s.writable(ctx, org); err != nil {
		return AuditRow{}, err
	}
	if c.Password == "" {
		// The stored password goes only where it was stored for: the stored
		// settings are used whole, whatever else the request says.
		stored, ok, err := s.storedConfig(ctx, org)
		if err != nil {
			return AuditRow{}, err
		}
		if ok {
			c = stored
		}
	}
	return s.collect(ctx, org, c, SourceLive)
}

// Import stores an audit from a snapshot file sealed with the establishment's
// import key.
func (s *Service) Import(ctx context.Context, org int64, r io.Reader) (AuditRow, error) {
	if err := s.writable(ctx, org); err != nil {
		return AuditRow{}, err
	}
	var key string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT import_key FROM directory_import_keys WHERE org_id = $1", org).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditRow{}, refused("file", "directory.error.no_import_key")
	}
	if err != nil {
		return AuditRow{}, err
	}
	snap, err := ReadSnapshot(r, []byte(key))
	if err != nil {
		return AuditRow{}, err
	}
	return s.store(ctx, org, snap, SourceImport, "file", false)
}

// ImportKey returns the establishment's import key, made on first use (the page
// shows it at every visit: reading it takes no write transaction).
func (s *Service) ImportKey(ctx context.Context, org int64) (string, error) {
	if _, err := node(ctx, s.DB.Read, org, authz.ProgrammeWrite); err != nil {
		return "", err
	}
	var key string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT import_key FROM directory_import_keys WHERE org_id = $1", org).Scan(&key)
	if !errors.Is(err, sql.ErrNoRows) {
		return key, err
	}
	key = newImportKey()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		// Another request may have made it meanwhile: keep the first.
		if err := tx.QueryRowContext(ctx, "SELECT import_key FROM directory_import_keys WHERE org_id = $1", org).Scan(&key); !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO directory_import_keys (org_id, import_key, created_at) VALUES ($1, $2, $3)", org, key, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.import_key", ObjectType: "org", ObjectID: audit.ID(org), OrgPath: path})
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
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM directory_import_keys WHERE org_id = $1", org); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO directory_import_keys (org_id, import_key, created_at) VALUES ($1, $2, $3)", org, key, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.import_key_renewed", ObjectType: "org", ObjectID: audit.ID(org), OrgPath: path})
	})
	return key, err
}

// store evaluates a snapshot against the previous audit and records both the audit
// and the follow-up of every checkpoint, in one transaction.
func (s *Service) store(ctx context.Context, org int64, snap *Snapshot, source, transport string, verified bool) (AuditRow, error) {
	payload, err := json.Marshal(snap)
	if err != nil {
		return AuditRow{}, err
	}
	sum := sha256.Sum256(payload)
	compressed, err := gzipped(payload)
	if err != nil {
		return AuditRow{}, err
	}
	ev := Evaluate(snap)
	row := AuditRow{OrgID: org, Source: source, Transport: transport, Verified: verified, Server: snap.Server, Domain: snap.Domain.DNSName,
		BaseDN: snap.BaseDN, CollectedAt: snap.CollectedAt, Level: ev.Level, Objects: len(snap.Objects), CreatedAt: db.Now()}
	for _, r := range ev.Checks {
		if r.Status == Fail {
			row.Failed++
		}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var path string
		if err := tx.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1", org).Scan(&path); err != nil {
			return err
		}
		var prevAt time.Time
		var prevResults string
		err := tx.QueryRowContext(ctx, "SELECT collected_at, results FROM directory_audits WHERE org_id = $1 ORDER BY collected_at DESC, id DESC LIMIT 1", org).Scan(&prevAt, &prevResults)
		var prev *Evaluation
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if !snap.CollectedAt.After(prevAt) {
				return refused("file", "directory.error.snapshot_older", prevAt.Format("2006-01-02 15:04"))
			}
			prev = &Evaluation{}
			if err := json.Unmarshal([]byte(prevResults), prev); err != nil {
				return err
			}
		}
		var dup int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM directory_audits WHERE org_id = $1 AND snapshot_sha256 = $2", org, hex.EncodeToString(sum[:])).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return problem.New(problem.Conflict, "directory.error.duplicate")
		}
		Compare(prev, &ev)
		results, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO directory_audits (org_id, source, transport, verified, server, domain, base_dn, collected_at, level, objects, failed, results, snapshot, snapshot_sha256, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			org, source, transport, verified, row.Server, row.Domain, row.BaseDN, row.CollectedAt, row.Level, row.Objects, row.Failed, string(results), compressed, hex.EncodeToString(sum[:]),
			nullID(subject(ctx).UserID), row.CreatedAt).Scan(&row.ID); err != nil {
			return err
		}
		if err := s.follow(ctx, tx, org, row.ID, ev); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.audit", ObjectType: "directory_audit", ObjectID: audit.ID(row.ID), OrgPath: path,
			Changes: map[string]audit.Change{"level": {After: row.Level}, "source": {After: source}, "domain": {After: row.Domain}, "failed": {After: row.Failed}}})
	})
	return row, err
}

// follow updates each checkpoint's follow-up after audit id: failing ones are
// (re)opened, open ones that pass now are fixed. Owner and due date are kept.
func (s *Service) follow(ctx context.Context, tx *sql.Tx, org, id int64, ev Evaluation) error {
	open := map[string]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT check_id FROM directory_checkpoints WHERE org_id = $1 AND status = 'open'", org)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		open[c] = true
	}
	rows.Close()
	for _, r := range ev.Checks {
		switch {
		case r.Status == Fail:
			res, err := tx.ExecContext(ctx, `UPDATE directory_checkpoints SET status = 'open', objects = $3, last_audit = $4, fixed_audit = NULL,
				first_audit = CASE WHEN status = 'fixed' THEN $4 ELSE first_audit END WHERE org_id = $1 AND check_id = $2`, org, r.ID, len(r.Objects), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO directory_checkpoints (org_id, check_id, status, objects, first_audit, last_audit) VALUES ($1, $2, 'open', $3, $4, $4)`,
					org, r.ID, len(r.Objects), id); err != nil {
					return err
				}
			}
		case open[r.ID]:
			if _, err := tx.ExecContext(ctx, `UPDATE directory_checkpoints SET status = 'fixed', objects = 0, last_audit = $3, fixed_audit = $3 WHERE org_id = $1 AND check_id = $2`, org, r.ID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const auditColumns = "id, org_id, source, transport, verified, server, domain, base_dn, collected_at, level, objects, failed, created_at"

// scanAudit reads auditColumns, then any extra columns into extra.
func scanAudit(sc interface{ Scan(...any) error }, extra ...any) (AuditRow, error) {
	var a AuditRow
	err := sc.Scan(append([]any{&a.ID, &a.OrgID, &a.Source, &a.Transport, &a.Verified, &a.Server, &a.Domain, &a.BaseDN, &a.CollectedAt, &a.Level, &a.Objects, &a.Failed, &a.CreatedAt}, extra...)...)
	return a, err
}

// Audits lists an establishment's audits, newest first.
func (s *Service) Audits(ctx context.Context, org int64) ([]AuditRow, error) {
	if _, err := node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+auditColumns+" FROM directory_audits WHERE org_id = $1 ORDER BY collected_at DESC, id DESC LIMIT 200", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Audit returns one audit with its results; absent and invisible look the same.
func (s *Service) Audit(ctx context.Context, id int64) (AuditDetail, error) {
	var results string
	var d AuditDetail
	var err error
	d.AuditRow, err = scanAudit(s.DB.Read.QueryRowContext(ctx, "SELECT "+auditColumns+", results FROM directory_audits WHERE id = $1", id), &results)
	if errors.Is(err, sql.ErrNoRows) {
		return d, problem.ErrNotFound
	}
	if err != nil {
		return d, err
	}
	if _, err := node(ctx, s.DB.Read, d.OrgID, authz.OrgRead); err != nil {
		return d, problem.ErrNotFound
	}
	var ev Evaluation
	if err := json.Unmarshal([]byte(results), &ev); err != nil {
		return d, err
	}
	d.Checks = ev.Checks
	return d, nil
}

// Tracked is a checkpoint followed across audits.
type Tracked struct {
	CheckID    string
	Level      int
	Status     string // open or fixed
	Objects    int
	FirstAudit int64
	LastAudit  int64
	FixedAudit *int64
	Owner      string
	DueOn      string
	Note       string
}

// Checkpoints lists an establishment's followed checkpoints, open ones first by level.
func (s *Service) Checkpoints(ctx context.Context, org int64) ([]Tracked, error) {
	if _, err := node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT check_id, status, objects, first_audit, last_audit, fixed_audit, owner, due_on, note FROM directory_checkpoints WHERE org_id = $1", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rank := checkpointRank()
	var out []Tracked
	for rows.Next() {
		var t Tracked
		if err := rows.Scan(&t.CheckID, &t.Status, &t.Objects, &t.FirstAudit, &t.LastAudit, &t.FixedAudit, &t.Owner, &t.DueOn, &t.Note); err != nil {
			return nil, err
		}
		if i, ok := rank[t.CheckID]; ok {
			t.Level = checkpoints[i].level
		}
		out = append(out, t)
	}
	// Open first, then by level, then in catalogue order.
	slices.SortFunc(out, func(a, b Tracked) int {
		if (a.Status == "open") != (b.Status == "open") {
			if a.Status == "open" {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(rank[a.CheckID], rank[b.CheckID]))
	})
	return out, rows.Err()
}

// SetFollowUp records who fixes an open checkpoint, by when, and a note.
func (s *Service) SetFollowUp(ctx context.Context, org int64, checkID, owner, dueOn, note string) error {
	owner, dueOn, note = strings.TrimSpace(owner), strings.TrimSpace(dueOn), strings.TrimSpace(note)
	var c problem.Checks
	if len(owner) > 200 {
		c.Add("owner", "directory.error.owner")
	}
	if dueOn != "" {
		if _, err := time.Parse("2006-01-02", dueOn); err != nil {
			c.Add("due_on", "directory.error.due_on")
		}
	}
	if len(note) > 2000 {
		c.Add("note", "directory.error.note")
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		var before Tracked
		err = tx.QueryRowContext(ctx, "SELECT status, owner, due_on, note FROM directory_checkpoints WHERE org_id = $1 AND check_id = $2", org, checkID).Scan(&before.Status, &before.Owner, &before.DueOn, &before.Note)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		if before.Status != "open" {
			return problem.New(problem.Conflict, "directory.error.not_open")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE directory_checkpoints SET owner = $3, due_on = $4, note = $5 WHERE org_id = $1 AND check_id = $2", org, checkID, owner, dueOn, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.follow_up", ObjectType: "directory_checkpoint", ObjectID: checkID, OrgPath: path,
			Changes: map[string]audit.Change{"owner": {Before: before.Owner, After: owner}, "due_on": {Before: before.DueOn, After: dueOn}, "note": {Before: before.Note, After: note}}})
	})
}

// Latest is the establishment's most recent directory level, for other capabilities
// (funding indicators, roll-ups).
type Latest struct {
	Level       int
	CollectedAt time.Time
	AuditID     int64
}

// LatestLevel returns the level of the establishment's last audit; ok is false when
// it has none.
func (s *Service) LatestLevel(ctx context.Context, org int64) (l Latest, ok bool, err error) {
	if _, err := node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return l, false, err
	}
	err = s.DB.Read.QueryRowContext(ctx, "SELECT id, level, collected_at FROM directory_audits WHERE org_id = $1 ORDER BY collected_at DESC, id DESC LIMIT 1", org).Scan(&l.AuditID, &l.Level, &l.CollectedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	return l, err == nil, err
}

// ---- the directory's connection settings and scheduled audits ----

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
	if _, err := node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return Source{}, err
	}
	src, _, err := s.source(ctx, s.DB.Read, org)
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, nil
	}
	return src, err
}

func (s *Service) source(ctx context.Context, q db.Querier, org int64) (Source, []byte, error) {
	var src Source
	var enc []byte
	err := q.QueryRowContext(ctx, "SELECT url, bind_dn, base_dn, starttls, allow_plain, insecure, ca_pem, kerberos, spn, password_enc, every_days, next_run_at, last_run_at, last_error FROM directory_sources WHERE org_id = $1", org).
		Scan(&src.URL, &src.BindDN, &src.BaseDN, &src.StartTLS, &src.AllowPlain, &src.Insecure, &src.CAPEM, &src.Kerberos, &src.SPN, &enc, &src.EveryDays, &src.NextRunAt, &src.LastRunAt, &src.LastError)
	src.HasPassword = len(enc) > 0
	return src, enc, err
}

// storedConfig is the stored settings with their password, when one is stored.
// Plain LDAP is refused even if a row says so: a stored password never travels in
// clear.
func (s *Service) storedConfig(ctx context.Context, org int64) (Config, bool, error) {
	src, enc, err := s.source(ctx, s.DB.Read, org)
	if errors.Is(err, sql.ErrNoRows) || len(enc) == 0 || s.SecretKey == nil {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, err
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
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		old, oldEnc, err := s.source(ctx, tx, org)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var enc []byte
		switch {
		case src.EveryDays == 0:
			// no schedule: no password kept
		case password != "":
			if enc, err = seal(s.SecretKey, org, src, password); err != nil {
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
		if exists {
			_, err = tx.ExecContext(ctx, `UPDATE directory_sources SET url = $2, bind_dn = $3, base_dn = $4, starttls = $5, allow_plain = $6, insecure = $7, ca_pem = $8,
				password_enc = $9, every_days = $10, next_run_at = $11, updated_by = $12, updated_at = $13, kerberos = $14, spn = $15 WHERE org_id = $1`,
				org, src.URL, src.BindDN, src.BaseDN, src.StartTLS, src.AllowPlain, src.Insecure, src.CAPEM, enc, src.EveryDays, next, nullID(subject(ctx).UserID), db.Now(), src.Kerberos, src.SPN)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO directory_sources (org_id, url, bind_dn, base_dn, starttls, allow_plain, insecure, ca_pem, password_enc, every_days, next_run_at, updated_by, updated_at, kerberos, spn)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				org, src.URL, src.BindDN, src.BaseDN, src.StartTLS, src.AllowPlain, src.Insecure, src.CAPEM, enc, src.EveryDays, next, nullID(subject(ctx).UserID), db.Now(), src.Kerberos, src.SPN)
		}
		if err != nil {
			return err
		}
		// The trail says a password was set or erased, never what it was.
		return audit.Record(ctx, tx, audit.Entry{Action: "directory.source", ObjectType: "org", ObjectID: audit.ID(org), OrgPath: path,
			Changes: map[string]audit.Change{"url": {Before: old.URL, After: src.URL}, "bind_dn": {Before: old.BindDN, After: src.BindDN},
				"every_days": {Before: old.EveryDays, After: src.EveryDays}, "password_stored": {Before: old.HasPassword, After: len(enc) > 0}}})
	})
}

// Loop runs the scheduled audits that fall due until ctx ends.
func (s *Service) Loop(ctx context.Context, log *slog.Logger) {
	every := s.Every
	if every == 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("directory: scheduled audits", "err", err)
		} else if n > 0 {
			log.Info("directory: scheduled audits run", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs the scheduled audits that are due. Each is claimed first (its next
// run moved forward), so that several instances run it once.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	if s.SecretKey == nil {
		return 0, nil
	}
	now := db.Now()
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT org_id, next_run_at, every_days FROM directory_sources WHERE every_days > 0 AND next_run_at <= $1", now)
	if err != nil {
		return 0, err
	}
	type due struct {
		org   int64
		at    time.Time
		every int
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.org, &d.at, &d.every); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	ran := 0
	for _, d := range list {
		res, err := s.DB.Write.ExecContext(ctx, "UPDATE directory_sources SET next_run_at = $3, last_run_at = $4 WHERE org_id = $1 AND next_run_at = $2",
			d.org, d.at, now.AddDate(0, 0, d.every), now)
		if err != nil {
			return ran, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // another instance took it
		}
		ran++
		msg := ""
		if err := s.runScheduled(ctx, d.org); err != nil {
			msg = describe(err)
			if err := s.tell(ctx, d.org, msg); err != nil {
				msg += " (" + i18n.FR.T("directory.mail.not_sent") + ")"
			}
		}
		if _, err := s.DB.Write.ExecContext(ctx, "UPDATE directory_sources SET last_error = $2 WHERE org_id = $1", d.org, msg); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

func (s *Service) runScheduled(ctx context.Context, org int64) error {
	cfg, ok, err := s.storedConfig(ctx, org)
	if err != nil {
		return err
	}
	if !ok {
		return refused("password", "directory.error.password_again")
	}
	_, err = s.collect(ctx, org, cfg, SourceScheduled)
	return err
}

// describe says in French why a scheduled audit failed (never with the request,
// which holds the password).
func describe(err error) string {
	e, ok := problem.As(err)
	if !ok {
		return i18n.FR.T("directory.error.internal")
	}
	parts := []string{}
	for _, f := range e.Fields {
		parts = append(parts, i18n.FR.T(f.Key, f.Args...))
	}
	if len(parts) == 0 {
		parts = append(parts, i18n.FR.T(e.Key, e.Args...))
	}
	return strings.Join(parts, " ")
}

// tell e-mails the person who set the schedule that the audit failed.
func (s *Service) tell(ctx context.Context, org int64, why string) error {
	if s.Mail == nil {
		return nil
	}
	var email, name string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT u.email, o.name FROM directory_sources d JOIN users u ON u.id = d.updated_by JOIN orgs o ON o.id = d.org_id
		WHERE d.org_id = $1`, org).Scan(&email, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // set by no one we can reach
	}
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, mail.Message{To: email, Subject: i18n.FR.T("directory.mail.subject", name),
		Body: i18n.FR.T("directory.mail.body", name, why, fmt.Sprintf("%s/annuaire?org=%d", strings.TrimSuffix(s.BaseURL, "/"), org))})
}

// Record stores an audit of a snapshot collected elsewhere and already trusted
// (demo data, tools of the platform); the caller needs the establishment's write
// right, as for Run and Import.
func (s *Service) Record(ctx context.Context, org int64, snap *Snapshot, source string) (AuditRow, error) {
	if err := s.writable(ctx, org); err != nil {
		return AuditRow{}, err
	}
	if err := snap.Validate(); err != nil {
		return AuditRow{}, err
	}
	return s.store(ctx, org, snap, source, "file", false)
}
