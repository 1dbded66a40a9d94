// Package demo seeds an empty database with an obviously fictional programme: two
// regions, two GHT, establishments of every kind, and one account per role, so that
// a newcomer can explore the product at once.
package demo

import (
	"context"
	"fmt"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/continuity"
	"care/internal/directory"
	"care/internal/exercise"
	"care/internal/exposure"
	"care/internal/maturity"
	"care/internal/org"
	"care/internal/platform/db"
)

// Password is every demo account's password. Demo data only: never on a real instance.
const Password = "demo-care-2026"

// TOTPSecret is the second-factor secret of the demo accounts whose role requires
// one; `care totp --secret` prints its current code.
const TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// Account is one demo login.
type Account struct {
	Email string
	Role  authz.Role
	Org   string
	TOTP  bool
}

type node struct {
	key, parent string
	o           org.Org
}

// Fictional names; FINESS numbers are built on real département codes and pass the check.
var tree = []node{
	{"r1", "", org.Org{Level: org.Region, Name: "Région Armor-Océan (fictive)", Code: "R01"}},
	{"r2", "", org.Org{Level: org.Region, Name: "Région Monts-et-Volcans (fictive)", Code: "R02"}},
	{"g1", "r1", org.Org{Level: org.GHT, Name: "GHT Littoral Émeraude", Code: "GHT-LE"}},
	{"g2", "r2", org.Org{Level: org.GHT, Name: "GHT Volcans et Vallées", Code: "GHT-VV"}},
	{"chu", "g1", org.Org{Level: org.LegalEntity, Name: "CHU de Port-Émeraude", FINESS: org.CompleteFINESS("35000101"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.62}},
	{"chu-n", "chu", org.Org{Level: org.Site, Name: "CHU de Port-Émeraude — Hôpital Nord", FINESS: org.CompleteFINESS("35000102"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.35}},
	{"chu-s", "chu", org.Org{Level: org.Site, Name: "CHU de Port-Émeraude — Hôpital Sud", FINESS: org.CompleteFINESS("35000103"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.27}},
	{"ch", "g1", org.Org{Level: org.LegalEntity, Name: "Centre hospitalier de Saint-Aubin-des-Landes", FINESS: org.CompleteFINESS("35000201"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.28}},
	{"ehpad", "g1", org.Org{Level: org.LegalEntity, Name: "EHPAD Les Glycines", FINESS: org.CompleteFINESS("35000301"), Kind: org.ESSMS, Category: org.Public, ActivityWeight: 0.10}},
	{"clinique", "r1", org.Org{Level: org.LegalEntity, Name: "Clinique des Quatre-Vents", FINESS: org.CompleteFINESS("29000401"), Kind: org.ES, Category: org.PriveLucratif, ActivityWeight: 1}},
	{"chv", "g2", org.Org{Level: org.LegalEntity, Name: "Centre hospitalier de Val-Sainte-Claire", FINESS: org.CompleteFINESS("63000501"), Kind: org.ES, Category: org.Public, ActivityWeight: 0.7}},
	{"ssr", "g2", org.Org{Level: org.LegalEntity, Name: "Centre de soins de suite et de réadaptation Les Tilleuls", FINESS: org.CompleteFINESS("63000601"), Kind: org.ES, Category: org.PriveNonLucratif, ActivityWeight: 0.3}},
	{"mas", "r2", org.Org{Level: org.LegalEntity, Name: "Maison d'accueil spécialisée Le Grand Chêne", FINESS: org.CompleteFINESS("15000701"), Kind: org.ESSMS, Category: org.PriveNonLucratif, ActivityWeight: 1}},
	{"csy", "r2", org.Org{Level: org.LegalEntity, Name: "Clinique Saint-Yves-des-Prés", FINESS: org.CompleteFINESS("43000801"), Kind: org.ES, Category: org.PriveLucratif, ActivityWeight: 1}},
}

// Accounts lists the demo logins, one per role.
var Accounts = []Account{
	{"admin@demo.care.test", authz.Admin, "root", true},
	{"pilote@demo.care.test", authz.PiloteNational, "root", true},
	{"cert@demo.care.test", authz.CertSante, "root", true},
	{"ars@demo.care.test", authz.ReferentARS, "r1", true},
	{"grades@demo.care.test", authz.Grades, "r1", false},
	{"rssi.ght@demo.care.test", authz.RSSIGHT, "g1", true},
	{"direction@demo.care.test", authz.Direction, "chu", false},
	{"rssi@demo.care.test", authz.RSSI, "chu", false},
	{"dsi@demo.care.test", authz.DSI, "ch", false},
	{"pcra@demo.care.test", authz.ResponsablePCRA, "chu", false},
	{"lecteur@demo.care.test", authz.Lecteur, "ehpad", false},
}

var names = map[authz.Role]string{
	authz.Admin: "Camille Admin", authz.PiloteNational: "Dominique Pilote", authz.CertSante: "Sacha Cert",
	authz.ReferentARS: "Claude Référent", authz.Grades: "Alix Grades", authz.RSSIGHT: "Morgane Rssi-Ght",
	authz.Direction: "Jean Direction", authz.RSSI: "Lou Rssi", authz.DSI: "Noa Dsi", authz.ResponsablePCRA: "Eden Pcra",
	authz.Lecteur: "Charlie Lecteur",
}

// Seed fills an empty database (only the national root) with the demo programme.
// It reports false and does nothing when the database already holds more.
func Seed(ctx context.Context, d *db.DB, orgs *org.Service, accounts *account.Service, assessments *maturity.Service, plans *continuity.Service, edge *exposure.Service, dir *directory.Service, ex *exercise.Service) (bool, error) {
	var n int
	if err := d.Read.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM orgs) + (SELECT COUNT(*) FROM users)").Scan(&n); err != nil {
		return false, err
	}
	if n > 1 {
		return false, nil
	}
	root, err := orgs.Resolve(ctx, "national")
	if err != nil {
		return false, fmt.Errorf("demo: no national root: %w", err)
	}
	ctx = authz.WithSubject(ctx, authz.Subject{Grants: []authz.Grant{{Role: authz.Admin, OrgID: root.ID, OrgPath: root.Path}}})
	ids := map[string]int64{"root": root.ID}
	for _, nd := range tree {
		o := nd.o
		o.ParentID = root.ID
		if nd.parent != "" {
			o.ParentID = ids[nd.parent]
		}
		created, err := orgs.Create(ctx, o)
		if err != nil {
			return false, fmt.Errorf("demo: %s: %w", o.Name, err)
		}
		ids[nd.key] = created.ID
	}
	for _, a := range Accounts {
		u, _, err := accounts.Create(ctx, account.NewUser{Email: a.Email, Name: names[a.Role], Role: a.Role, OrgID: ids[a.Org]})
		if err != nil {
			return false, fmt.Errorf("demo: %s: %w", a.Email, err)
		}
		if err := accounts.SetPassword(ctx, u.ID, Password); err != nil {
			return false, err
		}
		if a.TOTP {
			if err := enableTOTP(ctx, d, u.ID); err != nil {
				return false, err
			}
		}
	}
	if err := seedAssessments(ctx, assessments, ids); err != nil {
		return false, err
	}
	if err := seedContinuity(ctx, plans, ids); err != nil {
		return false, err
	}
	if err := seedExposure(ctx, edge, ids); err != nil {
		return false, err
	}
	if err := seedFunding(ctx, d, accounts, ids); err != nil {
		return false, err
	}
	if err := seedIncidents(ctx, d, accounts, ids); err != nil {
		return false, err
	}
	if err := seedExercises(ctx, d, ex, accounts, ids); err != nil {
		return false, err
	}
	if err := seedAwareness(ctx, d, ids); err != nil {
		return false, err
	}
	if err := seedDirectory(ctx, dir, ids); err != nil {
		return false, err
	}
	return true, seedConvergence(ctx, dir, accounts, ids)
}

// enableTOTP gives a demo account the shared second-factor secret.
func enableTOTP(ctx context.Context, d *db.DB, user int64) error {
	_, err := d.Write.ExecContext(ctx, "UPDATE users SET totp_secret = $1, totp_enabled = TRUE WHERE id = $2", TOTPSecret, user)
	return err
}

// Demo self-assessments: a profile from 0 (weak) to 3 (strong) per establishment;
// the validated ones feed the roll-ups, the last one is left in draft.
var assessed = []struct {
	key     string
	profile int
	status  maturity.Status
}{
	{"chu", 2, maturity.Validated}, {"ch", 1, maturity.Validated}, {"ehpad", 0, maturity.Validated},
	{"clinique", 2, maturity.Validated}, {"chv", 3, maturity.Validated}, {"ssr", 1, maturity.Validated},
	{"csy", 1, maturity.Draft},
}

func seedAssessments(ctx context.Context, s *maturity.Service, ids map[string]int64) error {
	versions, err := s.Versions(ctx, false)
	if err != nil {
		return err
	}
	for _, v := range versions {
		q, err := s.Questionnaire(ctx, v.ID)
		if err != nil {
			return err
		}
		for i, e := range assessed {
			a, err := s.Create(ctx, v.ID, ids[e.key])
			if err != nil {
				return fmt.Errorf("demo: assessment: %w", err)
			}
			if _, err := s.SaveAnswers(ctx, a.ID, demoAnswers(q, e.profile, i)); err != nil {
				return fmt.Errorf("demo: answers: %w", err)
			}
			if e.status == maturity.Draft {
				continue
			}
			if _, err := s.Submit(ctx, a.ID); err != nil {
				return fmt.Errorf("demo: submit: %w", err)
			}
			if _, err := s.Validate(ctx, a.ID); err != nil {
				return fmt.Errorf("demo: validate: %w", err)
			}
		}
	}
	return nil
}

// demoAnswers answers every question the way an establishment of that profile
// might: graded questions near the profile's value, varied from one question to the
// next; context questions with their first option.
func demoAnswers(q maturity.Questionnaire, profile, seed int) map[string]maturity.Change {
	chosen := maturity.Answers{}
	changes := map[string]maturity.Change{}
	n := seed
	for _, t := range q.Themes {
		for _, qu := range t.Questions {
			if !q.Visible(qu, chosen) {
				continue
			}
			n++
			want := min(max(profile+(n*7%3)-1, 0), maturity.MaxValue)
			best := qu.Options[0].ID
			bestGap := 99
			for _, o := range qu.Options {
				if o.Value != nil && abs(*o.Value-want) < bestGap {
					best, bestGap = o.ID, abs(*o.Value-want)
				}
			}
			chosen[qu.ID] = best
			option := best
			changes[qu.ID] = maturity.Change{Option: &option}
		}
	}
	return changes
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
