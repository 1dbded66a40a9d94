package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"care/internal/continuity"
	"care/internal/platform/i18n"
)

// demoResource is a register entry of a demo establishment: catalogue id, RTO and
// RPO in hours (0 when not declared), offline copy, months since the last restore
// test (0 when never tested).
type demoResource struct {
	id       string
	rto, rpo int
	offline  bool
	tested   int
}

// demoActivity is an activity of a demo site: catalogue id and the horizon at which
// it becomes unacceptable.
type demoActivity struct {
	site, id string
	dmia     continuity.Horizon
}

var demoContinuity = []struct {
	entity     string
	resources  []demoResource
	activities []demoActivity
	sheets     []string
	plan       bool
}{
	{"chu", []demoResource{
		{"dpi", 24, 4, true, 5}, {"gam", 24, 4, true, 5}, {"prescription", 24, 4, true, 5}, {"sil", 12, 2, false, 20}, {"pacs", 48, 24, false, 0},
		{"ris", 48, 24, false, 0}, {"logiciel-pui", 24, 8, true, 8}, {"bloc-anesthesie", 12, 4, false, 0}, {"monitorage", 4, 1, false, 0},
		{"postes-impression", 8, 0, false, 0}, {"telephonie", 4, 0, false, 0}, {"reseau", 8, 0, false, 0}, {"annuaire-ad", 12, 24, true, 3},
		{"eai", 24, 4, false, 0}, {"insi", 0, 0, false, 0}, {"facturation", 72, 24, true, 10}, {"paie-grh", 72, 24, true, 10}, {"gef", 72, 24, true, 10},
		{"tracabilite-sterilisation", 24, 8, false, 0},
	}, []demoActivity{
		{"chu-n", "urgences", "4h"}, {"chu-n", "reanimation", "1h"}, {"chu-n", "bloc-operatoire", "24h"},
		{"chu-s", "laboratoire", "4h"}, {"chu-s", "imagerie", "24h"}, {"chu-s", "pharmacie", "24h"},
		{"chu", "admissions", "72h"}, {"chu", "paie", "1w"},
	}, []string{"urgences", "reanimation", "laboratoire"}, true},
	{"ch", []demoResource{{"dpi", 48, 24, false, 0}, {"gam", 48, 24, false, 0}, {"telephonie", 4, 0, false, 0}, {"paie-grh", 168, 24, true, 14}, {"rendez-vous", 72, 24, false, 0}},
		[]demoActivity{{"ch", "urgences", "4h"}, {"ch", "consultations", "72h"}, {"ch", "paie", "1w"}}, nil, false},
	{"ehpad", []demoResource{{"dui", 72, 24, true, 11}, {"officine-referente", 0, 0, false, 0}, {"telephonie", 8, 0, false, 0}},
		[]demoActivity{{"ehpad", "hebergement", "72h"}, {"ehpad", "distribution-medicaments", "24h"}}, []string{"distribution-medicaments"}, false},
}

// demoImpacts scores an activity that becomes unacceptable at horizon dmia on the
// criterion that matters most for its type, with the others rising more slowly.
func demoImpacts(kind string, dmia continuity.Horizon) continuity.Impacts {
	main := "patient_safety"
	if kind == continuity.TypeAdmin {
		main = "financial"
	}
	at := slices.Index(continuity.DefaultHorizons, dmia)
	imp := continuity.Impacts{}
	for _, crit := range continuity.Criteria {
		imp[crit] = map[continuity.Horizon]int{}
		for i, h := range continuity.DefaultHorizons {
			level := 1 + i/2 // slow rise: 1,1,2,2,3,3
			if crit == main {
				level = min(4, max(1, 4-(at-i)))
			} else if crit == "continuity_of_care" && kind != continuity.TypeAdmin {
				level = min(3, 1+i)
			}
			imp[crit][h] = level
		}
	}
	return imp
}

func seedContinuity(ctx context.Context, s *continuity.Service, ids map[string]int64) error {
	cat, err := continuity.LoadCatalogue()
	if err != nil {
		return err
	}
	now := time.Now()
	for _, e := range demoContinuity {
		resources := map[string]int64{}
		for _, r := range e.resources {
			cr, ok := cat.Resource(r.id)
			if !ok {
				return fmt.Errorf("demo: no catalogue resource %s", r.id)
			}
			row := continuity.ResourceRow{OrgID: ids[e.entity], CatalogueID: cr.ID, Name: cr.Name, Kind: cr.Kind, OfflineCopy: r.offline}
			if r.rto > 0 {
				rto, rpo := r.rto, r.rpo
				row.RTO, row.RPO = &rto, &rpo
				if rpo == 0 {
					row.RPO = nil
				}
				row.BackupScheme = "sauvegarde quotidienne"
				if r.offline {
					row.BackupScheme = "3-2-1 avec copie hors ligne"
				}
			}
			if r.tested > 0 {
				t := now.AddDate(0, -r.tested, 0)
				row.LastRestoreTest = &t
			}
			created, err := s.CreateResource(ctx, row)
			if err != nil {
				return fmt.Errorf("demo: resource %s: %w", r.id, err)
			}
			resources[r.id] = created.ID
		}
		for _, da := range e.activities {
			ca, _ := cat.Activity(da.id)
			a, err := s.CreateActivity(ctx, continuity.NewActivity{OrgID: ids[da.site], CatalogueID: da.id})
			if err != nil {
				return fmt.Errorf("demo: activity %s: %w", da.id, err)
			}
			b := continuity.BIA{Impacts: demoImpacts(ca.Type, da.dmia), PDMA: a.PDMA}
			due := now.AddDate(0, 6, 0)
			b.ReviewDue = &due
			for i, dep := range ca.Dependencies {
				if rid, ok := resources[dep]; ok {
					b.Dependencies = append(b.Dependencies, continuity.DependencyInput{ResourceID: rid, Critical: i < 3})
				}
			}
			if _, err := s.SaveBIA(ctx, a.ID, b); err != nil {
				return fmt.Errorf("demo: BIA %s: %w", da.id, err)
			}
			if slices.Contains(e.sheets, da.id) {
				sh, err := s.GetSheet(ctx, a.ID)
				if err == nil {
					err = s.SaveSheet(ctx, sh)
				}
				if err != nil {
					return fmt.Errorf("demo: sheet %s: %w", da.id, err)
				}
			}
		}
		if !e.plan {
			continue
		}
		due := now.AddDate(0, 8, 0)
		if err := s.SavePlan(ctx, continuity.Plan{OrgID: ids[e.entity], RPCRAName: "Eden Pcra", RPCRAEmail: "pcra@demo.care.test",
			Mission:    "Garantir la continuité des soins critiques et la reprise ordonnée du système d'information après une cyberattaque.",
			Perimeter:  "Hôpital Nord (urgences, réanimation, bloc), Hôpital Sud (laboratoire, imagerie, pharmacie), fonctions administratives du siège.",
			Calendar:   "BIA au premier trimestre, plan au deuxième, exercice au troisième, revue annuelle.",
			Governance: "Comité de continuité trimestriel présidé par le directeur général ; cellule de crise selon le plan blanc, volet numérique.",
			ReviewDue:  &due}); err != nil {
			return err
		}
		done := now.AddDate(0, -2, 0)
		if _, err := s.AddTest(ctx, continuity.PlanTest{OrgID: ids[e.entity], Title: "Exercice sur table : perte du DPI pendant 48 h", Kind: "tabletop",
			DoneOn: &done, Result: "Procédures papier des urgences tenues ; relais laboratoire par téléphone à formaliser."}); err != nil {
			return err
		}
		if e.entity == "chu" {
			// A PCA put into practice on a site in the operational phase (O1.D), and a
			// backup restored to production (O4).
			field, restore := now.AddDate(0, -1, 0), now.AddDate(0, 0, -20)
			for _, t := range []continuity.PlanTest{
				{OrgID: ids["chu-n"], Title: "Exercice terrain : urgences en mode dégradé, DPI indisponible pendant 4 h", Kind: continuity.TestExercise,
					DoneOn: &field, Result: "Fiches papier et circuit des prescriptions tenus ; retour à la normale et ressaisie en 2 h.", Actions: "Imprimer les fiches de liaison à l'avance."},
				{OrgID: ids[e.entity], Title: "Restauration en production du serveur du laboratoire", Kind: continuity.TestTechnical,
					DoneOn: &restore, Result: "Restauré en 5 h depuis la copie hors ligne ; validé par la biologiste référente."},
			} {
				if _, err := s.AddTest(ctx, t); err != nil {
					return err
				}
			}
		}
		if _, err := s.NewVersion(ctx, ids[e.entity], i18n.FR); err != nil {
			return fmt.Errorf("demo: plan: %w", err)
		}
	}
	return nil
}
