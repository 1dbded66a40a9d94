package exposure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Service is the exposure audit of establishments: inventory, scans, findings.
type Service struct {
	DB *db.DB
	// LabAllowed lets administrators scan non-public addresses (tests, demos).
	LabAllowed bool
	// Resolver looks the inventory's names up; net.DefaultResolver when nil.
	Resolver Resolver
	// Options tune the scanner (ports are set per scan).
	Options Options
	// Heartbeat is how often a running scan records its progress and looks for a
	// cancel request from another instance; 2 s when zero.
	Heartbeat time.Duration

	mu      sync.Mutex
	running map[int64]context.CancelFunc
	wg      sync.WaitGroup
}

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

func (s *Service) node(ctx context.Context, q db.Querier, org int64, need authz.Action) (string, error) {
	return orgs.Authorize(ctx, q, org, need)
}

// ---- inventory ----

// InventoryTarget is a declared target.
type InventoryTarget struct {
	ID         int64
	OrgID      int64
	Value      string
	Owner      string
	AttestedAt time.Time
	AttestedBy string
}

// AddTarget declares a target for an establishment. The declarant attests that the
// establishment may have it scanned.
func (s *Service) AddTarget(ctx context.Context, org int64, value, owner string, attested bool) (InventoryTarget, error) {
	t, err := ParseTarget(value)
	var c problem.Checks
	if err != nil {
		e, _ := problem.As(err)
		c.Add("value", e.Key, e.Args...)
	}
	if !attested {
		c.Add("attested", "exposure.error.attestation")
	}
	if err := c.Err(); err != nil {
		return InventoryTarget{}, err
	}
	it := InventoryTarget{OrgID: org, Value: t.Raw, Owner: strings.TrimSpace(owner), AttestedAt: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		path, err := s.node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_targets WHERE org_id = $1 AND value = $2 AND removed_at IS NULL", org, it.Value).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			c.Add("value", "exposure.error.duplicate", it.Value)
			return c.Err()
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM exposure_targets WHERE org_id = $1 AND value = $2", org, it.Value); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_targets (org_id, value, owner, attested_by, attested_at, created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			org, it.Value, it.Owner, nullID(subject(ctx).UserID), it.AttestedAt).Scan(&it.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.target_add", ObjectType: "exposure_target", ObjectID: audit.ID(it.ID), OrgPath: path,
			Changes: map[string]audit.Change{"value": {After: it.Value}, "attested": {After: true}}})
	})
	return it, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Targets lists an establishment's declared targets.
func (s *Service) Targets(ctx context.Context, org int64) ([]InventoryTarget, error) {
	if _, err := s.node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT t.id, t.org_id, t.value, t.owner, t.attested_at, COALESCE(u.email, '') FROM exposure_targets t
		LEFT JOIN users u ON u.id = t.attested_by WHERE t.org_id = $1 AND t.removed_at IS NULL ORDER BY t.value`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InventoryTarget
	for rows.Next() {
		var t InventoryTarget
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Value, &t.Owner, &t.AttestedAt, &t.AttestedBy); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ---- scans ----

// ScanRow is a scan as stored.
type ScanRow struct {
	ID         int64
	OrgID      int64
	Status     string // queued, running, done, failed, cancelled
	Ports      string
	Lab        bool
	Addresses  int
	Done       int
	Total      int
	Error      string
	Level      *int
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Progress is the share of connect attempts done, in percent.
func (r ScanRow) Progress() int {
	if r.Total == 0 {
		return 0
	}
	return r.Done * 100 / r.Total
}

// StartScan checks the inventory and the port list, records the scan and runs it in
// the background. Only the inventory's targets are contacted; non-public addresses
// only in lab mode, which the instance must allow and only an administrator may ask.
func (s *Service) StartScan(ctx context.Context, org int64, portSpec string, lab bool) (ScanRow, error) {
	path, err := s.node(ctx, s.DB.Read, org, authz.ProgrammeWrite)
	if err != nil {
		return ScanRow{}, err
	}
	if portSpec == "" {
		portSpec = "top,sensitive"
	}
	var c problem.Checks
	ports, err := ParsePorts(portSpec)
	if err != nil {
		e, _ := problem.As(err)
		c.Add("ports", e.Key, e.Args...)
	}
	if lab && (!s.LabAllowed || !subject(ctx).HasRole(authz.Admin)) {
		c.Add("lab", "exposure.error.lab_forbidden")
	}
	inventory, err := s.Targets(ctx, org)
	if err != nil {
		return ScanRow{}, err
	}
	scope := Scope{Lab: lab}
	for _, it := range inventory {
		t, err := ParseTarget(it.Value)
		if err == nil {
			scope.Targets = append(scope.Targets, t)
		}
	}
	var resolved map[netip.Addr]string
	if len(scope.Targets) == 0 {
		c.Add("targets", "exposure.error.no_target")
	} else if c.Err() == nil {
		r := s.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if resolved, err = scope.Resolve(ctx, r); err != nil {
			e, _ := problem.As(err)
			for _, f := range e.Fields {
				c.Add(f.Field, f.Key, f.Args...)
			}
		}
	}
	if c.Err() == nil {
		if err := CheckSize(len(resolved), len(ports)); err != nil {
			e, _ := problem.As(err)
			c.Add("ports", e.Key, e.Args...)
		}
	}
	if err := c.Err(); err != nil {
		return ScanRow{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.releaseStale(ctx, tx, org); err != nil {
			return err
		}
		var busy int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_scans WHERE org_id = $1 AND status IN ('queued', 'running')", org).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return problem.New(problem.Conflict, "exposure.error.scan_running")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_scans (org_id, status, ports, lab, addresses, total, created_by, created_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7) RETURNING id`,
			org, portSpec, lab, len(resolved), len(resolved)*len(ports), nullID(subject(ctx).UserID), db.Now()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.scan_start", ObjectType: "exposure_scan", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"ports": {After: portSpec}, "lab": {After: lab}, "addresses": {After: len(resolved)}}})
	})
	if err != nil {
		return ScanRow{}, err
	}
	addrs := make([]netip.Addr, 0, len(resolved))
	for a := range resolved {
		addrs = append(addrs, a)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	if s.running == nil {
		s.running = map[int64]context.CancelFunc{}
	}
	s.running[id] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.run(runCtx, id, org, addrs, ports)
	}()
	return s.GetScan(ctx, id)
}

// run performs a scan and records its outcome. Progress is written at most every
// second, so that the page shows it without the scan hammering the database.
func (s *Service) run(ctx context.Context, id, org int64, addrs []netip.Addr, ports []int) {
	defer func() {
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, _ = s.DB.Write.ExecContext(ctx, "UPDATE exposure_scans SET status = 'running', started_at = $1, heartbeat_at = $1 WHERE id = $2", db.Now(), id)
	opts := s.Options
	opts.Ports, opts.Identify = ports, true
	var done atomic.Int64
	opts.Progress = func(n, _ int) { done.Store(int64(n)) }
	beat := s.Heartbeat
	if beat <= 0 {
		beat = 2 * time.Second
	}
	stopBeat := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		tick := time.NewTicker(beat)
		defer tick.Stop()
		for {
			select {
			case <-stopBeat:
				return
			case <-tick.C:
			}
			var stop bool
			err := s.DB.Write.QueryRowContext(context.WithoutCancel(ctx), "UPDATE exposure_scans SET done = $1, heartbeat_at = $2 WHERE id = $3 RETURNING cancel_requested",
				done.Load(), db.Now(), id).Scan(&stop)
			if err != nil {
				slog.Error("exposure scan heartbeat", "scan", id, "err", err)
			}
			if stop {
				cancel()
			}
		}
	}()
	obs, err := Scan(ctx, addrs, opts)
	close(stopBeat)
	<-beating
	finish := func(status, msg string, level *int) {
		if _, err := s.DB.Write.ExecContext(context.WithoutCancel(ctx), "UPDATE exposure_scans SET status = $1, error = $2, level = $3, done = $4, finished_at = $5 WHERE id = $6",
			status, msg, level, done.Load(), db.Now(), id); err != nil {
			slog.Error("exposure scan", "scan", id, "err", err)
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		finish("cancelled", "", nil)
		return
	case err != nil:
		finish("failed", err.Error(), nil)
		return
	}
	level, err := s.record(context.WithoutCancel(ctx), id, org, addrs, ports, obs, db.Now())
	if err != nil {
		slog.Error("exposure scan", "scan", id, "err", err)
		finish("failed", "enregistrement des résultats impossible", nil)
		return
	}
	finish("done", "", &level)
}

// RecordPast stores a complete scan that ended at the given time, without running
// it: the demo's history. Findings are reconciled as for a live scan.
func (s *Service) RecordPast(ctx context.Context, org int64, portSpec string, addrs []netip.Addr, obs []Observation, at time.Time) (ScanRow, error) {
	if _, err := s.node(ctx, s.DB.Read, org, authz.ProgrammeWrite); err != nil {
		return ScanRow{}, err
	}
	ports, err := ParsePorts(portSpec)
	if err != nil {
		return ScanRow{}, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	var id int64
	if err := s.DB.Write.QueryRowContext(ctx, `INSERT INTO exposure_scans (org_id, status, ports, addresses, done, total, created_at, started_at, heartbeat_at) VALUES ($1, 'running', $2, $3, $4, $4, $5, $5, $5) RETURNING id`,
		org, portSpec, len(addrs), len(addrs)*len(ports), at).Scan(&id); err != nil {
		return ScanRow{}, err
	}
	level, err := s.record(ctx, id, org, addrs, ports, obs, at)
	if err != nil {
		return ScanRow{}, err
	}
	if _, err := s.DB.Write.ExecContext(ctx, "UPDATE exposure_scans SET status = 'done', level = $1, finished_at = $2 WHERE id = $3", level, at, id); err != nil {
		return ScanRow{}, err
	}
	return s.GetScan(ctx, id)
}

// record stores what a complete scan saw and reconciles the findings, in one
// transaction; it returns the establishment's exposure level after the scan.
func (s *Service) record(ctx context.Context, scan, org int64, addrs []netip.Addr, ports []int, obs []Observation, now time.Time) (int, error) {
	rules, err := LoadRules()
	if err != nil {
		return 0, err
	}
	found := rules.Findings(obs, now)
	scanned := map[string]bool{}
	for _, a := range addrs {
		scanned[a.String()] = true
	}
	portSet := map[int]bool{}
	for _, p := range ports {
		portSet[p] = true
	}
	covered := func(a string, p int) bool { return scanned[a] && portSet[p] }
	var level int
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, o := range obs {
			details, _ := json.Marshal(struct {
				TLS  *TLSInfo  `json:"tls,omitempty"`
				HTTP *HTTPInfo `json:"http,omitempty"`
			}{o.TLS, o.HTTP})
			if _, err := tx.ExecContext(ctx, `INSERT INTO exposure_observations (scan_id, address, port, service, product, version, banner, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				scan, o.Address.String(), o.Port, o.Service, o.Product, o.Version, o.Banner, string(details)); err != nil {
				return err
			}
		}
		stored, err := tracked(ctx, tx, org)
		if err != nil {
			return err
		}
		for _, tr := range Reconcile(stored, found, covered, now) {
			if err := apply(ctx, tx, org, scan, tr, now); err != nil {
				return err
			}
		}
		active, err := activeFindings(ctx, tx, org)
		if err != nil {
			return err
		}
		level = Level(active)
		return nil
	})
	return level, err
}

func tracked(ctx context.Context, q db.Querier, org int64) ([]Tracked, error) {
	rows, err := q.QueryContext(ctx, "SELECT finding_key, address, port, status, accepted_until FROM exposure_findings WHERE org_id = $1", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tracked
	for rows.Next() {
		var t Tracked
		var until sql.NullTime
		if err := rows.Scan(&t.Key, &t.Address, &t.Port, &t.Status, &until); err != nil {
			return nil, err
		}
		if until.Valid {
			u := until.Time
			t.AcceptedUntil = &u
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// apply writes one transition and its event.
func apply(ctx context.Context, tx *sql.Tx, org, scan int64, tr Transition, now time.Time) error {
	f := tr.Finding
	var id int64
	switch tr.Kind {
	case New:
		if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_findings (org_id, finding_key, address, port, check_id, severity, title, evidence, remediation, flagged, status, first_scan, last_scan, first_seen, last_seen)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $13) RETURNING id`,
			org, tr.Key, f.Address, f.Port, f.Check, f.Severity, f.Title, f.Evidence, f.Remediation, f.KEV || f.Exposed, StatusOpen, scan, now).Scan(&id); err != nil {
			return err
		}
	case Seen, Reopened, Expired:
		if err := tx.QueryRowContext(ctx, `UPDATE exposure_findings SET status = $1, last_scan = $2, last_seen = $3, evidence = $4, severity = $5, title = $6, fixed_at = NULL
			WHERE org_id = $7 AND finding_key = $8 RETURNING id`, tr.To, scan, now, f.Evidence, f.Severity, f.Title, org, tr.Key).Scan(&id); err != nil {
			return err
		}
	case Fixed:
		if err := tx.QueryRowContext(ctx, `UPDATE exposure_findings SET status = $1, fixed_at = $2, last_scan = $3 WHERE org_id = $4 AND finding_key = $5 RETURNING id`,
			StatusFixed, now, scan, org, tr.Key).Scan(&id); err != nil {
			return err
		}
	}
	if tr.Kind == Seen {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO exposure_finding_events (finding_id, at, from_status, to_status, scan_id, actor, note) VALUES ($1, $2, $3, $4, $5, 'scan', $6)`,
		id, now, tr.From, tr.To, scan, tr.Kind)
	return err
}

// activeFindings are the open and in-progress findings, for the level.
func activeFindings(ctx context.Context, q db.Querier, org int64) ([]Finding, error) {
	rows, err := q.QueryContext(ctx, "SELECT severity, flagged FROM exposure_findings WHERE org_id = $1 AND status IN ('open', 'in_progress')", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var f Finding
		var flagged bool
		if err := rows.Scan(&f.Severity, &flagged); err != nil {
			return nil, err
		}
		f.KEV = flagged
		out = append(out, f)
	}
	return out, rows.Err()
}

// Wait blocks until the scans started by this service have finished.
func (s *Service) Wait() { s.wg.Wait() }

// Cancel stops a running scan of an establishment the caller may change. The scan
// may run on another instance: the request is written down and its runner sees it
// at its next heartbeat.
func (s *Service) Cancel(ctx context.Context, id int64) error {
	sc, err := s.GetScan(ctx, id)
	if err != nil {
		return err
	}
	path, err := s.node(ctx, s.DB.Read, sc.OrgID, authz.ProgrammeWrite)
	if err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE exposure_scans SET cancel_requested = TRUE WHERE id = $1 AND status IN ('queued', 'running')", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "exposure.error.not_running")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.scan_cancel", ObjectType: "exposure_scan", ObjectID: audit.ID(id), OrgPath: path})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	cancel, ok := s.running[id]
	s.mu.Unlock()
	if ok {
		cancel()
	}
	return nil
}

// staleAfter is how long a running scan may go without a heartbeat before it is
// taken for dead: many heartbeats, so a busy database does not kill a live scan.
const staleAfter = time.Minute

// releaseStale closes the scans of org whose instance stopped beating, so that
// they no longer block a new scan.
func (s *Service) releaseStale(ctx context.Context, tx *sql.Tx, org int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE exposure_scans SET status = 'failed', error = $1, finished_at = $2
		WHERE org_id = $3 AND status IN ('queued', 'running') AND COALESCE(heartbeat_at, created_at) < $4`,
		"interrompu : l'instance qui le menait s'est arrêtée", db.Now(), org, db.Now().Add(-staleAfter))
	return err
}

const scanColumns = "id, org_id, status, ports, lab, addresses, done, total, error, level, created_at, started_at, finished_at"

func scanScan(row interface{ Scan(...any) error }) (ScanRow, error) {
	var r ScanRow
	var level sql.NullInt64
	var started, finished sql.NullTime
	err := row.Scan(&r.ID, &r.OrgID, &r.Status, &r.Ports, &r.Lab, &r.Addresses, &r.Done, &r.Total, &r.Error, &level, &r.CreatedAt, &started, &finished)
	if level.Valid {
		l := int(level.Int64)
		r.Level = &l
	}
	if started.Valid {
		t := started.Time
		r.StartedAt = &t
	}
	if finished.Valid {
		t := finished.Time
		r.FinishedAt = &t
	}
	return r, err
}

// GetScan returns a scan of an establishment the caller may read.
func (s *Service) GetScan(ctx context.Context, id int64) (ScanRow, error) {
	r, err := scanScan(s.DB.Read.QueryRowContext(ctx, "SELECT "+scanColumns+" FROM exposure_scans WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return ScanRow{}, problem.ErrNotFound
	}
	if err != nil {
		return ScanRow{}, err
	}
	if _, err := s.node(ctx, s.DB.Read, r.OrgID, authz.OrgRead); err != nil {
		return ScanRow{}, problem.ErrNotFound
	}
	return r, nil
}

// Scans lists an establishment's scans, newest first.
func (s *Service) Scans(ctx context.Context, org int64) ([]ScanRow, error) {
	if _, err := s.node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+scanColumns+" FROM exposure_scans WHERE org_id = $1 ORDER BY id DESC LIMIT 100", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ScanRow
	for rows.Next() {
		r, err := scanScan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- findings ----

// StoredFinding is a finding with its follow-up.
type StoredFinding struct {
	Finding
	ID            int64
	Status        string
	Justification string
	AcceptedUntil *time.Time
	FirstSeen     time.Time
	LastSeen      time.Time
	FixedAt       *time.Time
}

// FindingFilter narrows the findings list.
type FindingFilter struct {
	Status   string
	Severity string
}

// Findings lists an establishment's findings, worst first.
func (s *Service) Findings(ctx context.Context, org int64, f FindingFilter) ([]StoredFinding, error) {
	if _, err := s.node(ctx, s.DB.Read, org, authz.OrgRead); err != nil {
		return nil, err
	}
	q := `SELECT id, address, port, check_id, severity, title, evidence, remediation, flagged, status, justification, accepted_until, first_seen, last_seen, fixed_at
		FROM exposure_findings WHERE org_id = $1`
	args := []any{org}
	if f.Status != "" {
		args = append(args, f.Status)
		q += fmt.Sprintf(" AND status = $%d", len(args))
	}
	if f.Severity != "" {
		args = append(args, f.Severity)
		q += fmt.Sprintf(" AND severity = $%d", len(args))
	}
	q += ` ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, address, port, check_id`
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredFinding
	for rows.Next() {
		var sf StoredFinding
		var until, fixed sql.NullTime
		if err := rows.Scan(&sf.ID, &sf.Address, &sf.Port, &sf.Check, &sf.Severity, &sf.Title, &sf.Evidence, &sf.Remediation, &sf.KEV, &sf.Status,
			&sf.Justification, &until, &sf.FirstSeen, &sf.LastSeen, &fixed); err != nil {
			return nil, err
		}
		if until.Valid {
			u := until.Time
			sf.AcceptedUntil = &u
		}
		if fixed.Valid {
			x := fixed.Time
			sf.FixedAt = &x
		}
		out = append(out, sf)
	}
	return out, rows.Err()
}

// SetStatus moves a finding through the remediation workflow: in progress, or an
// accepted risk (with a justification and an expiry within a year), or back to open.
// Fixed is the scans' word, not the user's.
func (s *Service) SetStatus(ctx context.Context, id int64, status, justification string, until *time.Time) error {
	var c problem.Checks
	switch status {
	case StatusOpen, StatusInProgress:
	case StatusAccepted:
		if strings.TrimSpace(justification) == "" {
			c.Add("justification", "exposure.error.justification")
		}
		if until == nil || until.Before(time.Now()) || until.After(time.Now().AddDate(1, 0, 1)) {
			c.Add("accepted_until", "exposure.error.expiry")
		}
	default:
		c.Add("status", "exposure.error.status", status)
	}
	if err := c.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var org int64
		var from string
		err := tx.QueryRowContext(ctx, "SELECT org_id, status FROM exposure_findings WHERE id = $1", id).Scan(&org, &from)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.ErrNotFound
		}
		if err != nil {
			return err
		}
		path, err := s.node(ctx, tx, org, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if from == StatusFixed {
			return problem.New(problem.Conflict, "exposure.error.fixed")
		}
		if status != StatusAccepted {
			justification, until = "", nil
		}
		now := db.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE exposure_findings SET status = $1, justification = $2, accepted_until = $3 WHERE id = $4", status, justification, until, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO exposure_finding_events (finding_id, at, from_status, to_status, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, now, from, status, subject(ctx).Label(), justification); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.finding_status", ObjectType: "exposure_finding", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"status": {Before: from, After: status}}})
	})
}

// Evidence is Domaine 1's exposure indicator: two complete scans 45 to 60 days
// apart, and no critical finding open now.
type Evidence struct {
	Met        bool
	FirstScan  *time.Time
	SecondScan *time.Time
	OpenCrit   int
	Level      *int
}

// D1Evidence computes the indicator for an establishment, for other capabilities.
func (s *Service) D1Evidence(ctx context.Context, org int64) (Evidence, error) {
	scans, err := s.Scans(ctx, org)
	if err != nil {
		return Evidence{}, err
	}
	var ev Evidence
	var done []ScanRow
	for _, sc := range scans {
		if sc.Status == "done" && sc.FinishedAt != nil {
			done = append(done, sc)
			if ev.Level == nil {
				ev.Level = sc.Level
			}
		}
	}
	for i := 0; i < len(done) && ev.FirstScan == nil; i++ {
		for j := i + 1; j < len(done); j++ {
			gap := done[i].FinishedAt.Sub(*done[j].FinishedAt)
			if gap >= 45*24*time.Hour && gap <= 60*24*time.Hour {
				ev.SecondScan, ev.FirstScan = done[i].FinishedAt, done[j].FinishedAt
				break
			}
		}
	}
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_findings WHERE org_id = $1 AND severity = 'critical' AND status IN ('open', 'in_progress')", org).Scan(&ev.OpenCrit); err != nil {
		return Evidence{}, err
	}
	ev.Met = ev.FirstScan != nil && ev.OpenCrit == 0
	return ev, nil
}
