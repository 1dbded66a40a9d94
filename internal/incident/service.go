package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/live"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Service keeps the incidents.
type Service struct {
	DB *db.DB
	// Mail tells the region's ARS referents and CERT Santé of a submitted
	// declaration; BaseURL makes the links. Nothing is sent when Mail is nil.
	Mail    mail.Sender
	BaseURL string
	// Now is the clock; db.Now when nil (the demo dates its incidents).
	Now func() time.Time
	// Sheets reads the degraded-mode sheets written under a node (continuity),
	// without checking access; nil shows none.
	Sheets func(ctx context.Context, path string) ([]Sheet, error)

	live live.Signal // wakes the streams at each change
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

// Sees is the rule of sight of an incident at node path: a draft is seen by
// those who declare the node's incidents; a submitted one also by whoever reads
// the node (its region's ARS referents among them) and by CERT Santé
// (authz.IncidentHandle), who reads no other page of the node.
func Sees(sub authz.Subject, status, path string) bool {
	if sub.Can(authz.IncidentDeclare, path) {
		return true
	}
	return status != Draft && (sub.Can(authz.OrgRead, path) || sub.Can(authz.IncidentHandle, path))
}

// Kinds of access to an incident a method needs besides seeing it.
const (
	needRead    = ""
	needDeclare = authz.IncidentDeclare
	needHandle  = authz.IncidentHandle
	needFollow  = "follow" // either side: the establishment or CERT Santé
)

// load reads incident id and applies the rule of sight and the need: out of
// sight (or absent, or its node archived) is absent (404), seen but not
// allowed is forbidden (403).
func load(ctx context.Context, q db.Querier, id int64, need authz.Action) (Incident, error) {
	i, err := getIncident(ctx, q, id)
	if err != nil {
		return Incident{}, err
	}
	sub := authz.Current(ctx)
	if !Sees(sub, i.Status, i.OrgPath) {
		return Incident{}, problem.ErrNotFound
	}
	ok := true
	switch need {
	case needDeclare, needHandle:
		ok = sub.Can(need, i.OrgPath)
	case needFollow:
		ok = sub.Can(authz.IncidentDeclare, i.OrgPath) || sub.Can(authz.IncidentHandle, i.OrgPath)
	}
	if !ok {
		return Incident{}, problem.New(problem.Forbidden, "error.forbidden")
	}
	return i, nil
}

// sideOf is the side of the timeline the caller writes from at path.
func sideOf(sub authz.Subject, path string) string {
	if sub.Can(authz.IncidentDeclare, path) {
		return SideEstablishment
	}
	return SideCERT
}

// Create opens a draft declaration of establishment orgID (a legal entity or a
// site), by a person who declares its incidents. The draft is checked as drafts
// are (Declaration.Check).
func (s *Service) Create(ctx context.Context, orgID int64, d Declaration) (Incident, error) {
	d = d.Normalise()
	now := s.now()
	if err := d.Check(now); err != nil {
		return Incident{}, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, orgID, authz.IncidentDeclare)
		if err != nil {
			return err
		}
		if !o.IsEstablishment() {
			var c problem.Checks
			c.Add("org", "incident.error.level")
			return c.Err()
		}
		if id, err = insertIncident(ctx, tx, o.ID, d, authz.Current(ctx).UserID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.create", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"status": {After: Draft}}})
	})
	if err != nil {
		return Incident{}, err
	}
	return getIncident(ctx, s.DB.Read, id)
}

// Update replaces the declaration of a draft (the autosave of the form). A
// submitted declaration is never altered (409); its node does not change
// (orgID, when given, must be the draft's).
func (s *Service) Update(ctx context.Context, id, orgID int64, d Declaration) (Incident, error) {
	d = d.Normalise()
	now := s.now()
	return s.change(ctx, id, needDeclare, func(tx *sql.Tx, i Incident) error {
		if i.Status != Draft {
			return problem.New(problem.Conflict, "incident.error.frozen")
		}
		if orgID != 0 && orgID != i.OrgID {
			var c problem.Checks
			c.Add("org", "incident.error.org_fixed")
			return c.Err()
		}
		if err := d.Check(now); err != nil {
			return err
		}
		if err := moved(updateDraft(ctx, tx, id, d, now)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.update", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath})
	})
}

// Submit submits a draft: complete (Declaration.CheckComplete), it is frozen
// as submitted (its JSON kept for the PDF) and the region's ARS referents and
// CERT Santé are told by e-mail. "Sans délai": CSP L.1111-8-2.
func (s *Service) Submit(ctx context.Context, id int64) (Incident, error) {
	now := s.now()
	sub := authz.Current(ctx)
	i, err := s.change(ctx, id, needDeclare, func(tx *sql.Tx, i Incident) error {
		if i.Status != Draft {
			return problem.New(problem.Conflict, "incident.error.frozen")
		}
		if err := i.Declaration.CheckComplete(now); err != nil {
			return err
		}
		frozen, err := json.Marshal(Frozen{Declaration: i.Declaration, Org: i.OrgName, SubmittedBy: sub.Name, SubmittedAt: now})
		if err != nil {
			return fmt.Errorf("incident: freeze %d: %w", id, err)
		}
		if err := moved(setStatus(ctx, tx, id, Draft, Submitted, "submitted_by = $1, submitted_at = $2, snapshot = $3, updated_at = $2,",
			db.NullID(sub.UserID), now, string(frozen))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "incident.submit", ObjectType: "incident", ObjectID: audit.ID(id), OrgPath: i.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: Draft, After: Submitted}}})
	})
	if err == nil {
		s.tellSubmitted(ctx, i)
	}
	return i, err
}

// change runs do on incident id, loaded for need, in one transaction, and reads
// the incident back once it is written.
func (s *Service) change(ctx context.Context, id int64, need authz.Action, do func(tx *sql.Tx, i Incident) error) (Incident, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		i, err := load(ctx, tx, id, need)
		if err != nil {
			return err
		}
		if err := do(tx, i); err != nil {
			return err
		}
		return s.announce(ctx, tx)
	})
	if err != nil {
		return Incident{}, err
	}
	s.live.Fire()
	return getIncident(ctx, s.DB.Read, id)
}

// moved is the outcome of a write that expects the incident where it was read:
// when it was no longer (a concurrent step), a conflict.
func moved(ok bool, err error) error {
	if err == nil && !ok {
		return problem.New(problem.Conflict, "incident.error.concurrent")
	}
	return err
}

// followed refuses a step of the follow-up on an incident that is not open.
func followed(i Incident) error {
	if !i.Open() {
		return problem.New(problem.Conflict, "incident.error.step."+i.Status)
	}
	return nil
}

// Incident reads one incident the caller sees.
func (s *Service) Incident(ctx context.Context, id int64) (Incident, error) {
	return load(ctx, s.DB.Read, id, needRead)
}

// Timeline reads the shared timeline of an incident the caller sees.
func (s *Service) Timeline(ctx context.Context, id int64) ([]Entry, error) {
	if _, err := load(ctx, s.DB.Read, id, needRead); err != nil {
		return nil, err
	}
	return listEntries(ctx, s.DB.Read, id)
}

// Incidents lists the incidents the caller sees, under node orgID when it is
// not 0 (a node out of sight is absent), of one status when status is set.
func (s *Service) Incidents(ctx context.Context, orgID int64, status string) ([]Incident, error) {
	f := ScopeOf(authz.Current(ctx))
	f.Status = status
	if orgID != 0 {
		path, err := s.nodePath(ctx, orgID)
		if err != nil {
			return nil, err
		}
		f.Read, f.Drafts = authz.Narrow(f.Read, path), authz.Narrow(f.Drafts, path)
	}
	return listIncidents(ctx, s.DB.Read, f)
}

// nodePath is the path of node id when the caller sees incidents there, else
// absent: CERT Santé reads no node, only the incidents.
func (s *Service) nodePath(ctx context.Context, id int64) (string, error) {
	sub := authz.Current(ctx)
	path, err := db.One(ctx, s.DB.Read, fmt.Sprintf("incident: node %d", id), func(row db.Row) (string, error) {
		var p string
		return p, row.Scan(&p)
	}, "SELECT path FROM orgs WHERE id = $1 AND archived_at IS NULL", id)
	if err != nil {
		return "", err
	}
	if !Sees(sub, Submitted, path) {
		return "", problem.ErrNotFound
	}
	return path, nil
}

// ScopeOf is where sub sees incidents: submitted ones where it reads nodes or
// handles incidents, drafts where it declares them.
func ScopeOf(sub authz.Subject) Filter {
	roots := append(sub.Scope(authz.OrgRead), sub.Scope(authz.IncidentHandle)...)
	return Filter{Read: minimal(roots), Drafts: sub.Scope(authz.IncidentDeclare)}
}

// minimal drops the roots inside another.
func minimal(roots []string) []string {
	var grants []authz.Grant
	for _, r := range roots {
		grants = append(grants, authz.Grant{Role: authz.Lecteur, OrgPath: r})
	}
	return authz.Subject{Grants: grants}.Scope(authz.OrgRead)
}

// Widen gives a CERT Santé member read access (authz.Lecteur) to the nodes
// with an incident shared with CERT Santé and still open: the establishment's
// sharing, which ends with the incident. Others come back as they are.
func (s *Service) Widen(ctx context.Context, sub authz.Subject) authz.Subject {
	if !sub.HasRole(authz.CertSante) {
		return sub
	}
	list, err := sharedPaths(ctx, s.DB.Read)
	if err != nil {
		slog.Error("incident: shared incidents", "err", err)
		return sub
	}
	grants := append([]authz.Grant(nil), sub.Grants...)
	for _, sh := range list {
		grants = append(grants, authz.Grant{Role: authz.Lecteur, OrgID: sh.OrgID, OrgPath: sh.OrgPath})
	}
	sub.Grants = grants
	return sub
}

// link is the page of incident id.
func (s *Service) link(id int64) string {
	return fmt.Sprintf("%s/incidents/%d", strings.TrimSuffix(s.BaseURL, "/"), id)
}

// tellSubmitted e-mails the region's ARS referents and CERT Santé that i was
// submitted. The declaration stands whether or not the messages leave.
func (s *Service) tellSubmitted(ctx context.Context, i Incident) {
	if s.Mail == nil {
		return
	}
	ids := org.PathIDs(i.OrgPath)
	if len(ids) < 2 {
		return
	}
	ars, err := recipients(ctx, s.DB.Read, authz.ReferentARS, ids[1:2])
	if err != nil {
		slog.Error("incident: ARS referents", "err", err)
		return
	}
	cert, err := recipients(ctx, s.DB.Read, authz.CertSante, ids[:1])
	if err != nil {
		slog.Error("incident: CERT Santé", "err", err)
		return
	}
	fr := i18n.FR
	var cats []string
	for _, c := range i.Categories {
		cats = append(cats, fr.T("incident.category."+c))
	}
	for _, to := range append(ars, cert...) {
		m := mail.Message{To: to, Subject: fr.T("incident.mail.submitted_subject", i.OrgName),
			Body: fr.T("incident.mail.submitted_body", i.OrgName, fr.T("incident.type."+i.Type), strings.Join(cats, " ; "), i.SubmittedBy, s.link(i.ID))}
		if err := s.Mail.Send(ctx, m); err != nil && !errors.Is(err, mail.ErrNotConfigured) {
			slog.Error("incident: mail not sent", "to", to, "err", err)
		}
	}
}
