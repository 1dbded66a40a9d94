package funding

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// ObjectiveKeys lists the keys of a domain's prerequisites and objectives: what
// a candidature to one of its calls may carry evidence on and declare.
func ObjectiveKeys(d Domain) []string {
	var out []string
	for _, o := range slices.Concat(d.Prerequisites, d.Objectives) {
		out = append(out, o.Key())
	}
	return out
}

// step loads candidature id, its node checked for need (absent: 404; visible
// but not allowed: 403; the declaration as CanSign tells), and its call in the
// programme in force.
func (s *Service) step(ctx context.Context, tx *sql.Tx, id int64, need authz.Action) (Candidacy, Call, Domain, error) {
	c, err := getCandidature(ctx, tx, id)
	if err != nil {
		return c, Call{}, Domain{}, err
	}
	if need == authz.SignOff {
		switch sub := authz.Current(ctx); {
		case !Sees(sub, c):
			return c, Call{}, Domain{}, problem.ErrNotFound
		case !CanSign(sub, c):
			return c, Call{}, Domain{}, problem.New(problem.Forbidden, "error.forbidden")
		}
	} else if _, err := org.Load(ctx, tx, c.OrgID, need); err != nil {
		return c, Call{}, Domain{}, err
	}
	p, err := s.Programme(ctx)
	if err != nil {
		return c, Call{}, Domain{}, err
	}
	call, ok := p.Call(c.Call)
	if !ok {
		return c, call, Domain{}, problem.New(problem.Conflict, "funding.error.call_gone", c.Call)
	}
	d, _ := p.Domain(c.Domain)
	return c, call, d, nil
}

// outOfStep is the refusal of a step the candidature's status does not allow.
func outOfStep(c Candidacy) error {
	return problem.New(problem.Conflict, "funding.error.step."+c.Status)
}

// AddEvidence deposits a proof on an objective of an accepted candidature (the
// node's programme writers): a file (name and bytes), a link or a record of the
// platform. It is taken during the call's operational phase, or, on an
// objective on which the ARS asked for more, until the ARS verification ends.
// An objective that is not of the candidature's domain is refused, nothing stored.
func (s *Service) AddEvidence(ctx context.Context, id int64, in EvidenceIn, filename string, data []byte) (Evidence, error) {
	in.Title, in.URL, in.Objective = strings.TrimSpace(in.Title), strings.TrimSpace(in.URL), strings.TrimSpace(in.Objective)
	e := Evidence{Objective: in.Objective, Kind: in.Kind, Title: in.Title, URL: in.URL, AddedAt: s.now(), AddedBy: authz.Current(ctx).Name}
	if in.Kind == FileEvidence {
		a, err := docs.Attach(filename, data)
		if err != nil {
			return Evidence{}, err
		}
		e.Attachment, e.URL = a, ""
		if e.Title == "" {
			e.Title = a.Filename
		}
	} else {
		data = nil
	}
	if err := CheckEvidence(in); err != nil {
		return Evidence{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, call, d, err := s.step(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if !slices.Contains(ObjectiveKeys(d), in.Objective) {
			return refused("objective", "funding.error.objective_other_call", in.Objective, call.Title)
		}
		if c.Status != Accepted && c.Status != Declared {
			return outOfStep(c)
		}
		states, err := stateMap(ctx, tx, id)
		if err != nil {
			return err
		}
		switch st := states[in.Objective]; {
		case st == ObjectiveMore:
			if !call.PhaseOpen(Verification, s.now()) {
				return problem.New(problem.Conflict, "funding.error.verification_closed", call.Title)
			}
		case st == ObjectiveAccepted || st == ObjectiveRefused:
			return problem.New(problem.Conflict, "funding.error.objective_final", in.Objective)
		default:
			if why := call.EvidenceWindow(s.now()); why != "" {
				return problem.New(problem.Conflict, why, call.Title)
			}
		}
		if e.ID, err = insertEvidence(ctx, tx, id, e, data, authz.Current(ctx).UserID); err != nil {
			return err
		}
		what := e.Title
		if e.Kind == FileEvidence {
			what += " (" + e.SHA256[:12] + ")"
		} else {
			what += " <" + e.URL + ">"
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.evidence_add", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
			Changes: map[string]audit.Change{"objective": {After: in.Objective}, "evidence_kind": {After: e.Kind}, "evidence": {After: what}}})
	})
	return e, err
}

// EvidenceFile reads one file deposited on a candidature the caller sees.
func (s *Service) EvidenceFile(ctx context.Context, id, eid int64) (Evidence, []byte, error) {
	if _, err := s.Candidature(ctx, id); err != nil {
		return Evidence{}, nil, err
	}
	return evidenceFile(ctx, s.DB.Read, id, eid)
}

// Sees reports whether the subject sees candidature c: its node, or, for a
// GHT's candidature, one of the establishments it carries.
func Sees(sub authz.Subject, c Candidacy) bool {
	return sub.Can(authz.OrgRead, c.OrgPath) || slices.ContainsFunc(c.Members, func(m Member) bool { return sub.Can(authz.OrgRead, m.Path) })
}

// CanSign reports whether the subject may sign the declaration of c: a
// direction (authz.SignOff) of its node, or, for a GHT's candidature, of one of
// the establishments it carries (a GHT has no direction of its own).
func CanSign(sub authz.Subject, c Candidacy) bool {
	return sub.Can(authz.SignOff, c.OrgPath) || slices.ContainsFunc(c.Members, func(m Member) bool { return sub.Can(authz.SignOff, m.Path) })
}

// Declare records the declaration of attainment signed by the direction: the
// objectives declared attained and the amount requested (integer euros, not
// above the call's public ceiling), within the call's declaration window. On a
// declared candidature, it declares again the objectives on which the ARS
// asked for more, until the ARS verification ends. The ARS referents of the
// region are told.
func (s *Service) Declare(ctx context.Context, id int64, objectives []string, amount int64) (Candidacy, error) {
	now := s.now()
	var c Candidacy
	var call Call
	again := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var d Domain
		var err error
		if c, call, d, err = s.step(ctx, tx, id, authz.SignOff); err != nil {
			return err
		}
		for i := range objectives {
			objectives[i] = strings.TrimSpace(objectives[i])
		}
		switch c.Status {
		case Accepted:
			if err := CheckDeclaration(objectives, ObjectiveKeys(d), amount, call.Ceiling()); err != nil {
				return err
			}
			if why := call.DeclarationWindow(now); why != "" {
				return problem.New(problem.Conflict, why, call.Title)
			}
			if ok, err := setDeclared(ctx, tx, id, objectives, amount, authz.Current(ctx).UserID, now); err != nil || !ok {
				if err != nil {
					return err
				}
				return outOfStep(c)
			}
			return audit.Record(ctx, tx, audit.Entry{Action: "funding.declaration_sign", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
				Changes: map[string]audit.Change{"status": {Before: Accepted, After: Declared}, "objectives": {After: objectives}, "amount_requested": {After: amount}}})
		case Declared:
			again = true
			states, err := stateMap(ctx, tx, id)
			if err != nil {
				return err
			}
			var more []string
			for o, st := range states {
				if st == ObjectiveMore {
					more = append(more, o)
				}
			}
			if len(more) == 0 {
				return outOfStep(c) // nothing to declare again
			}
			if err := CheckDeclaration(objectives, more, amount, call.Ceiling()); err != nil {
				return err
			}
			if !call.PhaseOpen(Verification, now) {
				return problem.New(problem.Conflict, "funding.error.verification_closed", call.Title)
			}
			for _, o := range objectives {
				if ok, err := setRedeclared(ctx, tx, id, o, now); err != nil || !ok {
					if err != nil {
						return err
					}
					return outOfStep(c)
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE funding_candidatures SET amount_requested = $1 WHERE id = $2", amount, id); err != nil {
				return fmt.Errorf("funding: amount requested of %d: %w", id, err)
			}
			return audit.Record(ctx, tx, audit.Entry{Action: "funding.declaration_again", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
				Changes: map[string]audit.Change{"objectives": {After: objectives}, "amount_requested": {Before: deref(c.AmountRequested), After: amount}}})
		}
		return outOfStep(c)
	})
	if err != nil {
		return Candidacy{}, err
	}
	if c, err = getCandidature(ctx, s.DB.Read, id); err != nil {
		return c, err
	}
	key := "funding.mail.declared"
	if again {
		key = "funding.mail.declared_again"
	}
	s.tell(ctx, s.regionReferents(ctx, c), key, c.OrgName, In(i18n.FR, call.Title, ""), strings.Join(objectives, ", "), s.link(c.ID))
	return c, nil
}

func deref(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

// Verify records the ARS verification of a declared objective (authz.Validate
// on the node: the ARS of another region reads it as absent): accepted, more
// asked with a reason (the establishment may add evidence and declare it
// again), refused with a reason; until the call's verification ends. When every
// declared objective is accepted or refused, the candidature is verified and
// the national pilots are told; otherwise the declarer is told.
func (s *Service) Verify(ctx context.Context, id int64, objective, decision, reason string) (Candidacy, error) {
	reason = strings.TrimSpace(reason)
	now := s.now()
	var c Candidacy
	var call Call
	done := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, call, _, err = s.step(ctx, tx, id, authz.Validate); err != nil {
			return err
		}
		if err := CheckVerification(decision, reason); err != nil {
			return err
		}
		if c.Status != Declared {
			return outOfStep(c)
		}
		states, err := stateMap(ctx, tx, id)
		if err != nil {
			return err
		}
		switch st, ok := states[objective]; {
		case !ok:
			return problem.New(problem.NotFound, "funding.error.objective_not_declared", objective)
		case st != ObjectiveDeclared:
			return problem.New(problem.Conflict, "funding.error.objective_step."+st, objective)
		}
		if !call.PhaseOpen(Verification, now) {
			return problem.New(problem.Conflict, "funding.error.verification_closed", call.Title)
		}
		to := ObjectiveAfter(decision)
		if ok, err := setVerified(ctx, tx, id, objective, to, reason, authz.Current(ctx).UserID, now); err != nil || !ok {
			if err != nil {
				return err
			}
			return outOfStep(c)
		}
		states[objective] = to
		changes := map[string]audit.Change{"objective": {After: objective}, "objective_status": {Before: ObjectiveDeclared, After: to}, "reason": {After: reason}}
		if done = AllVerified(states); done {
			if _, err := setStatus(ctx, tx, id, Declared, Verified); err != nil {
				return err
			}
			changes["status"] = audit.Change{Before: Declared, After: Verified}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.objective_verify", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath, Changes: changes})
	})
	if err != nil {
		return Candidacy{}, err
	}
	if c, err = getCandidature(ctx, s.DB.Read, id); err != nil {
		return c, err
	}
	if done {
		to, err := pilots(ctx, s.DB.Read)
		s.logged(err)
		s.tell(ctx, to, "funding.mail.verified", c.OrgName, In(i18n.FR, call.Title, ""), s.link(c.ID))
	} else {
		r := reason
		if r == "" {
			r = "—"
		}
		s.tell(ctx, s.establishment(ctx, c), "funding.mail.objective_verified", c.OrgName, objective, i18n.FR.T("funding.objective_state."+ObjectiveAfter(decision)), r, s.link(c.ID))
	}
	return c, nil
}

// Control records the national control of a verified candidature (the national
// pilot, authz.Control): passed with the amount granted (at most the amount
// requested), or failed with a reason; until the call's control phase ends. The
// declarer is told.
func (s *Service) Control(ctx context.Context, id int64, result, reason string, granted int64) (Candidacy, error) {
	reason = strings.TrimSpace(reason)
	now := s.now()
	var c Candidacy
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var call Call
		var err error
		if c, call, _, err = s.step(ctx, tx, id, authz.Control); err != nil {
			return err
		}
		if c.Status != Verified {
			return outOfStep(c)
		}
		if err := CheckControl(result, reason, granted, *c.AmountRequested); err != nil {
			return err
		}
		if !call.PhaseOpen(Control, now) {
			return problem.New(problem.Conflict, "funding.error.control_closed", call.Title)
		}
		to := Controlled
		if result == ControlFail {
			to = ControlFailed
		}
		if ok, err := setControl(ctx, tx, id, to, reason, granted, authz.Current(ctx).UserID, now); err != nil || !ok {
			if err != nil {
				return err
			}
			return outOfStep(c)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.control", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: Verified, After: to}, "reason": {After: reason}, "amount_granted": {After: granted}}})
	})
	if err != nil {
		return Candidacy{}, err
	}
	if c, err = getCandidature(ctx, s.DB.Read, id); err != nil {
		return c, err
	}
	s.tell(ctx, s.establishment(ctx, c), "funding.mail.controlled", c.OrgName, i18n.FR.T("funding.state."+c.Status), Euros(*c.AmountGranted), orDash(c.ControlReason), s.link(c.ID))
	return c, nil
}

// Payment records the payment status of a controlled candidature (the national
// pilot): to pay, or paid on a day with the amount paid (at most the amount
// granted). The declarer is told.
func (s *Service) Payment(ctx context.Context, id int64, status string, amount int64, paidOn time.Time) (Candidacy, error) {
	now := s.now()
	var c Candidacy
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, _, _, err = s.step(ctx, tx, id, authz.Control); err != nil {
			return err
		}
		if c.Status != Controlled {
			return outOfStep(c)
		}
		if err := CheckPayment(status, paidOn, amount, *c.AmountGranted, now); err != nil {
			return err
		}
		var paid *int64
		var on *time.Time
		if status == PaidOut {
			paid, on = &amount, &paidOn
		}
		if ok, err := setPayment(ctx, tx, id, status, paid, on); err != nil || !ok {
			if err != nil {
				return err
			}
			return outOfStep(c)
		}
		changes := map[string]audit.Change{"payment_status": {Before: c.PaymentStatus, After: status}}
		if status == PaidOut {
			changes["status"] = audit.Change{Before: Controlled, After: Paid}
			changes["amount_paid"] = audit.Change{After: amount}
			changes["paid_on"] = audit.Change{After: paidOn.Format(time.DateOnly)}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "funding.payment", ObjectType: "funding_candidature", ObjectID: audit.ID(id), OrgPath: c.OrgPath, Changes: changes})
	})
	if err != nil {
		return Candidacy{}, err
	}
	if c, err = getCandidature(ctx, s.DB.Read, id); err != nil {
		return c, err
	}
	s.tell(ctx, s.establishment(ctx, c), "funding.mail.payment", c.OrgName, i18n.FR.T("funding.payment."+c.PaymentStatus), s.link(c.ID))
	return c, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// regionReferents lists the ARS referents of c's region.
func (s *Service) regionReferents(ctx context.Context, c Candidacy) []string {
	ids := org.PathIDs(c.OrgPath)
	if len(ids) < 2 {
		return nil
	}
	to, err := holders(ctx, s.DB.Read, ids[1], authz.ReferentARS)
	s.logged(err)
	return to
}

// establishment lists who speaks for c's node: the submitter, the declarer
// and the directions of the node, once each.
func (s *Service) establishment(ctx context.Context, c Candidacy) []string {
	var to []string
	sub, err := submitterEmail(ctx, s.DB.Read, c.ID)
	s.logged(err)
	dec, err := declarerEmail(ctx, s.DB.Read, c.ID)
	s.logged(err)
	dirs, err := holders(ctx, s.DB.Read, c.OrgID, authz.Direction)
	s.logged(err)
	for _, a := range slices.Concat([]string{sub, dec}, dirs) {
		if a != "" && !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	return to
}

func (s *Service) logged(err error) {
	if err != nil {
		slog.Error("funding: recipients", "err", err)
	}
}

// tell e-mails each address the message of key (key+"_subject" and key+"_body",
// in French); the step stands whether or not it leaves.
func (s *Service) tell(ctx context.Context, to []string, key string, args ...any) {
	if s.Mail == nil {
		return
	}
	for _, addr := range to {
		s.send(ctx, mail.Message{To: addr, Subject: i18n.FR.T(key+"_subject", args[0]), Body: i18n.FR.T(key+"_body", args...)})
	}
}
