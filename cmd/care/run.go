package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/continuity"
	"care/internal/demo"
	"care/internal/directory"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
	"care/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `care — la plateforme du programme CaRE (cyber-résilience des établissements de santé)

Utilisation : care <commande> [options]

Commandes :
  serve          lance le serveur web (--demo pour des données de démonstration)
  migrate        applique les migrations de la base de données
  demo           remplit une base vide (--scale demo, ou national : 18 régions, 38 000 structures, 5 ans d'historique)
  user create    crée un compte (--email, --name, --role, --org) et affiche un mot de passe à usage unique
  token create   crée un jeton d'API pour un compte (--user) et l'affiche une seule fois
  totp           affiche le code à usage unique courant d'un secret TOTP (--secret)
  scan           audite l'exposition de cibles déclarées, sans base de données (--target, --ports, --lab)
  adaudit        audite un Active Directory par LDAP (niveau ANSSI), sans base de données (--url, --bind-dn, --password-file)
  version        affiche la version
  help           affiche cette aide

Base de données : --db (un fichier SQLite, par défaut care.db, ou une URL postgres://)
ou la variable d'environnement CARE_DATABASE_URL.
« care <commande> -h » décrit les options de chaque commande.
`

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, "care", buildVersion())
		return nil
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return demoCmd(ctx, rest, getenv, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: care user create --email E --name N --role R --org ORG")
		}
		return userCreate(ctx, rest[1:], getenv, stdout, stderr)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: care token create --user EMAIL [--name NAME] [--days N]")
		}
		return tokenCreate(ctx, rest[1:], getenv, stdout, stderr)
	case "totp":
		return totp(rest, stdout, stderr)
	case "scan":
		return scanCmd(ctx, rest, stdout, stderr)
	case "adaudit":
		return adauditCmd(ctx, rest, stdout, stderr)
	}
	return fmt.Errorf("commande inconnue %q (voir « care help »)", cmd)
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// newFlags makes a flag set that prints its usage to stderr and returns errors.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Utilisation : care %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("CARE_DATABASE_URL")
	if def == "" {
		def = "care.db"
	}
	return fs.String("db", def, "base de données : fichier SQLite ou URL postgres:// (env CARE_DATABASE_URL)")
}

// parse parses args; -h is not an error.
func parse(fs *flag.FlagSet, args []string) (bool, error) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return false, nil
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("argument inattendu %q", fs.Arg(0))
	}
	return err == nil, err
}

// openMigrated opens the database and applies the migrations it lacks.
func openMigrated(ctx context.Context, dsn string) (*db.DB, error) {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// onServer parses args, opens and migrates the database, makes sure the national
// root exists, and runs do with the database and the server.
func onServer(ctx context.Context, fs *flag.FlagSet, args []string, dsn *string, do func(*db.DB, *server.Server) error) error {
	if ok, err := parse(fs, args); !ok {
		return err
	}
	d, err := openMigrated(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	srv, err := server.New(d, server.Config{NoLoops: true}) // a command does not deliver stimuli nor run audits
	if err != nil {
		return err
	}
	if err := srv.Prepare(ctx); err != nil {
		return err
	}
	return do(d, srv)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate [--db …]", stderr)
	dsn := dbFlag(fs, getenv)
	return onServer(ctx, fs, args, dsn, func(d *db.DB, _ *server.Server) error {
		applied, _, err := d.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "base à jour (%s, version %d)\n", d.Engine, applied)
		return nil
	})
}

// demoCmd fills an empty database with the small demo, or with a programme at
// national scale for exploring and measuring the roll-ups, and says how long it took.
func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [--scale demo|national] [--db …]", stderr)
	dsn := dbFlag(fs, getenv)
	scale := fs.String("scale", "demo", "demo (quelques structures fictives) ou national (18 régions, 135 GHT, 3 000 établissements de santé, 35 000 structures médico-sociales)")
	return onServer(ctx, fs, args, dsn, func(d *db.DB, srv *server.Server) error {
		switch *scale {
		case "demo":
			seeded, err := demo.Seed(ctx, d, srv.Orgs, srv.Accounts, srv.Maturity, srv.Continuity, srv.Exposure, srv.Directory, srv.Exercises)
			if err != nil {
				return err
			}
			printDemo(stdout, seeded)
			return nil
		case "national":
			g, err := demo.National(ctx, d, demo.Services{Orgs: srv.Orgs, Accounts: srv.Accounts, Maturity: srv.Maturity, Exercises: srv.Exercises, Funding: srv.Funding}, demo.NationalScale, time.Now().UTC())
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Programme national généré en %s (%s) : %d régions, %d GHT, %d établissements de santé, %d structures médico-sociales ;\n",
				g.Took.Round(100*time.Millisecond), d.Engine, g.Regions, g.GHT, g.Health, g.MedicoSocial)
			fmt.Fprintf(stdout, "historique : %d autoévaluations validées, %d exercices terminés, %d audits d'annuaire, %d audits d'exposition, %d PCRA, %d candidatures.\n",
				g.Assessments, g.Exercises, g.DirectoryAudits, g.ExposureScans, g.Plans, g.Candidatures)
			fmt.Fprintf(stdout, "Comptes — mot de passe commun : %s, second facteur : care totp --secret %s\n", demo.Password, demo.TOTPSecret)
			for _, a := range demo.NationalAccounts {
				fmt.Fprintf(stdout, "  %s\n", a.Email)
			}
			return nil
		}
		return fmt.Errorf("échelle inconnue %q : demo ou national", *scale)
	})
}

// describe renders a user-facing error in French for the terminal.
func describe(err error) error {
	e, ok := problem.As(err)
	if !ok {
		return err
	}
	msg := i18n.FR.T(e.Key, e.Args...)
	for _, f := range e.Fields {
		msg += "\n  " + f.Field + " : " + i18n.FR.T(f.Key, f.Args...)
	}
	return errors.New(msg)
}

func userCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("user create", "user create --email E --name N --role R --org ORG [--db …]", stderr)
	dsn := dbFlag(fs, getenv)
	email := fs.String("email", "", "adresse de courriel (identifiant de connexion)")
	name := fs.String("name", "", "nom affiché")
	roles := make([]string, len(authz.Roles))
	for i, r := range authz.Roles {
		roles[i] = string(r)
	}
	role := fs.String("role", "", "rôle : "+strings.Join(roles, ", "))
	orgRef := fs.String("org", "", "structure où le rôle est tenu : identifiant, numéro FINESS ou « national »")
	return onServer(ctx, fs, args, dsn, func(_ *db.DB, srv *server.Server) error {
		o, err := srv.Orgs.Resolve(ctx, *orgRef)
		if err != nil {
			return fmt.Errorf("organisation %q introuvable", *orgRef)
		}
		u, password, err := srv.Accounts.Create(ctx, account.NewUser{Email: *email, Name: *name, Role: authz.Role(*role), OrgID: o.ID})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "compte créé : %s (%s) — %s à %s\n", u.Email, u.Name, u.Memberships[0].Role, o.Name)
		if u.NeedsSecondFactor() {
			fmt.Fprintln(stdout, "ce rôle exige un second facteur : il sera demandé à la première connexion")
		}
		fmt.Fprintf(stdout, "mot de passe à usage unique (à transmettre ; il ouvre une seule connexion, qui demande d'en choisir un nouveau) :\n%s\n", password)
		return nil
	})
}

func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("token create", "token create --user EMAIL [--name NOM] [--days N] [--db …]", stderr)
	dsn := dbFlag(fs, getenv)
	email := fs.String("user", "", "adresse de courriel du compte")
	name := fs.String("name", "ligne de commande", "nom du jeton")
	days := fs.Int("days", 90, "durée de validité en jours (0 : sans expiration)")
	return onServer(ctx, fs, args, dsn, func(_ *db.DB, srv *server.Server) error {
		u, err := srv.Accounts.ByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("compte %q introuvable", *email)
		}
		t, secret, err := srv.Accounts.CreateToken(ctx, u.ID, *name, time.Duration(*days)*24*time.Hour)
		if err != nil {
			return describe(err)
		}
		expiry := "sans expiration"
		if t.ExpiresAt != nil {
			expiry = "expire le " + t.ExpiresAt.Format("02/01/2006")
		}
		fmt.Fprintf(stdout, "jeton %q créé pour %s (%s) ; il ne sera plus affiché :\n%s\n", t.Name, u.Email, expiry, secret)
		return nil
	})
}

func totp(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("totp", "totp --secret SECRET", stderr)
	secret := fs.String("secret", "", "secret TOTP en base32")
	if ok, err := parse(fs, args); !ok {
		return err
	}
	code, err := account.TOTPCode(*secret, account.TOTPStep(time.Now()))
	if err != nil {
		return fmt.Errorf("secret invalide : %w", err)
	}
	fmt.Fprintln(stdout, code)
	return nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr 127.0.0.1:8080] [--db …] [--demo]", stderr)
	dsn := dbFlag(fs, getenv)
	addr := fs.String("addr", "127.0.0.1:8080", "adresse d'écoute")
	withDemo := fs.Bool("demo", false, "remplit une base vide avec des données de démonstration")
	baseURL := fs.String("base-url", getenv("CARE_BASE_URL"), "adresse publique, pour les liens des courriels (par défaut http://ADDR)")
	smtpAddr := fs.String("smtp", getenv("CARE_SMTP_ADDR"), "serveur SMTP hôte:port (env CARE_SMTP_ADDR)")
	smtpFrom := fs.String("smtp-from", envOr(getenv, "CARE_SMTP_FROM", "care@localhost"), "expéditeur des courriels")
	smtpUser := fs.String("smtp-user", getenv("CARE_SMTP_USER"), "identifiant SMTP (le mot de passe se donne par CARE_SMTP_PASSWORD)")
	metricsAddr := fs.String("metrics-addr", "", "adresse d'un second port qui sert /metrics sans jeton (ex. 127.0.0.1:9090)")
	secure := fs.Bool("secure-cookies", false, "cookies marqués Secure (à activer derrière HTTPS)")
	sileneMinimum := fs.Int("silene-minimum", 0, "niveau SILENE minimum de l'indicateur Domaine 1, non public : à renseigner quand l'ARS le communique (0 : inconnu)")
	exposureLab := fs.Bool("exposure-lab", false, "permet aux administrateurs d'auditer des adresses non publiques (démonstrations, tests)")
	horizons := fs.String("bia-horizons", getenv("CARE_BIA_HORIZONS"), "horizons des bilans d'impact sur l'activité (BIA), ex. 1h,4h,24h,72h,1w,1m (par défaut ceux de l'échelle livrée)")
	krb5Conf := fs.String("krb5-conf", getenv("CARE_KRB5_CONF"), "configuration Kerberos (krb5.conf) : permet aux audits d'annuaire de s'authentifier par Kerberos (env CARE_KRB5_CONF)")
	dirNets := fs.String("directory-networks", getenv("CARE_DIRECTORY_NETWORKS"), "réseaux non publics que les audits d'annuaire lancés depuis la plateforme peuvent joindre, ex. private ou 10.20.0.0/16,192.168.5.0/24 (env CARE_DIRECTORY_NETWORKS)")
	keyFile := fs.String("secret-key-file", "", "fichier de la clé secrète de l'instance (32 octets en base64, openssl rand -base64 32 ; ou env CARE_SECRET_KEY) : chiffre les mots de passe des audits d'annuaire programmés")
	oidcConfig := fs.String("oidc-config", getenv("CARE_OIDC_CONFIG"), "fichier YAML des fournisseurs d'identité OpenID Connect (Pro Santé Connect, fournisseur de l'établissement ; env CARE_OIDC_CONFIG)")
	if ok, err := parse(fs, args); !ok {
		return err
	}
	var oidc identity.Config
	if *oidcConfig != "" {
		var err error
		if oidc, err = identity.LoadConfig(*oidcConfig); err != nil {
			return err
		}
	}
	var secretKey []byte
	if k := getenv("CARE_SECRET_KEY"); k != "" || *keyFile != "" {
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return err
			}
			k = strings.TrimSpace(string(b))
		}
		var err error
		if secretKey, err = directory.ParseSecretKey(k); err != nil {
			return err
		}
	}
	networks, err := directory.ParseNetworks(*dirNets)
	if err != nil {
		return err
	}
	if *sileneMinimum < 0 || *sileneMinimum > 5 {
		return fmt.Errorf("--silene-minimum %d : un niveau SILENE va de 1 à 5 (0 : inconnu)", *sileneMinimum)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)

	d, err := openMigrated(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if *baseURL == "" {
		*baseURL = url
	}
	sender := &mail.SMTP{Addr: *smtpAddr, From: *smtpFrom, Username: *smtpUser, Password: getenv("CARE_SMTP_PASSWORD")}
	var biaHorizons []continuity.Horizon
	if *horizons != "" {
		if biaHorizons, err = continuity.ParseHorizons(*horizons); err != nil {
			return err
		}
	}
	srv, err := server.New(d, server.Config{BaseURL: *baseURL, SecureCookies: *secure, Mail: sender, BIAHorizons: biaHorizons, ExposureLab: *exposureLab, SileneMinimum: *sileneMinimum, SecretKey: secretKey, KRB5Conf: *krb5Conf, DirectoryNetworks: networks, OIDC: oidc})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Prepare(ctx); err != nil {
		return err
	}
	if *withDemo {
		seeded, err := demo.Seed(ctx, d, srv.Orgs, srv.Accounts, srv.Maturity, srv.Continuity, srv.Exposure, srv.Directory, srv.Exercises)
		if err != nil {
			return err
		}
		printDemo(stdout, seeded)
	}
	// Start-up work (demo passwords are argon2id hashes of 19 MiB each) leaves a heap
	// the idle server no longer needs: give it back now rather than in minutes.
	debug.FreeOSMemory()
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	// Live streams (exercises, incidents) never end by themselves: end them when shutdown begins.
	httpSrv.RegisterOnShutdown(srv.Exercises.Stop)
	httpSrv.RegisterOnShutdown(srv.Incidents.Stop)
	errc := make(chan error, 2)
	var metricsSrv *http.Server
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		metricsLn, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return err
		}
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- metricsSrv.Serve(metricsLn) }()
	}
	go func() { errc <- httpSrv.Serve(ln) }()
	if sender.Addr != "" {
		go remind(ctx, srv, sender)
	}
	fmt.Fprintf(stdout, "CaRE écoute sur %s (base %s)\n", url, d.Engine)
	for _, p := range oidc.Providers {
		fmt.Fprintf(stdout, "fournisseur d'identité %q : adresse de retour à déclarer chez lui %s\n", p.ID, srv.RedirectURI(p.ID))
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	return httpSrv.Shutdown(shutdownCtx)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func printDemo(w io.Writer, seeded bool) {
	if seeded {
		fmt.Fprintln(w, "Données de démonstration créées (noms fictifs).")
	} else {
		fmt.Fprintln(w, "La base contient déjà des données : démonstration non rechargée.")
	}
	fmt.Fprintf(w, "Comptes de démonstration — mot de passe commun : %s\n", demo.Password)
	for _, a := range demo.Accounts {
		extra := ""
		if a.TOTP {
			extra = " (second facteur : care totp --secret " + demo.TOTPSecret + ")"
		}
		fmt.Fprintf(w, "  %-26s %s%s\n", a.Email, a.Role, extra)
	}
}

// remind sends the continuity plans' review reminders every hour while serving.
// Rows are claimed in the database, so several instances send each reminder once.
func remind(ctx context.Context, srv *server.Server, sender mail.Sender) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := srv.Continuity.SendReminders(ctx, sender, time.Now()); err != nil {
			slog.Error("review reminders", "err", err)
		} else if n > 0 {
			slog.Info("review reminders sent", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
