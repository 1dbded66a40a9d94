package exposure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

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
func (s *Service) StartScan(ctx context.Context, orgID int64, portSpec string, lab bool) (ScanRow, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.ProgrammeWrite)
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
	if lab && (!s.LabAllowed || !authz.Current(ctx).HasRole(authz.Admin)) {
		c.Add("lab", "exposure.error.lab_forbidden")
	}
	inventory, err := listTargets(ctx, s.DB.Read, o.ID)
	if err != nil {
		return ScanRow{}, err
	}
	scope := Scope{Lab: lab}
	for _, it := range inventory {
		if t, err := ParseTarget(it.Value); err == nil {
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
		if id, err = insertScan(ctx, tx, o.ID, portSpec, lab, len(resolved), len(resolved)*len(ports), db.NullID(authz.Current(ctx).UserID)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.scan_start", ObjectType: "exposure_scan", ObjectID: audit.ID(id), OrgPath: o.Path,
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
		s.run(runCtx, id, o.ID, addrs, ports)
	}()
	return getScan(ctx, s.DB.Read, id)
}

// run performs a scan and records its outcome. Progress is written at most every
// second, so that the page shows it without the scan hammering the database.
func (s *Service) run(ctx context.Context, id, orgID int64, addrs []netip.Addr, ports []int) {
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
		attempts := done.Load()
		if err := s.DB.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			return finishScan(context.WithoutCancel(ctx), tx, orgID, id, status, msg, level, &attempts, db.Now())
		}); err != nil {
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
	level, err := s.record(context.WithoutCancel(ctx), id, orgID, addrs, ports, obs, db.Now())
	if err != nil {
		slog.Error("exposure scan", "scan", id, "err", err)
		finish("failed", "enregistrement des résultats impossible", nil)
		return
	}
	finish("done", "", &level)
}

// RecordPast stores a complete scan that ended at the given time, without running
// it: the demo's history. Findings are reconciled as for a live scan.
func (s *Service) RecordPast(ctx context.Context, orgID int64, portSpec string, addrs []netip.Addr, obs []Observation, at time.Time) (ScanRow, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.ProgrammeWrite)
	if err != nil {
		return ScanRow{}, err
	}
	ports, err := ParsePorts(portSpec)
	if err != nil {
		return ScanRow{}, err
	}
	at = at.UTC().Truncate(time.Microsecond)
	var id int64
	if err := s.DB.Write.QueryRowContext(ctx, `INSERT INTO exposure_scans (org_id, status, ports, addresses, done, total, created_at, started_at, heartbeat_at) VALUES ($1, 'running', $2, $3, $4, $4, $5, $5, $5) RETURNING id`,
		o.ID, portSpec, len(addrs), len(addrs)*len(ports), at).Scan(&id); err != nil {
		return ScanRow{}, err
	}
	level, err := s.record(ctx, id, o.ID, addrs, ports, obs, at)
	if err != nil {
		return ScanRow{}, err
	}
	if err := s.DB.Tx(ctx, func(tx *sql.Tx) error { return finishScan(ctx, tx, o.ID, id, "done", "", &level, nil, at) }); err != nil {
		return ScanRow{}, err
	}
	return getScan(ctx, s.DB.Read, id)
}

// record stores what a complete scan saw and reconciles the findings, in one
// transaction; it returns the establishment's exposure level after the scan.
func (s *Service) record(ctx context.Context, scan, orgID int64, addrs []netip.Addr, ports []int, obs []Observation, now time.Time) (int, error) {
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
		stored, err := tracked(ctx, tx, orgID)
		if err != nil {
			return err
		}
		for _, tr := range Reconcile(stored, found, covered, now) {
			if err := apply(ctx, tx, orgID, scan, tr, now); err != nil {
				return err
			}
		}
		active, err := activeFindings(ctx, tx, orgID)
		if err != nil {
			return err
		}
		level = Level(active)
		return nil
	})
	return level, err
}

// Wait blocks until the scans started by this service have finished.
func (s *Service) Wait() { s.wg.Wait() }

// Cancel stops a running scan of an establishment the caller may change. The scan
// may run on another instance: the request is written down and its runner sees it
// at its next heartbeat.
func (s *Service) Cancel(ctx context.Context, id int64) error {
	sc, err := getScan(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	o, err := org.Load(ctx, s.DB.Read, sc.OrgID, authz.ProgrammeWrite)
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
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.scan_cancel", ObjectType: "exposure_scan", ObjectID: audit.ID(id), OrgPath: o.Path})
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

// GetScan returns a scan of an establishment the caller may read.
func (s *Service) GetScan(ctx context.Context, id int64) (ScanRow, error) {
	r, err := getScan(ctx, s.DB.Read, id)
	if err != nil {
		return ScanRow{}, err
	}
	if _, err := org.Load(ctx, s.DB.Read, r.OrgID, authz.OrgRead); err != nil {
		return ScanRow{}, problem.ErrNotFound
	}
	return r, nil
}

// Scans lists an establishment's scans, newest first.
func (s *Service) Scans(ctx context.Context, orgID int64) ([]ScanRow, error) {
	return readable(ctx, s, orgID, listScans)
}
