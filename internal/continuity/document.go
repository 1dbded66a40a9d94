package continuity

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/docs"
	"care/internal/platform/i18n"
)

// BuildPlan writes the PCRA from the data, in the structure the plan needs: context
// and perimeter, governance and crisis organisation, BIA results, strategies,
// degraded modes, recovery priorities, contacts, test programme, upkeep.
// The document names the establishment and the day it was built (at), and the
// latest recorded version, if any.
func BuildPlan(l i18n.Lang, cat Catalogue, orgName string, at time.Time, p Plan, acts []Activity, res []ResourceRow, gaps []Gap,
	sheets map[int64]Sheet, tests []PlanTest, versions []Version) docs.Doc {
	subtitle := l.T("continuity.doc.subtitle_draft", at.Format("02/01/2006"))
	if len(versions) > 0 {
		subtitle = l.T("continuity.doc.subtitle", versions[0].Version, versions[0].CreatedAt.Format("02/01/2006"), at.Format("02/01/2006"))
	}
	d := docs.Doc{Title: l.T("continuity.doc.title", orgName), Subtitle: subtitle, Lang: string(l)}
	or := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return l.T("continuity.doc.to_fill")
		}
		return s
	}

	d.H(1, l.T("continuity.doc.s1"))
	d.P(or(p.Mission))
	d.H(2, l.T("continuity.doc.perimeter"))
	d.P(or(p.Perimeter))
	var perim [][]string
	for _, a := range acts {
		perim = append(perim, []string{a.OrgName, a.Name, l.T("continuity.type." + a.Type)})
	}
	d.Table([]string{l.T("continuity.doc.site"), l.T("continuity.doc.activity"), l.T("continuity.doc.type")}, perim)

	d.H(1, l.T("continuity.doc.s2"))
	d.P(l.T("continuity.doc.rpcra", or(p.RPCRAName), or(p.RPCRAEmail)))
	d.P(or(p.Governance))
	d.H(2, l.T("continuity.doc.calendar"))
	d.P(or(p.Calendar))

	d.H(1, l.T("continuity.doc.s3"))
	d.P(l.T("continuity.doc.bia_intro"))
	var bia [][]string
	for _, a := range acts {
		bia = append(bia, []string{a.Name, hoursText(l, a.EffectiveDMIA()), hoursText(l, a.PDMA), overrideText(l, a), depsText(a)})
	}
	d.Table([]string{l.T("continuity.doc.activity"), "DMIA", "PDMA", l.T("continuity.doc.override"), l.T("continuity.doc.dependencies")}, bia)
	for _, cr := range cat.Criteria {
		var items []string
		for _, lv := range cr.Levels {
			items = append(items, fmt.Sprintf("%d — %s : %s", lv.Level, lv.Label, lv.Description))
		}
		d.H(3, cr.Name)
		d.List(items...)
	}

	d.H(1, l.T("continuity.doc.s4"))
	var gapRows [][]string
	for _, g := range gaps {
		if g.RequiredRTO == nil && g.RequiredRPO == nil {
			continue
		}
		status := l.T("continuity.gap.ok")
		if g.HasGap() {
			status = l.T("continuity.gap.short")
		}
		basis := ""
		if g.RTOBasis != nil {
			basis = g.RTOBasis.Text(l)
		}
		gapRows = append(gapRows, []string{g.Resource.Name, hoursText(l, g.RequiredRTO), hoursText(l, g.Resource.RTO), hoursText(l, g.RequiredRPO), hoursText(l, g.Resource.RPO), status, basis})
	}
	d.P(l.T("continuity.doc.strategy_intro"))
	d.Table([]string{l.T("continuity.doc.resource"), l.T("continuity.doc.rto_needed"), l.T("continuity.doc.rto_actual"), l.T("continuity.doc.rpo_needed"), l.T("continuity.doc.rpo_actual"),
		l.T("continuity.doc.status"), l.T("continuity.doc.rto_basis")}, gapRows)
	var backups [][]string
	for _, r := range res {
		if r.Kind != "application" && r.Kind != "infrastructure" {
			continue
		}
		test := "—"
		if r.LastRestoreTest != nil {
			test = r.LastRestoreTest.Format("02/01/2006")
		}
		backups = append(backups, []string{r.Name, or(r.BackupScheme), yesNo(l, r.OfflineCopy || r.ImmutableCopy), test})
	}
	d.H(2, l.T("continuity.doc.backups"))
	d.Table([]string{l.T("continuity.doc.resource"), l.T("continuity.doc.scheme"), l.T("continuity.doc.offline"), l.T("continuity.doc.restore_test")}, backups)

	d.H(1, l.T("continuity.doc.s5"))
	for _, a := range acts {
		sh, ok := sheets[a.ID]
		if !ok {
			continue
		}
		d.H(2, a.Name)
		d.P(l.T("continuity.sheet.trigger") + " : " + sh.Trigger)
		d.H(3, l.T("continuity.sheet.first_actions"))
		d.List(Lines(sh.FirstActions)...)
		d.H(3, l.T("continuity.sheet.paper_forms"))
		d.List(Lines(sh.PaperForms)...)
		d.H(3, l.T("continuity.sheet.roles"))
		d.List(Lines(sh.Roles)...)
		d.P(l.T("continuity.sheet.communication") + " : " + sh.Communication)
		d.P(l.T("continuity.sheet.return_to_normal") + " : " + sh.ReturnToNormal)
		d.P(l.T("continuity.sheet.rekeying") + " : " + sh.Rekeying)
	}
	if len(sheets) == 0 {
		d.P(l.T("continuity.doc.no_sheets"))
	}

	d.H(1, l.T("continuity.doc.s6"))
	var order []string
	for _, g := range gaps {
		if g.RequiredRTO != nil {
			order = append(order, fmt.Sprintf("%d. %s — %s %s", g.Order, g.Resource.Name, l.T("continuity.doc.rto_needed"), hoursText(l, g.RequiredRTO)))
		}
	}
	d.List(order...)

	d.H(1, l.T("continuity.doc.s7"))
	d.P(l.T("continuity.doc.contacts_intro"))
	// continuity.doc.cert: what must be reported are the "incidents significatifs ou
	// graves" of décret n° 2022-715 of 27 April 2022 (CSP art. L.1111-8-2, D.1111-16-2),
	// on the portail de signalement; the CERT Santé's 24/7 emergency number is the
	// one the ANS page of the CaRE programme gives ("09 72 43 91 25 en cas d'urgence").
	d.List(l.T("continuity.doc.rpcra", or(p.RPCRAName), or(p.RPCRAEmail)), l.T("continuity.doc.cert"), l.T("continuity.doc.ars"))

	d.H(1, l.T("continuity.doc.s8"))
	var testRows [][]string
	for _, t := range tests {
		testRows = append(testRows, []string{t.Title, l.T("continuity.test." + t.Kind), dateText(t.PlannedOn), dateText(t.DoneOn), t.Result})
	}
	d.Table([]string{l.T("continuity.doc.test"), l.T("continuity.doc.type"), l.T("continuity.doc.planned"), l.T("continuity.doc.done"), l.T("continuity.doc.result")}, testRows)

	d.H(1, l.T("continuity.doc.s9"))
	d.P(l.T("continuity.doc.review", dateText(p.ReviewDue)))
	var log [][]string
	for _, v := range versions {
		log = append(log, []string{strconv.Itoa(v.Version), v.CreatedAt.Format("02/01/2006 15:04"), v.ChangeLog})
	}
	d.Table([]string{"Version", l.T("continuity.doc.date"), l.T("continuity.doc.changes")}, log)
	d.P(cat.Notice)
	return d
}

// Text tells the reasoning behind a required RTO in language l.
func (b Basis) Text(l i18n.Lang) string {
	if b.FromSheet {
		return l.T("continuity.gap.basis_sheet", b.Activity, b.Hours, b.Margin, b.Required)
	}
	return l.T("continuity.gap.basis_dmia", b.Activity, b.Hours, b.Margin, b.Required)
}

func hoursText(l i18n.Lang, h *int) string {
	if h == nil {
		return "—"
	}
	return l.T("continuity.hours", *h)
}

func overrideText(l i18n.Lang, a Activity) string {
	if a.DMIAOverride == nil {
		return ""
	}
	return l.T("continuity.doc.override_text", hoursText(l, a.ComputedDMIA()), a.DMIAJustification)
}

func depsText(a Activity) string {
	var parts []string
	for _, d := range a.Dependencies {
		if d.Critical {
			parts = append(parts, d.Name+" (!)")
		} else {
			parts = append(parts, d.Name)
		}
	}
	return strings.Join(parts, ", ")
}

func yesNo(l i18n.Lang, b bool) string {
	if b {
		return l.T("continuity.yes")
	}
	return l.T("continuity.no")
}

func dateText(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.Format("02/01/2006")
}
