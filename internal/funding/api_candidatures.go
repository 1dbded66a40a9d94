package funding

import (
	"context"
	"net/http"
	"time"

	"care/internal/platform/web"
)

// CandidatureJSON is a candidature as the API shows it.
type CandidatureJSON struct {
	ID               int64        `json:"id"`
	Org              int64        `json:"org"`
	OrgName          string       `json:"org_name"`
	Call             string       `json:"call"`
	Domain           string       `json:"domain"`
	Category         string       `json:"category"`
	ProgrammeVersion int          `json:"programme_version"`
	Status           string       `json:"status"`
	Reason           string       `json:"reason"`
	SubmittedBy      string       `json:"submitted_by"`
	SubmittedAt      time.Time    `json:"submitted_at"`
	DecidedBy        string       `json:"decided_by,omitempty"`
	DecidedAt        *time.Time   `json:"decided_at"`
	WithdrawnAt      *time.Time   `json:"withdrawn_at"`
	Members          []MemberJSON `json:"members"`
	AmountRequested  *int64       `json:"amount_requested"`
	DeclaredBy       string       `json:"declared_by,omitempty"`
	DeclaredAt       *time.Time   `json:"declared_at"`
	ControlReason    string       `json:"control_reason"`
	AmountGranted    *int64       `json:"amount_granted"`
	ControlledBy     string       `json:"controlled_by,omitempty"`
	ControlledAt     *time.Time   `json:"controlled_at"`
	PaymentStatus    string       `json:"payment_status"`
	AmountPaid       *int64       `json:"amount_paid"`
	PaidOn           *string      `json:"paid_on"`
}

// MemberJSON is an establishment a GHT's candidature carries.
type MemberJSON struct {
	Org  int64  `json:"org"`
	Name string `json:"name"`
}

// SheetJSON is a candidature with its objectives and their indicators.
type SheetJSON struct {
	CandidatureJSON
	Objectives []ObjectiveStateJSON `json:"objectives"`
	Aims       []AimStateJSON       `json:"aims"`
}

// ObjectiveStateJSON is an objective of a candidature: the evidence deposited,
// the platform's indicators, its verification once declared (null before). Key
// names it in the declaration and the verification path.
type ObjectiveStateJSON struct {
	Code         string            `json:"code"`
	Key          string            `json:"key"`
	Year         *int              `json:"year"`
	Title        string            `json:"title"`
	Prerequisite bool              `json:"prerequisite"`
	Evidence     []EvidenceJSON    `json:"evidence"`
	Indicators   []IndicatorJSON   `json:"indicators"`
	Verification *VerificationJSON `json:"verification"`
}

// AimStateJSON is an aim of a domain whose objectives are not public.
type AimStateJSON struct {
	Title      string          `json:"title"`
	Indicators []IndicatorJSON `json:"indicators"`
}

// IndicatorJSON is one indicator: its value, or available false.
type IndicatorJSON struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	Value     any    `json:"value,omitempty"`
	Available *bool  `json:"available,omitempty"`
	Link      string `json:"link,omitempty"`
}

// ToCandidatureJSON is the API form of a candidature.
func ToCandidatureJSON(c Candidacy) CandidatureJSON {
	j := CandidatureJSON{ID: c.ID, Org: c.OrgID, OrgName: c.OrgName, Call: c.Call, Domain: c.Domain, Category: c.Category, ProgrammeVersion: c.ProgrammeVersion,
		Status: c.Status, Reason: c.Reason, SubmittedBy: c.SubmittedBy, SubmittedAt: c.SubmittedAt, DecidedBy: c.DecidedBy, DecidedAt: c.DecidedAt,
		WithdrawnAt: c.WithdrawnAt, Members: []MemberJSON{}, AmountRequested: c.AmountRequested, DeclaredBy: c.DeclaredBy, DeclaredAt: c.DeclaredAt,
		ControlReason: c.ControlReason, AmountGranted: c.AmountGranted, ControlledBy: c.ControlledBy, ControlledAt: c.ControlledAt,
		PaymentStatus: c.PaymentStatus, AmountPaid: c.AmountPaid}
	if c.PaidOn != nil {
		on := c.PaidOn.UTC().Format(time.DateOnly)
		j.PaidOn = &on
	}
	for _, m := range c.Members {
		j.Members = append(j.Members, MemberJSON{Org: m.OrgID, Name: m.Name})
	}
	return j
}

func indicatorsJSON(list []Reading) []IndicatorJSON {
	out := []IndicatorJSON{}
	for _, r := range list {
		j := IndicatorJSON{Name: r.Name, Source: r.Source, Link: r.Link}
		if r.Available {
			j.Value = r.Value
		} else {
			no := false
			j.Available = &no
		}
		out = append(out, j)
	}
	return out
}

// ToSheetJSON is the API form of a candidature with its objectives.
func ToSheetJSON(sh Sheet) SheetJSON {
	j := SheetJSON{CandidatureJSON: ToCandidatureJSON(sh.Candidacy), Objectives: []ObjectiveStateJSON{}, Aims: []AimStateJSON{}}
	for _, o := range sh.Objectives {
		j.Objectives = append(j.Objectives, ObjectiveStateJSON{Code: o.Code, Key: o.Key(), Year: optional(o.Year), Title: o.Title, Prerequisite: o.Prerequisite,
			Evidence: evidenceJSON(sh.ID, o.Evidence), Indicators: indicatorsJSON(o.Indicators), Verification: verificationJSON(o.State)})
	}
	for _, a := range sh.Aims {
		j.Aims = append(j.Aims, AimStateJSON{Title: a.Title, Indicators: indicatorsJSON(a.Indicators)})
	}
	return j
}

type submitJSON struct {
	Org    int64  `json:"org"`
	Call   string `json:"call"`
	Domain string `json:"domain"`
}

// APISubmit answers POST /api/v1/funding/candidatures ({org, call, domain};
// call may be left out when one call of the domain is open).
func (h *Handler) APISubmit(w http.ResponseWriter, r *http.Request) {
	web.OnBody(w, r, http.StatusCreated, func(ctx context.Context, in submitJSON) (CandidatureJSON, error) {
		c, err := h.Funding.Submit(ctx, Submission{Org: in.Org, Domain: in.Domain, Call: in.Call})
		return ToCandidatureJSON(c), err
	})
}

type decisionJSON struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// APIDecide answers POST /api/v1/funding/candidatures/{id}/decision
// ({decision: accept|reject, reason}).
func (h *Handler) APIDecide(w http.ResponseWriter, r *http.Request) {
	web.OnIDBody(w, r, "id", http.StatusOK, func(ctx context.Context, id int64, in decisionJSON) (CandidatureJSON, error) {
		c, err := h.Funding.Decide(ctx, id, in.Decision, in.Reason)
		return ToCandidatureJSON(c), err
	})
}

// APIWithdraw answers POST /api/v1/funding/candidatures/{id}/withdraw.
func (h *Handler) APIWithdraw(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Funding.Withdraw, ToCandidatureJSON))
}

// APICandidature answers GET /api/v1/funding/candidatures/{id}: the
// candidature with its objectives, their evidence and indicators.
func (h *Handler) APICandidature(w http.ResponseWriter, r *http.Request) {
	web.OnID(w, r, "id", http.StatusOK, web.As(h.Funding.Sheet, ToSheetJSON))
}

// APICandidatures answers GET /api/v1/funding/candidatures?org=…&limit=…&offset=…:
// the candidatures the caller sees, under the node when given, a page at a time.
func (h *Handler) APICandidatures(w http.ResponseWriter, r *http.Request) {
	web.OnNode(w, r, http.StatusOK, func(ctx context.Context, org int64) (web.Page[CandidatureJSON], error) {
		limit, offset, err := web.Pagination(r, 100, 1000)
		if err != nil {
			return web.Page[CandidatureJSON]{}, err
		}
		list, total, err := h.Funding.Candidatures(ctx, org, limit, offset)
		page := web.Page[CandidatureJSON]{Items: []CandidatureJSON{}, Total: total, Limit: limit, Offset: offset}
		for _, c := range list {
			page.Items = append(page.Items, ToCandidatureJSON(c))
		}
		return page, err
	})
}
