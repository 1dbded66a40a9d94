package funding

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the programme page and the funding API.
type Handler struct {
	web.Pages
	Funding *Service
	Orgs    *org.Service
}

// In is the text in the language asked for: the English one when there is one.
func In(l i18n.Lang, fr, en string) string {
	if l == i18n.EN && en != "" {
		return en
	}
	return fr
}

type pageData struct {
	Programme  Programme
	Domains    []domainView
	Today      time.Time
	Versions   []Version
	CanContent bool
}

type domainView struct {
	Domain
	Calls []callView
}

type callView struct {
	Call
	Candidates []string // the categories' labels
	Phases     []phaseView
	Open       bool
	Timeline   template.HTML
}

type phaseView struct {
	Phase
	Status string
	Span   string
}

// Page shows the programme in force: domains, calls with their timeline (today
// marked), objectives with their codes, evidence, what the platform checks.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, nil)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	v := h.View(r, "funding.title")
	p, err := h.Funding.Programme(ctx)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	versions, err := h.Funding.Versions(ctx)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	now := db.Now()
	data := pageData{Programme: p, Today: now, Versions: versions, CanContent: authz.Current(ctx).CanAnywhere(authz.ContentManage)}
	for _, d := range p.Domains {
		dv := domainView{Domain: d}
		for _, c := range p.Calls {
			if c.Domain != d.ID {
				continue
			}
			cv := callView{Call: c, Open: c.CandidatureOpen(now), Timeline: timeline(v, c, now)}
			for _, id := range c.Categories {
				for _, cat := range p.Categories {
					if cat.ID == id {
						cv.Candidates = append(cv.Candidates, In(v.Lang, cat.Label, cat.LabelEN))
					}
				}
			}
			for _, ph := range c.Phases {
				cv.Phases = append(cv.Phases, phaseView{Phase: ph, Status: ph.StatusAt(now), Span: span(v, ph)})
			}
			dv.Calls = append(dv.Calls, cv)
		}
		data.Domains = append(data.Domains, dv)
	}
	h.Show(w, r, "funding-programme", v, data, refused)
}

// Import stores an uploaded programme version (content managers).
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	err := docs.Upload(r, "file", problem.New(problem.Invalid, "funding.error.file_missing"), false, func(_ string, data []byte) error {
		_, err := h.Funding.Import(r.Context(), data)
		return err
	})
	if err != nil {
		h.page(w, r, err)
		return
	}
	web.Done(w, r, "funding.imported", "/financement/programme")
}

// Source sends a stored version's YAML, to edit and import again.
func (h *Handler) Source(w http.ResponseWriter, r *http.Request) {
	version, err := web.PathID(r, "version")
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	src, err := h.Funding.Source(r.Context(), int(version))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="programme-care-v%d.yaml"`, version))
	_, _ = w.Write([]byte(src))
}

// timeline draws a call's phases on one time axis, today marked: a bar per phase
// whose dates are known, open-ended (dashed) up to the edge when its end is not
// published, a dot when only its end is.
func timeline(v *web.View, c Call, today time.Time) template.HTML {
	const left, width, row = 230, 500, 22
	lo, hi := today, today
	for _, ph := range c.Phases {
		for _, s := range []string{ph.From, ph.To} {
			if t, ok := parseDay(s); ok {
				lo, hi = minTime(lo, t), maxTime(hi, t.Add(day))
			}
		}
	}
	pad := max(hi.Sub(lo)/20, 7*day)
	lo, hi = lo.Add(-pad), hi.Add(pad)
	x := func(t time.Time) float64 {
		return left + float64(width)*float64(t.Sub(lo))/float64(hi.Sub(lo))
	}
	height := row*len(c.Phases) + 40
	var b strings.Builder
	title := v.T("funding.timeline", In(v.Lang, c.Title, c.TitleEN))
	fmt.Fprintf(&b, `<svg class="chart timeline" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, left+width+10, height, template.HTMLEscapeString(title))
	for i, ph := range c.Phases {
		y := 8 + i*row
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="11">%s</text>`, y+12, template.HTMLEscapeString(v.T("funding.phase."+ph.Name)))
		from, fromOK := parseDay(ph.From)
		to, toOK := parseDay(ph.To)
		label := template.HTMLEscapeString(v.T("funding.phase."+ph.Name) + " : " + span(v, ph))
		switch {
		case fromOK && toOK:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="14" fill="#3a6ea5"><title>%s</title></rect>`, x(from), y+2, max(x(to.Add(day))-x(from), 2), label)
		case fromOK:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="14" fill="#9dbbdc" stroke="#3a6ea5" stroke-dasharray="4 3"><title>%s</title></rect>`, x(from), y+2, max(float64(left+width)-x(from), 2), label)
		case toOK:
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="5" fill="#3a6ea5"><title>%s</title></circle>`, x(to.Add(day)), y+9, label)
		default:
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#666">%s</text>`, left, y+12, template.HTMLEscapeString(v.T("funding.unpublished")))
		}
	}
	// A tick at each new year, then today.
	for y := lo.Year() + 1; y <= hi.Year(); y++ {
		yx := x(time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#d5dbe2" stroke-dasharray="2 3"/><text x="%.1f" y="%d" font-size="10" fill="#4f5a66" text-anchor="middle">%d</text>`, yx, yx, height-24, yx, height-14, y)
	}
	tx := x(today)
	anchor := "middle"
	switch {
	case tx > left+width-80:
		anchor = "end"
	case tx < left+80:
		anchor = "start"
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#c8102e" stroke-width="2"/>`, tx, tx, height-14)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#c8102e" text-anchor="%s">%s</text>`, tx, height-2, anchor, template.HTMLEscapeString(v.T("funding.today", today.UTC().Format("02/01/2006"))))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

// span says a phase's dates in words, an unpublished one as such.
func span(v *web.View, ph Phase) string {
	from, fromOK := parseDay(ph.From)
	to, toOK := parseDay(ph.To)
	switch {
	case fromOK && toOK:
		return v.T("funding.span", from.Format("02/01/2006"), to.Format("02/01/2006"))
	case fromOK:
		return v.T("funding.span_from", from.Format("02/01/2006"))
	case toOK:
		return v.T("funding.span_to", to.Format("02/01/2006"))
	}
	return v.T("funding.status.unknown")
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Euros writes a public amount the French way (65 000 000 €); empty otherwise.
func (a Amount) Euros() string {
	if a.EUR == nil || !a.IsPublic() {
		return ""
	}
	return Euros(*a.EUR)
}

// Euros writes an amount in euros the French way: 65 000 000 €.
func Euros(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	return b.String() + "\u00a0€"
}
