// Package server assembles the capabilities into one HTTP handler: every route of
// the UI and of the API is listed in routes.go.
package server

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"care/internal/account"
	"care/internal/audit"
	"care/internal/authz"
	"care/internal/catalogue"
	"care/internal/continuity"
	"care/internal/directory"
	"care/internal/exercise"
	"care/internal/exposure"
	"care/internal/funding"
	"care/internal/home"
	"care/internal/identity"
	"care/internal/incident"
	"care/internal/insight"
	"care/internal/maturity"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Config is what the server needs from the outside.
type Config struct {
	BaseURL       string
	SecureCookies bool
	Mail          mail.Sender
	Logger        *slog.Logger // request log; slog's default when nil
	// BIAHorizons are the business-impact analysis time horizons; the shipped
	// impact scale's when empty.
	BIAHorizons []continuity.Horizon
	// ExposureLab lets administrators scan non-public addresses (tests and demos).
	ExposureLab bool
	// SileneMinimum is the SILENE level of the Domaine 1 indicator (0: unknown,
	// the threshold is not public).
	SileneMinimum int
	// SecretKey (32 bytes) encrypts the secrets the instance must keep, such as the
	// bind passwords of scheduled directory audits; none are kept without it.
	SecretKey []byte
	// KRB5Conf lets directory audits bind with Kerberos (the file names the KDCs).
	KRB5Conf string
	// DirectoryNetworks are the non-public networks directory audits may reach.
	DirectoryNetworks []netip.Prefix
	// OIDC is the OpenID Providers of the login page (--oidc-config); none when empty.
	OIDC identity.Config
	// NoLoops leaves the background loops (exercise delivery, scheduled audits)
	// stopped: for tests that count the statements of one request.
	NoLoops bool
}

// Server holds the assembled capabilities.
type Server struct {
	DB         *db.DB
	Orgs       *org.Service
	Accounts   *account.Service
	Audit      *audit.Reader
	Maturity   *maturity.Service
	Continuity *continuity.Service
	Exposure   *exposure.Service
	Directory  *directory.Service
	Exercises  *exercise.Service
	Funding    *funding.Service
	Insight    *insight.Service
	Incidents  *incident.Service
	Sources    []home.Source // the status card of each capability (home.go)
	Catalogue  *catalogue.Service
	PDF        *docs.PDF
	Render     *web.Renderer
	Metrics    *prometheus.Registry

	stopLoops context.CancelFunc
	loops     sync.WaitGroup
	requests  *prometheus.HistogramVec
	account   *account.Handler
	cfg       Config
}

// New assembles a server over d.
func New(d *db.DB, cfg Config) (*Server, error) {
	render, err := web.NewRenderer(templates, org.Templates, account.Templates, audit.Templates, maturity.Templates, continuity.Templates, exposure.Templates, directory.Templates, exercise.Templates, funding.Templates, insight.Templates, incident.Templates, home.Templates, catalogue.Templates)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Mail == nil {
		cfg.Mail = &mail.SMTP{}
	}
	s := &Server{
		DB:         d,
		Orgs:       &org.Service{DB: d},
		Accounts:   &account.Service{DB: d, Mail: cfg.Mail, BaseURL: cfg.BaseURL, SecretKey: cfg.SecretKey},
		Audit:      &audit.Reader{DB: d},
		Maturity:   &maturity.Service{DB: d},
		Continuity: &continuity.Service{DB: d, Horizons: cfg.BIAHorizons},
		Exposure:   &exposure.Service{DB: d, LabAllowed: cfg.ExposureLab, SileneMinimum: cfg.SileneMinimum},
		Directory:  &directory.Service{DB: d, SecretKey: cfg.SecretKey, Mail: cfg.Mail, BaseURL: cfg.BaseURL, KRB5Conf: cfg.KRB5Conf, Networks: cfg.DirectoryNetworks},
		Exercises:  &exercise.Service{DB: d, Mail: cfg.Mail},
		Funding:    &funding.Service{DB: d, Mail: cfg.Mail, BaseURL: cfg.BaseURL},
		Incidents:  &incident.Service{DB: d, Mail: cfg.Mail, BaseURL: cfg.BaseURL},
		Catalogue:  &catalogue.Service{DB: d},
		PDF:        &docs.PDF{},
		Render:     render,
		cfg:        cfg,
	}
	s.Exercises.Invite = s.Accounts.Invite
	s.Exercises.KitLevel = func(ctx context.Context, org int64) (string, bool, error) {
		level, _, ok, err := s.Maturity.KitLevel(ctx, org)
		return level, ok, err
	}
	// The tests Domaine 2 asks for count in the operational phase of its latest
	// call, from the programme content in force.
	s.Continuity.OperationalPhase = func(ctx context.Context, now time.Time) (time.Time, time.Time, bool, error) {
		p, err := s.Funding.Programme(ctx)
		if err != nil {
			return time.Time{}, time.Time{}, false, err
		}
		call, ok := p.LatestCall(funding.ContinuityDomain, now)
		if !ok {
			return time.Time{}, time.Time{}, false, nil
		}
		from, to, ok := call.OperationalPhase()
		return from, to, ok, nil
	}
	s.Funding.Indicators = s.fundingIndicators()
	s.Incidents.Sheets = s.incidentSheets
	// The programme's view adds up what each capability reports of the structures.
	s.Insight = &insight.Service{DB: d, Sources: map[string]insight.Source{
		insight.Candidatures: s.Funding.CandidatureStates,
		insight.Objectives:   s.Funding.ObjectiveStates,
		insight.Amounts:      s.Funding.Amounts,
		insight.Exercise:     s.Exercises.ExercisedIn,
		insight.Maturity:     s.Maturity.LatestLevels,
		insight.Directory:    s.Directory.LatestLevels,
		insight.Exposure:     s.Exposure.LatestLevels,
	}}
	s.account = &account.Handler{Pages: web.Pages{Render: render, View: s.view}, Accounts: s.Accounts, SecureCookies: cfg.SecureCookies, Widen: s.Incidents.Widen}
	if len(cfg.OIDC.Providers) > 0 {
		s.account.Providers = identity.NewProviders(cfg.OIDC, s.RedirectURI)
	}
	s.Sources = s.statusSources()
	s.Orgs.Cards = s.cardsOf
	s.Catalogue.Needs = s.catalogueNeeds
	s.initMetrics()
	return s, nil
}

// RedirectURI is the address an OpenID Provider sends the browser back to, to
// register at the provider.
func (s *Server) RedirectURI(provider string) string {
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + "/connexion/oidc/" + provider + "/retour"
}

// Prepare readies a database for serving: the national root, and the content shipped
// in the binary that the database does not hold yet.
func (s *Server) Prepare(ctx context.Context) error {
	if _, err := s.Orgs.EnsureRoot(ctx); err != nil {
		return err
	}
	if err := s.Maturity.SyncShipped(ctx); err != nil {
		return err
	}
	if err := s.Funding.SyncShipped(ctx); err != nil {
		return err
	}
	if err := s.Catalogue.SyncShipped(ctx); err != nil {
		return err
	}
	if _, err := continuity.LoadCatalogue(); err != nil {
		return err
	}
	if _, err := exposure.LoadRules(); err != nil {
		return err
	}
	if _, err := exposure.LoadFingerprints(); err != nil {
		return err
	}
	if _, err := exercise.Shipped(); err != nil {
		return err
	}
	if _, err := directory.LoadContent(); err != nil {
		return err
	}
	if !s.cfg.NoLoops {
		s.startLoops()
	}
	return nil
}

// startLoops starts the background work every instance does: delivering the
// stimuli of running exercises at their time (a timer, and a safety look every
// second), the scheduled directory audits, the reminders before the funding
// deadlines.
func (s *Server) startLoops() {
	if s.stopLoops != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopLoops = cancel
	s.loops.Go(func() { s.Exercises.Run(ctx, time.Second) })
	s.loops.Go(func() { s.Directory.Loop(ctx, s.cfg.Logger) })
	s.loops.Go(func() { s.Funding.Loop(ctx, s.cfg.Logger) })
	s.loops.Go(func() { s.Incidents.Listen(ctx) })
}

// Close waits for the running scans and frees what the server started.
func (s *Server) Close() {
	if s.stopLoops != nil {
		s.stopLoops()
		s.loops.Wait()
	}
	s.Exercises.Stop()
	s.Incidents.Stop()
	s.Exposure.Wait()
	s.PDF.Close()
}

// view prepares the page data every template receives: language, viewer, navigation.
func (s *Server) view(r *http.Request, title string) *web.View {
	v := &web.View{Lang: i18n.FromRequest(r), Title: title, Path: r.URL.Path}
	sub, ok := authz.FromContext(r.Context())
	if !ok {
		return v
	}
	viewer := &web.Viewer{ID: sub.UserID, Name: sub.Name, Email: sub.Email}
	for _, g := range sub.Grants {
		viewer.Roles = append(viewer.Roles, string(g.Role))
	}
	v.Viewer = viewer
	// The bar holds the capabilities an establishment works in; the programme's
	// pages, the offers and the administration go into "Plus" (issue 15 point 7:
	// a navigation that does not wrap at 1,440 px).
	items := []web.NavItem{{Href: "/", Key: "nav.home"}, {Href: "/organisations", Key: "nav.orgs"}, {Href: "/autoevaluations", Key: "nav.maturity"}, {Href: "/continuite", Key: "nav.continuity"}, {Href: "/exposition", Key: "nav.exposure"}, {Href: "/annuaire", Key: "nav.directory"}, {Href: "/exercices", Key: "nav.exercises"}, {Href: "/incidents", Key: "nav.incidents"}}
	if programmeWide(sub) {
		items = append(items, web.NavItem{Href: "/programme", Key: "nav.insight"})
	}
	items = append(items, web.NavItem{Href: "/financement/programme", Key: "nav.funding", More: true}, web.NavItem{Href: "/financement/candidatures", Key: "nav.candidatures", More: true}, web.NavItem{Href: "/offres", Key: "nav.catalogue", More: true}, web.NavItem{Href: "/sensibilisation", Key: "nav.awareness", More: true})
	if sub.CanAnywhere(authz.UserRead) {
		items = append(items, web.NavItem{Href: "/utilisateurs", Key: "nav.users", More: true})
	}
	if sub.CanAnywhere(authz.AuditRead) {
		items = append(items, web.NavItem{Href: "/journal", Key: "nav.audit", More: true})
	}
	if sub.HasRole(authz.Admin) {
		items = append(items, web.NavItem{Href: "/administration/identite", Key: "nav.identity", More: true})
	}
	items = append(items, web.NavItem{Href: "/profil", Key: "nav.profile", More: true})
	for i := range items {
		h := items[i].Href
		items[i].Active = r.URL.Path == h || (h != "/" && strings.HasPrefix(r.URL.Path, h))
	}
	v.Nav = items
	return v
}

// Ready reports whether the database answers and is fully migrated.
func (s *Server) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	applied, known, err := s.DB.Status(ctx)
	if err != nil {
		return err
	}
	if applied != known {
		return errNotMigrated
	}
	return nil
}

type readyError string

func (e readyError) Error() string { return string(e) }

const errNotMigrated = readyError("database not migrated")

// programmeWide reports whether the subject follows structures above an
// establishment (a GHT, a region, the nation): the programme's view is theirs.
func programmeWide(sub authz.Subject) bool {
	for _, g := range sub.Grants {
		switch g.Role {
		case authz.Admin, authz.PiloteNational, authz.ReferentARS, authz.Grades, authz.RSSIGHT:
			return true
		}
	}
	return false
}
