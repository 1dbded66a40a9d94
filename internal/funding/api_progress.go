package funding

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"time"

	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// EvidenceJSON is a proof deposited on an objective; a file's url is where
// to download it.
type EvidenceJSON struct {
	ID       int64     `json:"id"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	URL      string    `json:"url"`
	Filename string    `json:"filename,omitempty"`
	Size     int64     `json:"size,omitempty"`
	SHA256   string    `json:"sha256,omitempty"`
	AddedAt  time.Time `json:"added_at"`
	AddedBy  string    `json:"added_by"`
}

// VerificationJSON is an objective's state in the declaration.
type VerificationJSON struct {
	Status     string     `json:"status"`
	Reason     string     `json:"reason"`
	DeclaredAt time.Time  `json:"declared_at"`
	VerifiedBy string     `json:"verified_by,omitempty"`
	VerifiedAt *time.Time `json:"verified_at"`
}

// ToEvidenceJSON is the API form of an evidence of candidature id.
func ToEvidenceJSON(id int64, e Evidence) EvidenceJSON {
	j := EvidenceJSON{ID: e.ID, Kind: e.Kind, Title: e.Title, URL: e.URL, AddedAt: e.AddedAt, AddedBy: e.AddedBy}
	if e.Kind == FileEvidence {
		j.URL = fmt.Sprintf("/api/v1/funding/candidatures/%d/evidence/%d", id, e.ID)
		j.Filename, j.Size, j.SHA256 = e.Filename, e.Size, e.SHA256
	}
	return j
}

func evidenceJSON(id int64, list []Evidence) []EvidenceJSON {
	out := []EvidenceJSON{}
	for _, e := range list {
		out = append(out, ToEvidenceJSON(id, e))
	}
	return out
}

func verificationJSON(s *ObjectiveState) *VerificationJSON {
	if s == nil {
		return nil
	}
	return &VerificationJSON{Status: s.Status, Reason: s.Reason, DeclaredAt: s.DeclaredAt, VerifiedBy: s.VerifiedBy, VerifiedAt: s.VerifiedAt}
}

type evidenceInJSON struct {
	Objective string `json:"objective"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	URL       string `json:"url"`
}

// APIAddEvidence answers POST /api/v1/funding/candidatures/{id}/evidence: a
// link or a record as JSON ({objective, kind, title, url}), a file as a
// multipart form (fields objective, title, file).
func (h *Handler) APIAddEvidence(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusCreated, func(ctx context.Context, id int64) (EvidenceJSON, error) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			var e Evidence
			err := docs.Upload(r, "file", problem.New(problem.Invalid, "file.error.missing"), true, func(name string, data []byte) error {
				var err error
				e, err = h.Funding.AddEvidence(ctx, id, EvidenceIn{Objective: r.FormValue("objective"), Kind: FileEvidence, Title: r.FormValue("title")}, name, data)
				return err
			})
			return ToEvidenceJSON(id, e), err
		}
		in, err := web.Decoded[evidenceInJSON](w, r)
		if err != nil {
			return EvidenceJSON{}, err
		}
		if in.Kind == FileEvidence {
			return EvidenceJSON{}, refused("kind", "funding.error.file_multipart")
		}
		e, err := h.Funding.AddEvidence(ctx, id, EvidenceIn(in), "", nil)
		return ToEvidenceJSON(id, e), err
	})
}

// APIEvidenceFile answers GET /api/v1/funding/candidatures/{id}/evidence/{eid}:
// the file, as a download.
func (h *Handler) APIEvidenceFile(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err == nil {
		var eid int64
		if eid, err = web.PathID(r, "eid"); err == nil {
			var e Evidence
			var data []byte
			if e, data, err = h.Funding.EvidenceFile(r.Context(), id, eid); err == nil {
				docs.SendAttachment(w, e.Attachment, data)
				return
			}
		}
	}
	web.Problem(w, r, err)
}

type declarationJSON struct {
	Objectives      []string `json:"objectives"`
	AmountRequested *int64   `json:"amount_requested"`
}

// amount reads a required amount.
func amount(field string, n *int64) (int64, error) {
	if n == nil {
		return 0, refused(field, "funding.error.amount_required")
	}
	return *n, nil
}

// APIDeclare answers POST /api/v1/funding/candidatures/{id}/declaration
// ({objectives, amount_requested}): the declaration signed by the direction.
func (h *Handler) APIDeclare(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in declarationJSON) (CandidatureJSON, error) {
		n, err := amount("amount_requested", in.AmountRequested)
		if err != nil {
			return CandidatureJSON{}, err
		}
		c, err := h.Funding.Declare(ctx, id, in.Objectives, n)
		return ToCandidatureJSON(c), err
	})
}

// APIVerify answers POST /api/v1/funding/candidatures/{id}/objectives/{code}/verification
// ({decision: accept|more|refuse, reason}).
func (h *Handler) APIVerify(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in decisionJSON) (CandidatureJSON, error) {
		c, err := h.Funding.Verify(ctx, id, r.PathValue("code"), in.Decision, in.Reason)
		return ToCandidatureJSON(c), err
	})
}

type controlJSON struct {
	Result        string `json:"result"`
	Reason        string `json:"reason"`
	AmountGranted *int64 `json:"amount_granted"`
}

// APIControl answers POST /api/v1/funding/candidatures/{id}/control
// ({result: passed|failed, reason, amount_granted}).
func (h *Handler) APIControl(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in controlJSON) (CandidatureJSON, error) {
		var n int64
		if in.AmountGranted != nil {
			n = *in.AmountGranted
		} else if in.Result != ControlFail {
			return CandidatureJSON{}, refused("amount_granted", "funding.error.amount_required")
		}
		c, err := h.Funding.Control(ctx, id, in.Result, in.Reason, n)
		return ToCandidatureJSON(c), err
	})
}

type paymentJSON struct {
	Status     string `json:"status"`
	AmountPaid *int64 `json:"amount_paid"`
	PaidOn     string `json:"paid_on"`
}

// APIPayment answers POST /api/v1/funding/candidatures/{id}/payment
// ({status: to_pay|paid, amount_paid, paid_on: YYYY-MM-DD}).
func (h *Handler) APIPayment(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in paymentJSON) (CandidatureJSON, error) {
		n, on, err := paymentInput(in.Status, in.AmountPaid, in.PaidOn)
		if err != nil {
			return CandidatureJSON{}, err
		}
		c, err := h.Funding.Payment(ctx, id, in.Status, n, on)
		return ToCandidatureJSON(c), err
	})
}

// paymentInput reads the amount and the day of a payment: both required when
// paid, a day written YYYY-MM-DD.
func paymentInput(status string, paid *int64, on string) (int64, time.Time, error) {
	if status != PaidOut {
		return 0, time.Time{}, nil
	}
	var c problem.Checks
	var n int64
	if paid == nil {
		c.Add("amount_paid", "funding.error.amount_required")
	} else {
		n = *paid
	}
	day, ok := parseDay(on)
	if !ok {
		c.Add("paid_on", "funding.error.paid_on_required")
	}
	return n, day, c.Err()
}
