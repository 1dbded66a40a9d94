package funding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Submission is what a candidate sends: the node that candidates, the domain,
// and the call (may be left out when exactly one call of the domain is open).
type Submission struct {
	Org    int64
	Domain string
	Call   string
}

// Submit records a candidature of an establishment, or of a GHT for its member
// establishments, to a call of the programme in force: the caller runs the
// node's programme (authz.ProgrammeWrite), the call's candidature is open, it
// takes the node's category, and the node has no candidature to it yet. The
// ARS referents of the node's region are told by e-mail.
func (s *Service) Submit(ctx context.Context, in Submission) (Candidacy, error) {
	p, err := s.Programme(ctx)
	if err != nil {
		return Candidacy{}, err
	}
	if in.Org <= 0 {
		return Candidacy{}, refused("org", "funding.error.org_required")
	}
	now := s.now()
	call, err := p.PickCall(strings.TrimSpace(in.Domain), strings.TrimSpace(in.Call), now)
	if err != nil {
		return Candidacy{}, err
	}
	var id int64
	var o org.Org
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if o, err = org.Load(ctx, tx, in.Org, authz.ProgrammeWrite); err != nil {
			return err
		}
		parent, err := parentLevel(ctx, tx, o)
		if err != nil {
			return err
		}
		cat, why := CategoryOf(o, parent)
		if why != "" {
			return refused("org", why, o.Name)
		}
		if ok, why := call.Accepts(cat); !ok {
			return refused("call", why, In(i18n.FR, call.Title, ""), cat)
		}
		if why := call.CandidatureWindow(now); why != "" {
			return problem.New(problem.Conflict, why, call.Title)
		}
		// A withdrawn candidature does not block a new one: the same row is
		// submitted again.
		other, was, err := candidatureOf(ctx, tx, o.ID, call.ID)
		if err != nil {
			return err
		}
		if other != 0 && was != Withdrawn {
			return problem.New(problem.Conflict, "funding.error.duplicate", o.Name, call.Title)
		}
		c := Candidacy{OrgID: o.ID, Call: call.ID, Domain: call.Domain, Category: cat, ProgrammeVersion: p.Version, Status: Submitted, SubmittedAt: now}
		if o.Level == org.GHT {
			if c.Members, err = ghtMembers(ctx, tx, o, call.ID); err != nil {
				return err
			}
			if len(c.Members) == 0 {
				return problem.New(problem.Conflict, "funding.error.no_members", o.Name)
			}
		} else if parent == org.GHT {
			if carrier, err := carriedBy(ctx, tx, o.ID, call.ID); err != nil || carrier != 0 {
				if err != nil {
					return err
				}
				return problem.New(problem.Conflict, "funding.error.carried", o.Name, call.Title)
			}
		}
		if id, err = insertCandidature(ctx, tx, c, authz.Current(ctx).UserID, other); err != nil {
			return err
		}
		members := []int64{}
		for _, m := range c.Members {
			members = append(members, m.OrgID)
		}
		changes := map[string]audit.Change{"status": {After: Submitted}, "call": {After: call.ID}, "category": {After: cat}, "members": {After: members}}
		if was != "" {
			changes["status"] = audit.Change{Before: was, After: Submitted}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.candidature_submit", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: o.Path, Changes: changes})
	})
	if err != nil {
		return Candidacy{}, err
	}
	c, err := getCandidature(ctx, s.DB.Read, id)
	if err != nil {
		return c, err
	}
	s.tellReferents(ctx, o, c, call)
	return c, nil
}

// Decide records the decision of an ARS referent (authz.Validate on the node)
// on a submitted candidature: accepted, or rejected with a reason, while the
// call's instruction is open. A candidature out of the caller's sight is absent
// (404); one already decided or withdrawn is refused and left as it is. The
// submitter is told by e-mail.
func (s *Service) Decide(ctx context.Context, id int64, decision, reason string) (Candidacy, error) {
	reason = strings.TrimSpace(reason)
	p, err := s.Programme(ctx)
	if err != nil {
		return Candidacy{}, err
	}
	now := s.now()
	var c Candidacy
	var call Call
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if c, err = getCandidature(ctx, tx, id); err != nil {
			return err
		}
		if _, err := org.Load(ctx, tx, c.OrgID, authz.Validate); err != nil {
			return err
		}
		if err := CheckDecision(decision, reason); err != nil {
			return err
		}
		if c.Status != Submitted {
			return problem.New(problem.Conflict, "funding.error.step."+c.Status)
		}
		var ok bool
		if call, ok = p.Call(c.Call); !ok {
			return problem.New(problem.Conflict, "funding.error.call_gone", c.Call)
		}
		if !call.InstructionOpen(now) {
			return problem.New(problem.Conflict, "funding.error.instruction_closed", call.Title)
		}
		to := StatusAfter(decision)
		if ok, err := setDecision(ctx, tx, id, to, reason, authz.Current(ctx).UserID, now); err != nil || !ok {
			if err != nil {
				return err
			}
			return problem.New(problem.Conflict, "funding.error.step."+c.Status)
		}
		action := map[string]string{Accept: "funding.candidature_accept", Reject: "funding.candidature_reject"}[decision]
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: Submitted, After: to}, "reason": {After: reason}}})
	})
	if err != nil {
		return Candidacy{}, err
	}
	if c, err = getCandidature(ctx, s.DB.Read, id); err != nil {
		return c, err
	}
	s.tellSubmitter(ctx, c, call)
	return c, nil
}

// Withdraw takes back a submitted candidature before the ARS decides (the
// node's programme writers).
func (s *Service) Withdraw(ctx context.Context, id int64) (Candidacy, error) {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := getCandidature(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := org.Load(ctx, tx, c.OrgID, authz.ProgrammeWrite); err != nil {
			return err
		}
		ok, err := setWithdrawn(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return problem.New(problem.Conflict, "funding.error.step."+c.Status)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.candidature_withdraw", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: Submitted, After: Withdrawn}}})
	})
	if err != nil {
		return Candidacy{}, err
	}
	return getCandidature(ctx, s.DB.Read, id)
}

// Candidature reads one candidature the caller sees: its node readable, or,
// for a GHT's candidature, one of the establishments it carries.
func (s *Service) Candidature(ctx context.Context, id int64) (Candidacy, error) {
	c, err := getCandidature(ctx, s.DB.Read, id)
	if err != nil {
		return c, err
	}
	if _, err := org.Load(ctx, s.DB.Read, c.OrgID, authz.OrgRead); err != nil {
		if !errors.Is(err, problem.ErrNotFound) {
			return Candidacy{}, err
		}
		if Sees(authz.Current(ctx), c) {
			return c, nil
		}
		return Candidacy{}, err
	}
	return c, nil
}

// Candidatures lists the candidatures the caller sees, under node orgID when it
// is not 0 (a node out of sight is absent): those of the nodes in sight and the
// GHT's candidatures that carry an establishment in sight; limit from offset,
// with the total.
func (s *Service) Candidatures(ctx context.Context, orgID int64, limit, offset int) ([]Candidacy, int, error) {
	roots := authz.Current(ctx).Scope(authz.OrgRead)
	if orgID != 0 {
		o, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
		if err != nil {
			return nil, 0, err
		}
		roots = authz.Narrow(roots, o.Path)
	}
	return listCandidatures(ctx, s.DB.Read, roots, limit, offset)
}

// link is the page of candidature id.
func (s *Service) link(id int64) string {
	return fmt.Sprintf("%s/financement/candidatures/%d", strings.TrimSuffix(s.BaseURL, "/"), id)
}

// tellReferents e-mails the ARS referents of o's region that c was submitted.
// The candidature stands whether or not the message leaves.
func (s *Service) tellReferents(ctx context.Context, o org.Org, c Candidacy, call Call) {
	s.tell(ctx, s.regionReferents(ctx, c), "funding.mail.submitted", o.Name, call.Title, i18n.FR.T("funding.category."+c.Category), s.link(c.ID))
}

// tellSubmitter e-mails the submitter of c the ARS decision.
func (s *Service) tellSubmitter(ctx context.Context, c Candidacy, call Call) {
	if s.Mail == nil {
		return
	}
	to, err := submitterEmail(ctx, s.DB.Read, c.ID)
	if err != nil || to == "" {
		if err != nil {
			slog.Error("funding: submitter", "err", err)
		}
		return
	}
	reason := c.Reason
	if reason == "" {
		reason = "—"
	}
	s.send(ctx, mail.Message{To: to, Subject: i18n.FR.T("funding.mail.decided_subject."+c.Status, c.OrgName),
		Body: i18n.FR.T("funding.mail.decided_body", c.OrgName, call.Title, i18n.FR.T("funding.state."+c.Status), reason, s.link(c.ID))})
}

func (s *Service) send(ctx context.Context, m mail.Message) {
	if err := s.Mail.Send(ctx, m); err != nil && !errors.Is(err, mail.ErrNotConfigured) {
		slog.Error("funding: mail not sent", "to", m.To, "err", err)
	}
}
