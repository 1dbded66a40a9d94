package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/exercise"
	"care/internal/funding"
	"care/internal/maturity"
	"care/internal/org"
	"care/internal/platform/db"
)

// Scale is the size of a generated programme.
type Scale struct {
	Health       int // health establishments (legal entities)
	MedicoSocial int // medico-social structures
	GHT          int
	Years        int // years of history behind today
}

// NationalScale is the size of the French programme: about 3,000 health
// establishments and 35,000 medico-social structures in 18 regions and 135 GHT
// (care-domain.md §0), with five years of history.
var NationalScale = Scale{Health: 3_000, MedicoSocial: 35_000, GHT: 135, Years: 5}

// The 18 regions with their INSEE code, a département of theirs for FINESS
// numbers, and their population in millions (INSEE, 1 January 2023) that shares
// out the establishments and GHT.
var regions = []struct {
	code, name, dept string
	people           float64
}{
	{"11", "Île-de-France", "75", 12.3}, {"24", "Centre-Val de Loire", "45", 2.6},
	{"27", "Bourgogne-Franche-Comté", "21", 2.8}, {"28", "Normandie", "76", 3.3},
	{"32", "Hauts-de-France", "59", 6.0}, {"44", "Grand Est", "67", 5.6},
	{"52", "Pays de la Loire", "44", 3.9}, {"53", "Bretagne", "35", 3.4},
	{"75", "Nouvelle-Aquitaine", "33", 6.1}, {"76", "Occitanie", "31", 6.1},
	{"84", "Auvergne-Rhône-Alpes", "69", 8.1}, {"93", "Provence-Alpes-Côte d'Azur", "13", 5.1},
	{"94", "Corse", "20", 0.35}, {"01", "Guadeloupe", "97", 0.38}, {"02", "Martinique", "97", 0.35},
	{"03", "Guyane", "97", 0.29}, {"04", "La Réunion", "97", 0.87}, {"06", "Mayotte", "97", 0.31},
}

// NationalAccounts are the logins of a generated programme: the national pilot and
// the ARS referents of two regions (a large one and an overseas one), each with the
// demo's password and second-factor secret.
var NationalAccounts = []struct{ Email, Name, Region string }{
	{"pilote@national.care.test", "Dominique Pilote", ""},
	{"ars.bretagne@national.care.test", "Claude Référent (Bretagne)", "53"},
	{"ars.reunion@national.care.test", "Maëlle Référente (La Réunion)", "04"},
}

// Generated counts what National wrote, and how long it took.
type Generated struct {
	Regions, GHT, Health, MedicoSocial                            int
	Assessments, Exercises, DirectoryAudits, ExposureScans, Plans int
	Candidatures                                                  int
	Took                                                          time.Duration
}

// Services are what the generator goes through where the product has a path for
// it (nodes, accounts, content); history rows are written in batches of SQL.
type Services struct {
	Orgs      *org.Service
	Accounts  *account.Service
	Maturity  *maturity.Service
	Exercises *exercise.Service
	Funding   *funding.Service
}

// National fills an empty database (only the national root) with a programme of
// the given scale: regions, GHT and establishments through the organisation import
// every region uses, then years of history — validated self-assessments (one
// latest per establishment), finished crisis exercises, directory audits, exposure
// scans, continuity plans with their activities, candidatures to the Domaine 1 and
// Domaine 2 calls — drawn from a fixed seed, dated back from now.
func National(ctx context.Context, d *db.DB, s Services, sc Scale, now time.Time) (Generated, error) {
	start := time.Now()
	var g Generated
	var n int
	if err := d.Read.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM orgs) + (SELECT COUNT(*) FROM users)").Scan(&n); err != nil {
		return g, err
	}
	if n > 1 {
		return g, fmt.Errorf("demo: the database is not empty (%d nodes and accounts)", n)
	}
	root, err := s.Orgs.Resolve(ctx, "national")
	if err != nil {
		return g, fmt.Errorf("demo: no national root: %w", err)
	}
	admin := authz.WithSubject(ctx, authz.Subject{Grants: []authz.Grant{{Role: authz.Admin, OrgID: root.ID, OrgPath: root.Path}}})
	rnd := rand.New(rand.NewPCG(2026, 12))
	var total float64
	for _, r := range regions {
		total += r.people
	}
	share := func(all int, people float64) int { return max(1, int(float64(all)*people/total+0.5)) }

	regionIDs := map[string]int64{}
	var rows []org.ImportRow
	for _, r := range regions {
		reg, err := s.Orgs.Create(admin, org.Org{ParentID: root.ID, Level: org.Region, Name: r.name, Code: r.code})
		if err != nil {
			return g, fmt.Errorf("demo: region %s: %w", r.name, err)
		}
		regionIDs[r.code] = reg.ID
		g.Regions++
		ghts := make([]string, share(sc.GHT, r.people))
		for i := range ghts {
			ghts[i] = fmt.Sprintf("GHT-%s-%02d", r.code, i+1)
			name := fmt.Sprintf("GHT %s n° %d", r.name, i+1)
			if _, err := s.Orgs.Create(admin, org.Org{ParentID: reg.ID, Level: org.GHT, Name: name, Code: ghts[i]}); err != nil {
				return g, fmt.Errorf("demo: %s: %w", name, err)
			}
			g.GHT++
		}
		serial := 0
		add := func(count int, kind org.Kind, label string, categories []org.Category, weights []float64, inGHT float64) {
			for i := range count {
				serial++
				base := r.dept + fmt.Sprintf("%06d", serial)
				if r.dept == "97" { // overseas départements 971 to 976
					base = "97" + r.code[1:] + fmt.Sprintf("%05d", serial)
				}
				cat := categories[pick(rnd, weights)]
				row := org.ImportRow{Line: len(rows) + 2, FINESS: org.CompleteFINESS(base), Kind: kind, Category: cat, Region: r.code,
					Name: fmt.Sprintf("%s n° %d — %s", label, i+1, r.name)}
				if cat == org.Public && rnd.Float64() < inGHT {
					row.GHT = ghts[rnd.IntN(len(ghts))]
				}
				rows = append(rows, row)
			}
		}
		// Health: about half public, nearly all of them in a GHT (the law of 2016
		// makes membership compulsory for public hospitals); medico-social: mostly
		// private non-profit, a few public ones attached to a GHT.
		add(share(sc.Health, r.people), org.ES, "Établissement de santé", []org.Category{org.Public, org.PriveNonLucratif, org.PriveLucratif}, []float64{0.45, 0.25, 0.30}, 0.95)
		add(share(sc.MedicoSocial, r.people), org.ESSMS, "Structure médico-sociale", []org.Category{org.Public, org.PriveNonLucratif, org.PriveLucratif}, []float64{0.30, 0.50, 0.20}, 0.25)
	}
	if _, err := s.Orgs.Import(admin, rows); err != nil {
		return g, fmt.Errorf("demo: import the establishments: %w", err)
	}
	entities, err := nationalEntities(ctx, d)
	if err != nil {
		return g, err
	}
	for _, e := range entities {
		if e.kind == org.ES {
			g.Health++
		} else {
			g.MedicoSocial++
		}
	}
	h := history{d: d, rnd: rnd, now: now, years: sc.Years}
	for _, step := range []func(context.Context, []entity) (int, error){
		func(ctx context.Context, es []entity) (int, error) { return h.assessments(ctx, s.Maturity, es) },
		func(ctx context.Context, es []entity) (int, error) { return h.exercises(ctx, s.Exercises, es) },
		h.directoryAudits, h.exposureScans, h.plans,
		func(ctx context.Context, es []entity) (int, error) { return h.candidatures(ctx, s.Funding, es) },
	} {
		if _, err := step(ctx, entities); err != nil {
			return g, err
		}
	}
	g.Assessments, g.Exercises, g.DirectoryAudits, g.ExposureScans, g.Plans, g.Candidatures = h.counts[0], h.counts[1], h.counts[2], h.counts[3], h.counts[4], h.counts[5]
	for _, a := range NationalAccounts {
		node := root.ID
		if a.Region != "" {
			node = regionIDs[a.Region]
		}
		role := authz.PiloteNational
		if a.Region != "" {
			role = authz.ReferentARS
		}
		u, _, err := s.Accounts.Create(admin, account.NewUser{Email: a.Email, Name: a.Name, Role: role, OrgID: node})
		if err != nil {
			return g, fmt.Errorf("demo: %s: %w", a.Email, err)
		}
		if err := s.Accounts.SetPassword(ctx, u.ID, Password); err != nil {
			return g, err
		}
		if err := enableTOTP(ctx, d, u.ID); err != nil { // both roles require a second factor
			return g, err
		}
	}
	g.Took = time.Since(start)
	return g, nil
}

// pick draws an index with the given weights (summing to 1).
func pick(rnd *rand.Rand, weights []float64) int {
	x := rnd.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// entity is a generated establishment as the history needs it.
type entity struct {
	id       int64
	kind     org.Kind
	category org.Category
	inGHT    bool
}

func nationalEntities(ctx context.Context, d *db.DB) ([]entity, error) {
	return db.List(ctx, d.Read, "demo: generated establishments", func(r db.Row) (e entity, err error) {
		return e, r.Scan(&e.id, &e.kind, &e.category, &e.inGHT)
	}, "SELECT o.id, o.kind, o.category, p.level = 'ght' FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE o.level = 'legal_entity' ORDER BY o.id")
}

// history writes years of rows behind now, counting them per kind.
type history struct {
	d      *db.DB
	rnd    *rand.Rand
	now    time.Time
	years  int
	counts [6]int
}

// day is a random moment of year y (before now for the current year).
func (h *history) day(y int) time.Time {
	from := time.Date(y, time.January, 1, 8, 0, 0, 0, time.UTC)
	return h.between(from, from.AddDate(1, 0, 0))
}

// between is a random moment from from to to, before now.
func (h *history) between(from, to time.Time) time.Time {
	if to.After(h.now) {
		to = h.now
	}
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(h.rnd.Int64N(int64(to.Sub(from)))))
}

func (h *history) firstYear() int { return h.now.Year() - h.years + 1 }

// assessments: most health establishments validate the maturity grid once a year,
// a third of medico-social structures now and then, their score rising with time.
func (h *history) assessments(ctx context.Context, s *maturity.Service, es []entity) (int, error) {
	var qid int64
	if err := h.d.Read.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE slug = 'questionnaire-maturite' ORDER BY version DESC LIMIT 1").Scan(&qid); err != nil {
		return 0, fmt.Errorf("demo: the maturity questionnaire: %w", err)
	}
	q, err := s.Questionnaire(ctx, qid)
	if err != nil {
		return 0, err
	}
	var rows [][]any
	for _, e := range es {
		odds := 0.9
		if e.kind == org.ESSMS {
			odds = 0.35
		}
		if h.rnd.Float64() >= odds {
			continue
		}
		base := 20 + h.rnd.Float64()*40
		var years []int
		for y := h.firstYear(); y <= h.now.Year(); y++ {
			if e.kind == org.ES || h.rnd.Float64() < 0.4 {
				years = append(years, y)
			}
		}
		for i, y := range years {
			pct := min(100, base+float64(i)*(4+h.rnd.Float64()*6))
			level := ""
			for _, l := range q.Levels {
				if pct >= l.Min {
					level = l.Code
				}
			}
			var themes []string
			for _, t := range q.Themes {
				themes = append(themes, fmt.Sprintf("%s=%.0f", t.ID, min(100, max(0, pct+h.rnd.Float64()*30-15))))
			}
			at := h.day(y)
			rows = append(rows, []any{e.id, qid, "validated", at, at, at, at, level, pct, strings.Join(themes, ";"), i == len(years)-1})
		}
	}
	h.counts[0] = len(rows)
	return len(rows), h.insert(ctx, "assessments (org_id, questionnaire_id, status, created_at, updated_at, submitted_at, validated_at, level, percent, theme_scores, latest)", rows)
}

// exercises: a finished crisis exercise in a year for a growing share of health
// establishments (the yearly instruction), rarer in medico-social structures.
func (h *history) exercises(ctx context.Context, s *exercise.Service, es []entity) (int, error) {
	kits := map[string][]byte{}
	for _, id := range []string{"kit-debutant", "kit-intermediaire", "kit-confirme"} {
		k, err := s.Kit(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("demo: kit %s: %w", id, err)
		}
		k.Animator.Stimuli = nil // an exercise keeps its kit without the stimuli
		if kits[id], err = json.Marshal(k); err != nil {
			return 0, err
		}
	}
	levels := []string{"debutant", "intermediaire", "confirme"}
	var rows [][]any
	for _, e := range es {
		for i, y := 0, h.firstYear(); y <= h.now.Year(); i, y = i+1, y+1 {
			odds := 0.45 + 0.1*float64(i)
			if e.kind == org.ESSMS {
				odds = 0.05 + 0.05*float64(i)
			}
			if h.rnd.Float64() >= odds {
				continue
			}
			level := levels[min(i/2, 2)]
			start := h.day(y)
			end := start.Add(3 * time.Hour)
			rows = append(rows, []any{e.id, "kit-" + level, 1, kits["kit-"+level], fmt.Sprintf("Exercice de crise %d", y), level, "finished", start, start, end, start})
		}
	}
	h.counts[1] = len(rows)
	return len(rows), h.insert(ctx, "exercises (org_id, kit_id, kit_version, kit, title, level, status, planned_for, started_at, finished_at, created_at)", rows)
}

// directoryAudits: health establishments with an Active Directory audit it twice a
// year once they start, the level climbing from 1 towards 4.
func (h *history) directoryAudits(ctx context.Context, es []entity) (int, error) {
	empty := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0} // gzip of nothing
	var rows [][]any
	for _, e := range es {
		if e.kind != org.ES || h.rnd.Float64() >= 0.7 {
			continue
		}
		level := 1
		domain := fmt.Sprintf("etab%d.sante.test", e.id)
		first := len(rows)
		for y := h.firstYear() + h.rnd.IntN(h.years); y <= h.now.Year(); y++ {
			for half := range 2 { // one audit in each half of the year
				from := time.Date(y, time.Month(1+6*half), 1, 8, 0, 0, 0, time.UTC)
				if from.After(h.now) {
					continue
				}
				at := h.between(from, from.AddDate(0, 6, 0))
				if h.rnd.Float64() < 0.4 {
					level = min(level+1, 4)
				}
				objects := 2_000 + h.rnd.IntN(18_000)
				rows = append(rows, []any{e.id, "import", "file", true, "", domain, "DC=" + strings.ReplaceAll(domain, ".", ",DC="), at, level, objects, 10 - 2*level, "{}", empty, fmt.Sprintf("generated-%d-%d", e.id, at.Unix()), at, false})
			}
		}
		markLast(rows[first:])
	}
	h.counts[2] = len(rows)
	return len(rows), h.insert(ctx, "directory_audits (org_id, source, transport, verified, server, domain, base_dn, collected_at, level, objects, failed, results, snapshot, snapshot_sha256, created_at, latest)", rows)
}

// exposureScans: health establishments that declared targets scan them each
// quarter; the level follows what the scans found.
func (h *history) exposureScans(ctx context.Context, es []entity) (int, error) {
	var rows [][]any
	for _, e := range es {
		if e.kind != org.ES || h.rnd.Float64() >= 0.6 {
			continue
		}
		level := 1 + h.rnd.IntN(3)
		first := len(rows)
		for at := time.Date(h.firstYear(), time.Month(1+h.rnd.IntN(3)), 1+h.rnd.IntN(28), 22, 0, 0, 0, time.UTC); at.Before(h.now); at = at.AddDate(0, 3, 0) {
			if h.rnd.Float64() < 0.15 {
				level = min(level+1, 5)
			}
			rows = append(rows, []any{e.id, "done", "top", 4, 400, 400, level, at, at, at.Add(4 * time.Minute), false})
		}
		markLast(rows[first:])
	}
	h.counts[3] = len(rows)
	return len(rows), h.insert(ctx, "exposure_scans (org_id, status, ports, addresses, done, total, level, created_at, started_at, finished_at, latest)", rows)
}

// plans: half of the health establishments have a continuity plan with their
// activities, the impact analysis done for some.
func (h *history) plans(ctx context.Context, es []entity) (int, error) {
	var plans, activities [][]any
	names := []string{"Urgences", "Bloc opératoire", "Laboratoire", "Imagerie", "Pharmacie", "Admissions", "Consultations", "Hospitalisation complète"}
	for _, e := range es {
		if e.kind != org.ES || h.rnd.Float64() >= 0.5 {
			continue
		}
		at := h.day(h.firstYear() + h.rnd.IntN(h.years))
		plans = append(plans, []any{e.id, "Responsable PCRA", at, at})
		for _, n := range names {
			var bia any
			if h.rnd.Float64() < 0.6 {
				bia = at
			}
			activities = append(activities, []any{e.id, n, "care", bia, at, at})
		}
	}
	h.counts[4] = len(plans)
	if err := h.insert(ctx, "continuity_plans (org_id, rpcra_name, created_at, updated_at)", plans); err != nil {
		return 0, err
	}
	return len(plans), h.insert(ctx, "activities (org_id, name, type, bia_updated_at, created_at, updated_at)", activities)
}

// candidatures: establishments candidate to the Domaine 1 and Domaine 2 calls
// inside their candidature window; the ARS has decided most of them.
func (h *history) candidatures(ctx context.Context, s *funding.Service, es []entity) (int, error) {
	p, err := s.Programme(ctx)
	if err != nil {
		return 0, err
	}
	var rows [][]any
	for _, id := range []string{"d1-2024", "d2-2025"} {
		call, ok := p.Call(id)
		if !ok {
			return 0, fmt.Errorf("demo: no call %s in the programme", id)
		}
		from, to := call.Phase("candidature")
		for _, e := range es {
			parent := org.Region
			if e.inGHT {
				parent = org.GHT
			}
			cat, why := funding.CategoryOf(org.Org{Level: org.LegalEntity, Kind: e.kind, Category: e.category}, parent)
			if why != "" || h.rnd.Float64() >= 0.5 {
				continue
			}
			if ok, _ := call.Accepts(cat); !ok {
				continue
			}
			if from.IsZero() || to.IsZero() || to.After(h.now) {
				continue
			}
			on := from.Add(time.Duration(h.rnd.Int64N(int64(to.Sub(from)))))
			status, reason, decided := funding.Accepted, "", any(on.AddDate(0, 0, 20))
			switch x := h.rnd.Float64(); {
			case x < 0.1:
				status, reason = funding.Rejected, "Prérequis non justifiés."
			case x < 0.2:
				status, decided = funding.Submitted, nil
			}
			rows = append(rows, []any{e.id, call.ID, call.Domain, cat, p.Version, status, reason, on, decided})
		}
	}
	h.counts[5] = len(rows)
	return len(rows), h.insert(ctx, "funding_candidatures (org_id, call_id, domain, category, programme_version, status, reason, submitted_at, decided_at)", rows)
}

// markLast flags the last of one node's rows, in time order, as its latest (the
// row's last value).
func markLast(rows [][]any) {
	if len(rows) > 0 {
		last := rows[len(rows)-1]
		last[len(last)-1] = true
	}
}

// insert writes rows in one transaction, in batches of one statement each.
func (h *history) insert(ctx context.Context, into string, rows [][]any) error {
	return h.d.Tx(ctx, func(tx *sql.Tx) error { return db.InsertRows(ctx, tx, into, rows) })
}
