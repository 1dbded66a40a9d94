package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"care/internal/account"
	"care/internal/audit"
	"care/internal/authz"
	"care/internal/catalogue"
	"care/internal/continuity"
	"care/internal/directory"
	"care/internal/exercise"
	"care/internal/exposure"
	"care/internal/funding"
	"care/internal/incident"
	"care/internal/insight"
	"care/internal/maturity"
	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // "METHOD /path"
	Handler http.Handler
	Access  access
}

// sized is a handler whose route accepts bodies up to limit bytes instead of
// MaxBody: file uploads.
type sized struct {
	http.Handler
	limit int64
}

// upTo lets a route's body reach n bytes.
func upTo(n int64, h http.Handler) http.Handler { return sized{h, n} }

type access int

const (
	public  access = iota // anyone
	login                 // a logged-in person (UI)
	partial               // a half-logged-in person (second-factor pages)
	api                   // a bearer token
)

// Routes lists every route of the product: this function is its table of contents.
func (s *Server) Routes() []Route {
	a := s.account
	pages := web.Pages{Render: s.Render, View: s.view}
	users := &account.Users{Handler: a, Orgs: s.Orgs}
	orgs := &org.Handler{Pages: pages, Orgs: s.Orgs}
	trail := &audit.Handler{Reader: s.Audit, Render: s.Render, View: s.view}
	cont := &continuity.Handler{Pages: web.Pages{Render: s.Render, View: s.view}, Continuity: s.Continuity, Orgs: s.Orgs, PDF: s.PDF}
	dir := &directory.Handler{Pages: pages, Directory: s.Directory, Orgs: s.Orgs, PDF: s.PDF}
	expo := &exposure.Handler{Pages: pages, Exposure: s.Exposure, Orgs: s.Orgs, PDF: s.PDF}
	mat := &maturity.Handler{Pages: pages, Assessments: s.Maturity, Orgs: s.Orgs, PDF: s.PDF}
	ex := &exercise.Handler{Pages: pages, Exercises: s.Exercises, Orgs: s.Orgs, PDF: s.PDF}
	fund := &funding.Handler{Pages: pages, Funding: s.Funding, Orgs: s.Orgs}
	view := &insight.Handler{Pages: pages, Insight: s.Insight, Orgs: s.Orgs, Now: time.Now}
	inc := &incident.Handler{Pages: pages, Incidents: s.Incidents, Orgs: s.Orgs, PDF: s.PDF}
	cat := &catalogue.Handler{Pages: pages, Catalogue: s.Catalogue, Orgs: s.Orgs}
	f := func(fn http.HandlerFunc) http.Handler { return fn }

	return []Route{
		// Infrastructure
		{"GET /healthz", f(s.healthz), public},
		{"GET /readyz", f(s.readyz), public},
		{"GET /metrics", f(s.metrics), public}, // checks the admin token itself
		{"GET /static/", web.Static(), public},
		{"GET /api/v1/openapi.json", f(serveOpenAPI), public},

		// Login, second factor, password reset, language
		{"GET /connexion", f(a.LoginPage), public},
		{"POST /connexion", f(a.Login), public},
		{"POST /connexion/cle-d-acces/options", f(a.PasskeyLoginOptions), public},
		{"POST /connexion/cle-d-acces", f(a.PasskeyLogin), public},
		{"GET /connexion/oidc/{id}", f(a.OIDCStart), public},
		{"GET /connexion/oidc/{id}/retour", f(a.OIDCReturn), public},
		{"GET /connexion/code", f(a.CodePage), partial},
		{"POST /connexion/code", f(a.Code), partial},
		{"GET /connexion/mot-de-passe", f(a.FirstPasswordPage), partial},
		{"POST /connexion/mot-de-passe", f(a.FirstPassword), partial},
		{"GET /connexion/double-facteur", f(a.EnrolPage), partial},
		{"POST /connexion/double-facteur", f(a.Enrol), partial},
		{"POST /connexion/double-facteur/cle-d-acces/options", f(a.RaisePasskeyOptions), partial},
		{"POST /connexion/double-facteur/cle-d-acces", f(a.RaisePasskey), partial},
		{"POST /deconnexion", f(a.Logout), public},
		{"GET /mot-de-passe-oublie", f(a.ForgotPage), public},
		{"POST /mot-de-passe-oublie", f(a.Forgot), public},
		{"GET /reinitialisation/{token}", f(a.ResetPage), public},
		{"POST /reinitialisation/{token}", f(a.Reset), public},
		{"POST /langue", f(a.SetLanguage), public},

		// Home and profile
		{"GET /{$}", f(s.home), login},
		{"GET /accueil.csv", f(s.homeCSV), login},
		{"GET /profil", f(a.Profile), login},
		{"POST /profil/mot-de-passe", f(a.ChangePassword), login},
		{"GET /profil/double-facteur", f(a.EnrolPage), login},
		{"POST /profil/double-facteur", f(a.Enrol), login},
		{"POST /profil/sessions/{handle}/revoquer", f(a.RevokeSession), login},
		{"POST /profil/cles-d-acces/options", f(a.PasskeyOptions), login},
		{"POST /profil/cles-d-acces", f(a.AddPasskey), login},
		{"POST /profil/cles-d-acces/{id}/renommer", f(a.RenamePasskey), login},
		{"POST /profil/cles-d-acces/{id}/supprimer", f(a.RevokePasskey), login},
		{"POST /profil/jetons", f(a.CreateToken), login},
		{"POST /profil/jetons/{id}/revoquer", f(a.RevokeToken), login},

		// Organisation tree
		{"GET /organisations", f(orgs.Tree), login},
		{"GET /organisations/choix", f(orgs.ChoicesPage), login},
		{"GET /organisations/import", f(orgs.ImportPage), login},
		{"POST /organisations/import", upTo(org.MaxImportBytes, f(orgs.Import)), login},
		{"GET /organisations/{org}", f(orgs.Detail), login},
		{"GET /organisations/{org}/enfants", f(orgs.Children), login},
		{"GET /organisations/{org}/nouveau", f(orgs.NewPage), login},
		{"POST /organisations/{org}/nouveau", f(orgs.Create), login},
		{"GET /organisations/{org}/modifier", f(orgs.EditPage), login},
		{"POST /organisations/{org}/modifier", f(orgs.Edit), login},
		{"POST /organisations/{org}/archiver", orgs.Archive(true), login},
		{"POST /organisations/{org}/restaurer", orgs.Archive(false), login},

		// Users and roles
		{"GET /utilisateurs", f(users.List), login},
		{"GET /utilisateurs/nouveau", f(users.NewPage), login},
		{"POST /utilisateurs/nouveau", f(users.Create), login},
		{"GET /utilisateurs/{id}", f(users.Detail), login},
		{"POST /utilisateurs/{id}/roles", f(users.Grant), login},
		{"POST /utilisateurs/{id}/roles/{mid}/retirer", f(users.Revoke), login},
		{"POST /utilisateurs/{id}/identifiant-national", f(users.SetProfessionalID), login},
		{"POST /utilisateurs/{id}/desactiver", users.SetDisabled(true), login},
		{"POST /utilisateurs/{id}/reactiver", users.SetDisabled(false), login},

		// Self-assessment
		{"GET /autoevaluations", f(mat.List), login},
		{"POST /autoevaluations", f(mat.Create), login},
		{"GET /autoevaluations/{id}", f(mat.Fill), login},
		{"POST /autoevaluations/{id}/reponses", f(mat.Save), login},
		{"POST /autoevaluations/{id}/preuves", upTo(docs.MaxAttachment+64<<10, f(mat.AddEvidence)), login},
		{"GET /autoevaluations/{id}/preuves/{eid}", f(mat.Evidence), login},
		{"POST /autoevaluations/{id}/preuves/{eid}/supprimer", f(mat.DeleteEvidence), login},
		{"POST /autoevaluations/{id}/soumettre", mat.Transition(maturity.Review), login},
		{"POST /autoevaluations/{id}/rouvrir", mat.Transition(maturity.Draft), login},
		{"POST /autoevaluations/{id}/valider", mat.Transition(maturity.Validated), login},
		{"POST /autoevaluations/{id}/verrouiller", mat.Transition(maturity.Locked), login},
		{"GET /autoevaluations/{id}/resultats", f(mat.Results), login},
		{"GET /autoevaluations/{id}/restitution.pdf", f(mat.ReportPDF), login},
		{"GET /autoevaluations/{id}/reponses.xlsx", f(mat.AnswersXLSX), login},
		{"GET /autoevaluations/{id}/comparer", f(mat.Compare), login},
		{"GET /syntheses", f(mat.RollUpPage), login},
		{"GET /questionnaires", f(mat.Questionnaires), login},
		{"POST /questionnaires", upTo(maturity.MaxFileSize+64<<10, f(mat.Import)), login},
		{"GET /questionnaires/{id}/source", f(mat.Source), login},

		// Continuity
		{"GET /continuite", f(cont.Dashboard), login},
		{"POST /continuite/noeud/{org}/cadrage", f(cont.SavePlan), login},
		{"POST /continuite/noeud/{org}/activites", f(cont.CreateActivity), login},
		{"POST /continuite/noeud/{org}/ressources", f(cont.CreateResource), login},
		{"POST /continuite/noeud/{org}/ressources/import", upTo(continuity.MaxImport+64<<10, f(cont.ImportResources)), login},
		{"POST /continuite/noeud/{org}/tests", f(cont.AddTest), login},
		{"GET /continuite/noeud/{org}/pcra", f(cont.Document), login},
		{"POST /continuite/noeud/{org}/versions", f(cont.NewVersion), login},
		{"GET /continuite/activites/{id}", f(cont.ActivityPage), login},
		{"POST /continuite/activites/{id}", f(cont.SaveBIA), login},
		{"GET /continuite/activites/{id}/mode-degrade", f(cont.SheetPage), login},
		{"POST /continuite/activites/{id}/mode-degrade", f(cont.SaveSheet), login},

		// Internet exposure
		{"GET /exposition", f(expo.Page), login},
		{"POST /exposition/noeud/{org}/cibles", f(expo.AddTarget), login},
		{"POST /exposition/noeud/{org}/analyses", f(expo.StartScan), login},
		{"POST /exposition/noeud/{org}/silene", upTo(docs.MaxAttachment+64<<10, f(expo.RecordSilene)), login},
		{"GET /exposition/noeud/{org}/silene/{id}", f(expo.SileneReport), login},
		{"POST /exposition/analyses/{id}/annuler", f(expo.CancelScan), login},
		{"GET /exposition/noeud/{org}/constats.xlsx", f(expo.ExportXLSX), login},
		{"GET /exposition/noeud/{org}/rapport.pdf", f(expo.ReportPDF), login},
		{"POST /exposition/constats/{id}", f(expo.SetStatus), login},

		// Active Directory audit
		{"GET /annuaire", f(dir.Page), login},
		{"POST /annuaire/noeud/{org}/audits", f(dir.Run), login},
		{"POST /annuaire/noeud/{org}/import", upTo(directory.MaxImport+64<<10, f(dir.Import)), login},
		{"POST /annuaire/noeud/{org}/source", f(dir.SaveSource), login},
		{"POST /annuaire/noeud/{org}/cle", f(dir.RenewImportKey), login},
		{"POST /annuaire/noeud/{org}/suivi/{check}", f(dir.FollowUp), login},
		{"GET /annuaire/noeud/{org}/convergence", f(dir.ConvergencePage), login},
		{"POST /annuaire/noeud/{org}/convergence", f(dir.SaveConvergenceForm), login},
		{"GET /annuaire/audits/{id}", f(dir.AuditPage), login},
		{"GET /annuaire/audits/{id}/resultats.xlsx", f(dir.ExportXLSX), login},
		{"GET /annuaire/audits/{id}/rapport.pdf", f(dir.ReportPDF), login},

		// Crisis exercises
		{"GET /exercices", f(ex.List), login},
		{"POST /exercices", f(ex.Create), login},
		{"GET /exercices/annuel", f(ex.YearlyPage), login},
		{"GET /exercices/annuel.csv", f(ex.YearlyCSV), login},
		{"GET /exercices/annuel.xlsx", f(ex.YearlyXLSX), login},
		{"GET /exercices/{id}", f(ex.Page), login},
		{"GET /exercices/{id}/flux", f(ex.APIEvents), login},
		{"POST /exercices/{id}/etat", f(ex.Step), login},
		{"POST /exercices/{id}/planifier", f(ex.Plan), login},
		{"POST /exercices/{id}/chronogramme", f(ex.Import), login},
		{"POST /exercices/{id}/participants", f(ex.AddParticipant), login},
		{"POST /exercices/{id}/invitations", f(ex.Invite), login},
		{"GET /exercices/{id}/note", f(ex.NoticePage), login},
		{"POST /exercices/{id}/stimuli/{sid}", f(ex.StimulusAction), login},
		{"POST /exercices/{id}/main-courante", f(ex.PostLog), login},
		{"POST /exercices/{id}/taches/{lid}", f(ex.DoneTask), login},
		{"POST /exercices/{id}/grille", f(ex.Mark), login},
		{"GET /exercices/{id}/retex", f(ex.RetexPage), login},
		{"GET /exercices/{id}/retex/rapport", f(ex.APIRetexReport), login},
		{"POST /exercices/{id}/retex", f(ex.SaveRetex), login},
		{"POST /exercices/{id}/actions", f(ex.SaveAction), login},

		// CaRE programme: funding domains and calls
		{"GET /financement/programme", f(fund.Page), login},
		{"POST /financement/programme", upTo(funding.MaxFileSize+64<<10, f(fund.Import)), login},
		{"GET /financement/programme/versions/{version}", f(fund.Source), login},
		{"GET /financement/candidatures", f(fund.CandidaturesPage), login},
		{"GET /programme", f(view.Page), login},
		{"GET /programme/export.csv", f(view.Export), login},
		{"GET /programme/export.xlsx", f(view.Export), login},
		{"POST /financement/candidatures", f(fund.SubmitForm), login},
		{"GET /financement/candidatures/{id}", f(fund.CandidaturePage), login},
		{"POST /financement/candidatures/{id}/decision", f(fund.DecideForm), login},
		{"POST /financement/candidatures/{id}/retrait", f(fund.WithdrawForm), login},
		{"POST /financement/candidatures/{id}/preuves", upTo(docs.MaxAttachment+64<<10, f(fund.EvidenceForm)), login},
		{"GET /financement/candidatures/{id}/preuves/{eid}", f(fund.EvidenceDownload), login},
		{"POST /financement/candidatures/{id}/declaration", f(fund.DeclareForm), login},
		{"POST /financement/candidatures/{id}/objectifs/{code}/verification", f(fund.VerifyForm), login},
		{"POST /financement/candidatures/{id}/controle", f(fund.ControlForm), login},
		{"POST /financement/candidatures/{id}/paiement", f(fund.PaymentForm), login},

		// Security incidents: declaration, follow-up with CERT Santé, statistics
		{"GET /incidents", f(inc.ListPage), login},
		{"GET /incidents/nouveau", f(inc.NewPage), login},
		{"POST /incidents/nouveau", f(inc.Create), login},
		{"GET /incidents/statistiques", f(inc.StatsPage), login},
		{"GET /incidents/flux", f(inc.Stream), login},
		{"GET /incidents/{id}", f(inc.Page), login},
		{"POST /incidents/{id}/brouillon", f(inc.Save), login},
		{"POST /incidents/{id}/soumettre", f(inc.Submit), login},
		{"POST /incidents/{id}/suivi", f(inc.AddEntry), login},
		{"POST /incidents/{id}/qualification", f(inc.Qualify), login},
		{"POST /incidents/{id}/cloture", f(inc.CloseIncident), login},
		{"POST /incidents/{id}/partage", f(inc.ShareIncident), login},
		{"POST /incidents/{id}/portail", f(inc.Portal), login},
		{"POST /incidents/{id}/liens", f(inc.Links), login},
		{"POST /incidents/{id}/pieces", upTo(docs.MaxAttachment+64<<10, f(inc.AttachFile)), login},
		{"GET /incidents/{id}/pieces/{file}", f(inc.Download), login},
		{"GET /incidents/{id}/declaration.pdf", f(inc.DocumentPDF), login},

		// Catalogue of cyber offers, recommendations, awareness
		{"GET /offres", f(cat.Page), login},
		{"POST /offres", f(cat.Create), login},
		{"POST /offres/import", upTo(catalogue.MaxImport+64<<10, f(cat.Import)), login},
		{"GET /offres/recommandations", f(cat.RecommendPage), login},
		{"GET /offres/{id}", f(cat.OfferPage), login},
		{"POST /offres/{id}", f(cat.Update), login},
		{"POST /offres/{id}/suppression", f(cat.Delete), login},
		{"GET /sensibilisation", f(cat.AwarenessPage), login},
		{"POST /sensibilisation", f(cat.SaveAwareness), login},

		// Identity: providers (read-only, from --oidc-config) and the policy per role
		{"GET /administration/identite", f(a.IdentityPage), login},
		{"POST /administration/identite/politique", f(a.SavePolicies), login},

		// Audit trail
		{"GET /journal", f(trail.List), login},
		{"GET /journal.csv", f(trail.Export), login},

		// API
		{"GET /api/v1/orgs", f(orgs.APIList), api},
		{"POST /api/v1/orgs", f(orgs.APICreate), api},
		{"POST /api/v1/orgs/import", upTo(org.MaxImportBytes, f(orgs.APIImport)), api},
		{"GET /api/v1/orgs/{id}", f(orgs.APIGet), api},
		{"PATCH /api/v1/orgs/{id}", f(orgs.APIPatch), api},
		{"GET /api/v1/users", f(users.APIList), api},
		{"POST /api/v1/users", f(users.APICreate), api},
		{"GET /api/v1/users/{id}", f(users.APIGet), api},
		{"POST /api/v1/users/{id}/disable", users.APISetDisabled(true), api},
		{"POST /api/v1/users/{id}/enable", users.APISetDisabled(false), api},
		{"GET /api/v1/audit", f(trail.APIList), api},
		{"GET /api/v1/identity/providers", f(a.APIProviders), api},
		{"GET /api/v1/identity/policies", f(a.APIPolicies), api},
		{"PUT /api/v1/identity/policies", f(a.APISetPolicies), api},
		{"GET /api/v1/me", f(s.apiMe), api},
		{"GET /api/v1/questionnaires", f(mat.APIQuestionnaires), api},
		{"POST /api/v1/questionnaires", upTo(maturity.MaxFileSize, f(mat.APIImport)), api},
		{"GET /api/v1/questionnaires/{id}", f(mat.APIQuestionnaire), api},
		{"GET /api/v1/assessments", f(mat.APIList), api},
		{"POST /api/v1/assessments", f(mat.APICreate), api},
		{"GET /api/v1/assessments/{id}", f(mat.APIGet), api},
		{"PUT /api/v1/assessments/{id}/answers", f(mat.APIAnswers), api},
		{"POST /api/v1/assessments/{id}/submit", mat.APITransition(maturity.Review), api},
		{"POST /api/v1/assessments/{id}/reopen", mat.APITransition(maturity.Draft), api},
		{"POST /api/v1/assessments/{id}/validate", mat.APITransition(maturity.Validated), api},
		{"POST /api/v1/assessments/{id}/lock", mat.APITransition(maturity.Locked), api},
		{"GET /api/v1/assessments/{id}/result", f(mat.APIResult), api},
		{"GET /api/v1/rollups", f(mat.APIRollUp), api},
		{"POST /api/v1/activities", f(cont.APICreateActivity), api},
		{"GET /api/v1/activities/{id}", f(cont.APIActivity), api},
		{"PUT /api/v1/activities/{id}/bia", f(cont.APISaveBIA), api},
		{"POST /api/v1/applications", f(cont.APICreateApplication), api},
		{"POST /api/v1/orgs/{org}/applications/import", upTo(continuity.MaxImport, f(cont.APIImportApplications)), api},
		{"GET /api/v1/orgs/{org}/continuity/gaps", f(cont.APIGaps), api},
		{"GET /api/v1/orgs/{org}/continuity/coverage", f(cont.APICoverage), api},
		{"GET /api/v1/orgs/{org}/continuity/evaluation", f(cont.APIEvaluation), api},
		{"GET /api/v1/orgs/{org}/pcra", f(cont.APIDocument), api},
		{"POST /api/v1/orgs/{org}/pcra/versions", f(cont.APINewVersion), api},
		{"POST /api/v1/orgs/{org}/directory/audits", f(dir.APIRun), api},
		{"GET /api/v1/orgs/{org}/directory/audits", f(dir.APIAudits), api},
		{"POST /api/v1/orgs/{org}/directory/imports", upTo(directory.MaxImport, f(dir.APIImport)), api},
		{"GET /api/v1/orgs/{org}/directory/checkpoints", f(dir.APICheckpoints), api},
		{"PATCH /api/v1/orgs/{org}/directory/checkpoints/{check}", f(dir.APIFollowUp), api},
		{"GET /api/v1/orgs/{org}/directory/level", f(dir.APILevel), api},
		{"GET /api/v1/orgs/{org}/directory/rollup", f(dir.APIRollUp), api},
		{"GET /api/v1/orgs/{org}/directory/convergence", f(dir.APIConvergence), api},
		{"PUT /api/v1/orgs/{org}/directory/convergence", f(dir.APISaveConvergence), api},
		{"GET /api/v1/orgs/{org}/directory/import-key", f(dir.APIImportKey), api},
		{"POST /api/v1/orgs/{org}/directory/import-key", f(dir.APIRenewImportKey), api},
		{"GET /api/v1/orgs/{org}/directory/source", f(dir.APISource), api},
		{"PUT /api/v1/orgs/{org}/directory/source", f(dir.APISaveSource), api},
		{"GET /api/v1/directory/audits/{id}", f(dir.APIAudit), api},
		{"GET /api/v1/orgs/{org}/exposure/targets", f(expo.APITargets), api},
		{"POST /api/v1/orgs/{org}/exposure/targets", f(expo.APIAddTarget), api},
		{"POST /api/v1/orgs/{org}/exposure/scans", f(expo.APIStartScan), api},
		{"GET /api/v1/orgs/{org}/exposure/findings", f(expo.APIFindings), api},
		{"GET /api/v1/orgs/{org}/exposure/evidence", f(expo.APIEvidence), api},
		{"GET /api/v1/exposure/scans/{id}", f(expo.APIScan), api},
		{"POST /api/v1/exposure/scans/{id}/cancel", f(expo.APICancelScan), api},
		{"PATCH /api/v1/exposure/findings/{id}", f(expo.APISetStatus), api},
		{"GET /api/v1/kits", f(ex.APIKits), api},
		{"POST /api/v1/kits", f(ex.APIImportKit), api},
		{"GET /api/v1/exercises", f(ex.APIList), api},
		{"POST /api/v1/exercises", f(ex.APICreate), api},
		{"GET /api/v1/exercises/yearly", f(ex.APIYearly), api},
		{"GET /api/v1/exercises/{id}", f(ex.APIGet), api},
		{"POST /api/v1/exercises/{id}/participants", f(ex.APIAddParticipant), api},
		{"POST /api/v1/exercises/{id}/guests", f(ex.APIInviteGuest), api},
		{"POST /api/v1/exercises/{id}/invitations", f(ex.APIInvitations), api},
		{"POST /api/v1/exercises/{id}/plan", f(ex.APIPlan), api},
		{"POST /api/v1/exercises/{id}/start", ex.APIStep("start"), api},
		{"POST /api/v1/exercises/{id}/pause", ex.APIStep("pause"), api},
		{"POST /api/v1/exercises/{id}/resume", ex.APIStep("resume"), api},
		{"POST /api/v1/exercises/{id}/finish", ex.APIStep("finish"), api},
		{"GET /api/v1/exercises/{id}/stimuli", f(ex.APIStimuli), api},
		{"POST /api/v1/exercises/{id}/stimuli", f(ex.APISaveStimulus), api},
		{"PUT /api/v1/exercises/{id}/stimuli/{sid}", f(ex.APISaveStimulus), api},
		{"DELETE /api/v1/exercises/{id}/stimuli/{sid}", ex.APIStimulusAction("remove"), api},
		{"POST /api/v1/exercises/{id}/stimuli/{sid}/send", ex.APIStimulusAction("send"), api},
		{"POST /api/v1/exercises/{id}/stimuli/{sid}/skip", ex.APIStimulusAction("skip"), api},
		{"GET /api/v1/exercises/{id}/events", f(ex.APIEvents), api},
		{"GET /api/v1/exercises/{id}/log", f(ex.APILog), api},
		{"POST /api/v1/exercises/{id}/log", f(ex.APIPostLog), api},
		{"POST /api/v1/exercises/{id}/log/{lid}/done", f(ex.APIDoneTask), api},
		{"POST /api/v1/exercises/{id}/marks", f(ex.APIAddMark), api},
		{"POST /api/v1/exercises/{id}/chronogramme", f(ex.APIImportChronogramme), api},
		{"GET /api/v1/exercises/{id}/kit.yaml", f(ex.APIKitYAML), api},
		{"GET /api/v1/exercises/{id}/retex", f(ex.APIRetex), api},
		{"GET /api/v1/exercises/{id}/retex/report", f(ex.APIRetexReport), api},
		{"PUT /api/v1/exercises/{id}/retex", f(ex.APISaveRetex), api},
		{"POST /api/v1/exercises/{id}/close", f(ex.APICloseRetex), api},
		{"POST /api/v1/exercises/{id}/actions", f(ex.APISaveAction), api},
		{"PUT /api/v1/exercises/{id}/actions/{aid}", f(ex.APISaveAction), api},
		{"GET /api/v1/funding/domains", f(fund.APIDomains), api},
		{"GET /api/v1/insight/{org}", f(view.API), api},
		{"GET /api/v1/funding/calls", f(fund.APICalls), api},
		{"POST /api/v1/funding/programme", upTo(funding.MaxFileSize, f(fund.APIImport)), api},
		{"GET /api/v1/funding/candidatures", f(fund.APICandidatures), api},
		{"POST /api/v1/funding/candidatures", f(fund.APISubmit), api},
		{"GET /api/v1/funding/candidatures/{id}", f(fund.APICandidature), api},
		{"POST /api/v1/funding/candidatures/{id}/decision", f(fund.APIDecide), api},
		{"POST /api/v1/funding/candidatures/{id}/withdraw", f(fund.APIWithdraw), api},
		{"GET /api/v1/incidents", f(inc.APIList), api},
		{"POST /api/v1/incidents", f(inc.APICreate), api},
		{"GET /api/v1/incidents/stats", f(inc.APIStats), api},
		{"GET /api/v1/incidents/events", f(inc.Stream), api},
		{"GET /api/v1/incidents/{id}", f(inc.APIGet), api},
		{"PUT /api/v1/incidents/{id}", f(inc.APIUpdate), api},
		{"POST /api/v1/incidents/{id}/submit", f(inc.APISubmit), api},
		{"POST /api/v1/incidents/{id}/timeline", f(inc.APIEntry), api},
		{"POST /api/v1/incidents/{id}/qualification", f(inc.APIQualify), api},
		{"POST /api/v1/incidents/{id}/close", f(inc.APIClose), api},
		{"POST /api/v1/incidents/{id}/share", f(inc.APIShare), api},
		{"POST /api/v1/incidents/{id}/portal", f(inc.APIPortal), api},
		{"POST /api/v1/funding/candidatures/{id}/evidence", upTo(docs.MaxAttachment+64<<10, f(fund.APIAddEvidence)), api},
		{"GET /api/v1/funding/candidatures/{id}/evidence/{eid}", f(fund.APIEvidenceFile), api},
		{"POST /api/v1/funding/candidatures/{id}/declaration", f(fund.APIDeclare), api},
		{"POST /api/v1/funding/candidatures/{id}/objectives/{code}/verification", f(fund.APIVerify), api},
		{"POST /api/v1/funding/candidatures/{id}/control", f(fund.APIControl), api},
		{"POST /api/v1/funding/candidatures/{id}/payment", f(fund.APIPayment), api},
		{"GET /api/v1/offers", f(cat.APIList), api},
		{"POST /api/v1/offers", f(cat.APICreate), api},
		{"POST /api/v1/offers/import", upTo(catalogue.MaxImport, f(cat.APIImport)), api},
		{"GET /api/v1/offers/{id}", f(cat.APIGet), api},
		{"PUT /api/v1/offers/{id}", f(cat.APIUpdate), api},
		{"DELETE /api/v1/offers/{id}", f(cat.APIDelete), api},
		{"GET /api/v1/orgs/{org}/recommendations", f(cat.APIRecommendations), api},
		{"GET /api/v1/orgs/{org}/awareness", f(cat.APIAwareness), api},
		{"PUT /api/v1/orgs/{org}/awareness", f(cat.APISaveAwareness), api},
	}
}

// MaxBody bounds request bodies; file uploads carry their own limit in the table
// (upTo).
const MaxBody = 1 << 20

// Handler returns the whole application.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	pages := web.Pages{Render: s.Render, View: s.view}
	for _, rt := range s.Routes() {
		limit := int64(MaxBody)
		if s, ok := rt.Handler.(sized); ok {
			limit = s.limit
		}
		h := web.MaxBody(limit, rt.Handler)
		switch rt.Access {
		case login:
			h = s.account.RequireLogin(web.MaxBody(limit, pages.Confirm(rt.Handler)))
		case api:
			h = account.RequireToken(h)
		}
		mux.Handle(rt.Pattern, h)
	}
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.Problem(w, r, problem.ErrNotFound)
	}))
	mux.Handle("/", http.HandlerFunc(s.notFound))

	var h http.Handler = s.observe(mux)
	h = s.account.Identify(h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = web.Secure(h)
	h = web.Recover(h)
	return web.Log(s.cfg.Logger, h)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "error.not_found_title")
	v.Data = v.T("error.not_found")
	s.Render.Render(w, http.StatusNotFound, "error-page", v)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if err := s.Ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) initMetrics() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "care_http_request_duration_seconds", Help: "HTTP requests by route pattern and status.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "code"})
	reg.MustRegister(s.requests)
	s.Metrics = reg
}

type codeRecorder struct {
	http.ResponseWriter
	code int
}

func (c *codeRecorder) WriteHeader(code int)        { c.code = code; c.ResponseWriter.WriteHeader(code) }
func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// observe times each request under the route pattern that served it (never the raw
// path, which would make one series per id).
func (s *Server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

// metrics serves Prometheus metrics to an admin's API token only; a separate
// listener (serve --metrics-addr) serves them without a token.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	cur, ok := account.CurrentFrom(r.Context())
	sub, _ := authz.FromContext(r.Context())
	if !ok || !cur.API || !sub.CanAnywhere(authz.MetricsRead) {
		web.Problem(w, r, problem.New(problem.Unauthorized, "account.error.token_required"))
		return
	}
	s.MetricsHandler().ServeHTTP(w, r)
}

// MetricsHandler serves the metrics without checking who asks.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	cur, _ := account.CurrentFrom(r.Context())
	u, err := s.Accounts.Get(r.Context(), cur.User.ID)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, account.ToJSON(u))
}
