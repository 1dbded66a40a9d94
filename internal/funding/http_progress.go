package funding

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// turns are the forms of the candidature page: each actor's, only when it is
// their turn.
type turns struct {
	CanEvidence bool     // the node's programme writers, accepted or declared
	CanDeclare  bool     // a direction, accepted
	Redeclare   []string // objectives a direction may declare again (the ARS asked for more)
	CanVerify   bool     // the ARS of the region, declared
	CanControl  bool     // the national pilot, verified
	CanPay      bool     // the national pilot, controlled
	Keys        []string // the objectives evidence may be deposited on
}

// turnsOf tells which forms the subject sees on sheet sh.
func turnsOf(sub authz.Subject, sh Sheet) turns {
	var t turns
	t.CanEvidence = (sh.Status == Accepted || sh.Status == Declared) && sub.Can(authz.ProgrammeWrite, sh.OrgPath)
	sign := CanSign(sub, sh.Candidacy)
	t.CanDeclare = sh.Status == Accepted && sign
	for _, o := range sh.Objectives {
		final := o.State != nil && (o.State.Status == ObjectiveAccepted || o.State.Status == ObjectiveRefused)
		if !final {
			t.Keys = append(t.Keys, o.Key())
		}
		if sign && sh.Status == Declared && o.State != nil && o.State.Status == ObjectiveMore {
			t.Redeclare = append(t.Redeclare, o.Key())
		}
	}
	t.CanVerify = sh.Status == Declared && sub.Can(authz.Validate, sh.OrgPath)
	t.CanControl = sh.Status == Verified && sub.Can(authz.Control, sh.OrgPath)
	t.CanPay = sh.Status == Controlled && sub.Can(authz.Control, sh.OrgPath)
	return t
}

// back is the candidature page, at an anchor when one is given.
func back(id int64, anchor string) string {
	if anchor == "" {
		return fmt.Sprintf("/financement/candidatures/%d", id)
	}
	return fmt.Sprintf("/financement/candidatures/%d#%s", id, anchor)
}

// EvidenceForm deposits a proof from the candidature page: a file, a link or a
// record of the platform.
func (h *Handler) EvidenceForm(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	var err error
	ctx := r.Context()
	in := EvidenceIn{Objective: r.FormValue("objective"), Kind: r.FormValue("kind"), Title: r.FormValue("title"), URL: r.FormValue("url")}
	if in.Kind == FileEvidence {
		err = docs.Upload(r, "file", problem.New(problem.Invalid, "file.error.missing"), true, func(name string, data []byte) error {
			_, err := h.Funding.AddEvidence(ctx, id, in, name, data)
			return err
		})
	} else {
		_, err = h.Funding.AddEvidence(ctx, id, in, "", nil)
	}
	if err != nil {
		h.candidature(w, r, err)
		return
	}
	web.Done(w, r, "funding.evidence_added", back(id, "o-"+url.PathEscape(in.Objective)))
}

// EvidenceDownload sends a deposited file, never rendered inline.
func (h *Handler) EvidenceDownload(w http.ResponseWriter, r *http.Request) {
	h.SendFile(w, r, "id", "eid", func(ctx context.Context, id, eid int64) (docs.Attachment, []byte, error) {
		e, data, err := h.Funding.EvidenceFile(ctx, id, eid)
		return e.Attachment, data, err
	})
}

// formAmount reads an amount of a form in integer euros: a missing or
// malformed one is refused on its field.
func formAmount(r *http.Request, field string) (int64, error) {
	s := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue(field)), " ", "")
	if s == "" {
		return 0, refused(field, "funding.error.amount_required")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, refused(field, "funding.error.amount_format")
	}
	return n, nil
}

// DeclareForm records the declaration signed by the direction.
func (h *Handler) DeclareForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.declared", "declaration", func(id int64) error {
		n, err := formAmount(r, "amount_requested")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		_, err = h.Funding.Declare(r.Context(), id, r.PostForm["objective"], n)
		return err
	})
}

// VerifyForm records the ARS verification of an objective.
func (h *Handler) VerifyForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.verified", "o-"+url.PathEscape(r.PathValue("code")), func(id int64) error {
		_, err := h.Funding.Verify(r.Context(), id, r.PathValue("code"), r.PostFormValue("decision"), r.PostFormValue("reason"))
		return err
	})
}

// ControlForm records the national control.
func (h *Handler) ControlForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.controlled", "control", func(id int64) error {
		var n int64
		if r.PostFormValue("result") != ControlFail {
			var err error
			if n, err = formAmount(r, "amount_granted"); err != nil {
				return err
			}
		}
		_, err := h.Funding.Control(r.Context(), id, r.PostFormValue("result"), r.PostFormValue("reason"), n)
		return err
	})
}

// PaymentForm records the payment status.
func (h *Handler) PaymentForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.payment_recorded", "control", func(id int64) error {
		status := r.PostFormValue("status")
		var paid *int64
		if status == PaidOut && strings.TrimSpace(r.PostFormValue("amount_paid")) != "" {
			n, err := formAmount(r, "amount_paid")
			if err != nil {
				return err
			}
			paid = &n
		}
		n, on, err := paymentInput(status, paid, r.PostFormValue("paid_on"))
		if err != nil {
			return err
		}
		_, err = h.Funding.Payment(r.Context(), id, status, n, on)
		return err
	})
}

// onStep runs a step of the candidature of the path, then goes back to its
// page (at anchor) with the done message, or shows the page with the refusal.
func (h *Handler) onStep(w http.ResponseWriter, r *http.Request, done, anchor string, do func(id int64) error) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	if err := do(id); err != nil {
		h.candidature(w, r, err)
		return
	}
	web.Done(w, r, done, back(id, anchor))
}
