package funding

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/web"
)

type candidaturesData struct {
	Chooser    web.Chooser
	Org        org.Org
	Rows       []candidatureRow
	Total      int
	Limit      int
	Offset     int
	Prev       int // the previous page's offset
	ToInstruct int // submitted ones the caller may decide on (on this page)
	Open       []openCall
	CanSubmit  bool
}

type candidatureRow struct {
	Candidacy
	CallTitle string
	CanDecide bool
}

type openCall struct {
	ID, Title, Domain string
}

// callTitle is the title of call id in the caller's language, the id for a call
// no longer in the programme.
func callTitle(v *web.View, p Programme, id string) string {
	if c, ok := p.Call(id); ok {
		return In(v.Lang, c.Title, c.TitleEN)
	}
	return id
}

// CandidaturesPage lists the candidatures under the chosen node (an
// establishment's, a GHT's, a region's for its ARS referents), those to instruct
// counted, with a form to candidate to the open calls where the caller runs the
// node's programme.
func (h *Handler) CandidaturesPage(w http.ResponseWriter, r *http.Request) {
	h.candidatures(w, r, nil)
}

func (h *Handler) candidatures(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	v := h.View(r, "funding.candidatures")
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	var d candidaturesData
	if d.Chooser, err = h.Orgs.Chooser(ctx, "/financement/candidatures", org.Org{}, org.Region, org.GHT, org.LegalEntity); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id == 0 && len(d.Chooser.Few) > 0 {
		id = d.Chooser.Few[0].ID
	}
	if id != 0 {
		if d.Org, err = org.Load(ctx, h.Funding.DB.Read, id, authz.OrgRead); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	d.Chooser.Current = d.Org.Choice()
	d.Limit = 50
	d.Offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
	d.Offset = max(d.Offset, 0)
	list, total, err := h.Funding.Candidatures(ctx, id, d.Limit, d.Offset)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p, err := h.Funding.Programme(ctx)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	sub := authz.Current(ctx)
	for _, c := range list {
		row := candidatureRow{Candidacy: c, CallTitle: callTitle(v, p, c.Call), CanDecide: c.Status == Submitted && sub.Can(authz.Validate, c.OrgPath)}
		if row.CanDecide {
			d.ToInstruct++
		}
		d.Rows = append(d.Rows, row)
	}
	d.Total, d.Prev = total, max(d.Offset-d.Limit, 0)
	if d.Org.ID != 0 && (d.Org.Level == org.GHT || d.Org.Level == org.LegalEntity) && sub.Can(authz.ProgrammeWrite, d.Org.Path) {
		d.CanSubmit = true
		now := h.Funding.now()
		for _, c := range p.Calls {
			if c.CandidatureOpen(now) {
				dom, _ := p.Domain(c.Domain)
				d.Open = append(d.Open, openCall{ID: c.ID, Title: In(v.Lang, c.Title, c.TitleEN), Domain: In(v.Lang, dom.Title, dom.TitleEN)})
			}
		}
	}
	h.Show(w, r, "funding-candidatures", v, d, refused)
}

// SubmitForm candidates the chosen node to the call of the form.
func (h *Handler) SubmitForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	p, err := h.Funding.Programme(ctx)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	callID := r.PostFormValue("call")
	call, _ := p.Call(callID)
	c, err := h.Funding.Submit(ctx, Submission{Org: id, Domain: call.Domain, Call: callID})
	if err != nil {
		h.candidatures(w, r, err)
		return
	}
	web.Done(w, r, "funding.submitted", fmt.Sprintf("/financement/candidatures/%d", c.ID))
}

type sheetData struct {
	Sheet
	turns
	CallTitle   string
	CanDecide   bool
	CanWithdraw bool
	Ceiling     *int64
}

// Eur writes an amount in euros, "—" when absent.
func (sheetData) Eur(n *int64) string {
	if n == nil {
		return "—"
	}
	return Euros(*n)
}

// CandidaturePage shows a candidature: its state, the objectives of its domain
// with the platform's indicators, and the forms of the next steps the caller may
// take.
func (h *Handler) CandidaturePage(w http.ResponseWriter, r *http.Request) {
	h.candidature(w, r, nil)
}

func (h *Handler) candidature(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	sh, ok := web.ByID(w, r, h.Fail, h.Funding.Sheet)
	if !ok {
		return
	}
	v := h.View(r, "funding.candidature")
	for i := range sh.Objectives {
		fillTexts(v, sh.Objectives[i].Indicators)
	}
	for i := range sh.Aims {
		fillTexts(v, sh.Aims[i].Indicators)
	}
	sub := authz.Current(ctx)
	d := sheetData{Sheet: sh, CallTitle: In(v.Lang, sh.Call.Title, sh.Call.TitleEN),
		CanDecide:   sh.Status == Submitted && sub.Can(authz.Validate, sh.OrgPath),
		CanWithdraw: sh.Status == Submitted && sub.Can(authz.ProgrammeWrite, sh.OrgPath),
		turns:       turnsOf(sub, sh), Ceiling: sh.Call.Ceiling()}
	h.Show(w, r, "funding-candidature", v, d, refused)
}

// DecideForm records an ARS decision from the candidature page or the list.
func (h *Handler) DecideForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.decided", "", func(id int64) error {
		_, err := h.Funding.Decide(r.Context(), id, r.PostFormValue("decision"), r.PostFormValue("reason"))
		return err
	})
}

// WithdrawForm takes back a submitted candidature.
func (h *Handler) WithdrawForm(w http.ResponseWriter, r *http.Request) {
	h.onStep(w, r, "funding.withdrawn", "", func(id int64) error {
		_, err := h.Funding.Withdraw(r.Context(), id)
		return err
	})
}

// ValueText writes an indicator's value in words: each field of a record on its
// own, translated, a yes/no for a truth, a percentage for a share.
func ValueText(v *web.View, value any) string {
	switch x := value.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return v.T("funding.yes")
		}
		return v.T("funding.no")
	case *bool:
		if x == nil {
			return v.T("funding.undecided")
		}
		return ValueText(v, *x)
	case float64:
		return strconv.FormatFloat(x, 'f', 0, 64) + "\u00a0%"
	case time.Time:
		return x.UTC().Format("02/01/2006")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, v.T("funding.value."+k)+"\u00a0: "+ValueText(v, x[k]))
		}
		return strings.Join(parts, " ; ")
	}
	return fmt.Sprint(value)
}

func fillTexts(v *web.View, list []Reading) {
	for i := range list {
		if list[i].Available {
			list[i].Text = ValueText(v, list[i].Value)
		}
	}
}
