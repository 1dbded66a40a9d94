package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"care/internal/directory"
	"care/internal/platform/i18n"
)

// adauditCmd collects an Active Directory over LDAP, evaluates the ANSSI checkpoints
// and prints the result, without a database. With --snapshot it also writes the
// snapshot file that an establishment imports when the server cannot reach its DC.
func adauditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("adaudit", "adaudit --url ldaps://HÔTE[:PORT] --bind-dn DN --password-file FICHIER [--base-dn DN] [--ca-file F | --insecure-skip-verify] [--starttls] [--format json|text] [--snapshot F --seal-key CLÉ]", stderr)
	u := fs.String("url", "", "annuaire : ldaps://hôte[:port], ou ldap://hôte[:port] avec --starttls")
	bindDN := fs.String("bind-dn", "", "compte de lecture : DN ou utilisateur@domaine (un compte ordinaire suffit)")
	passwordFile := fs.String("password-file", "", "fichier contenant le mot de passe (- : entrée standard)")
	baseDN := fs.String("base-dn", "", "contexte de nommage du domaine (lu sur l'annuaire si absent)")
	caFile := fs.String("ca-file", "", "certificat(s) d'autorité PEM à qui faire confiance pour l'annuaire")
	insecure := fs.Bool("insecure-skip-verify", false, "ne pas vérifier le certificat de l'annuaire (à éviter)")
	startTLS := fs.Bool("starttls", false, "passer en TLS sur ldap:// (StartTLS)")
	plain := fs.Bool("plain", false, "autoriser LDAP sans chiffrement (le mot de passe circule en clair)")
	format := fs.String("format", "text", "sortie : json ou text")
	snapshot := fs.String("snapshot", "", "écrire aussi l'instantané dans ce fichier (à importer sur la plateforme)")
	sealKey := fs.String("seal-key", "", "clé d'import de l'établissement (page Audit Active Directory), pour sceller l'instantané")
	from := fs.String("from-snapshot", "", "évaluer un instantané déjà collecté au lieu d'interroger l'annuaire")
	timeout := fs.Duration("timeout", 30*time.Second, "délai d'une requête LDAP")
	kerberos := fs.Bool("kerberos", false, "s'authentifier par Kerberos (GSSAPI) au lieu d'un bind simple ; --bind-dn utilisateur@domaine")
	krb5Conf := fs.String("krb5-conf", "/etc/krb5.conf", "configuration Kerberos qui désigne le KDC (avec --kerberos)")
	spn := fs.String("spn", "", "principal de service de l'annuaire (avec --kerberos ; par défaut ldap/HÔTE de --url)")
	if ok, err := parse(fs, args); !ok {
		return err
	}
	if *format != "json" && *format != "text" {
		return fmt.Errorf("format inconnu %q : json ou text", *format)
	}
	// A collection is streamed (directory.CollectStreamed): the snapshot file is
	// copied from its temporary file, and the evaluation reads its compact form.
	// That form is nearly all of the heap and lives until the end: the default
	// pacing (GOGC=100) would let the heap grow to twice it between collections,
	// 25 % suffices (a few more collections, each short). GOGC set wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	coll := &directory.Collection{}
	defer func() { coll.Close() }()
	var err error
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			return err
		}
		defer f.Close()
		if coll.Snapshot, err = directory.ReadSnapshot(f, nil); err != nil {
			return describe(err)
		}
	} else {
		cfg := directory.Config{URL: *u, BindDN: *bindDN, BaseDN: *baseDN, StartTLS: *startTLS, AllowPlain: *plain, InsecureSkipVerify: *insecure, Timeout: *timeout,
			Kerberos: *kerberos, KRB5Conf: *krb5Conf, SPN: *spn}
		if cfg.Password, err = readSecret(*passwordFile); err != nil {
			return err
		}
		if *caFile != "" {
			if cfg.CAPEM, err = os.ReadFile(*caFile); err != nil {
				return err
			}
		}
		if coll, err = directory.CollectStreamed(ctx, cfg); err != nil {
			return describe(err)
		}
	}
	if *snapshot != "" {
		if err := writeSnapshot(*snapshot, coll, *sealKey); err != nil {
			return err
		}
	}
	snap := coll.Snapshot
	content, err := directory.LoadContent()
	if err != nil {
		return err
	}
	ev := directory.Evaluate(snap)
	if *format == "json" {
		type check struct {
			directory.Result
			ANSSI string `json:"anssi"`
			Title string `json:"title"`
		}
		out := struct {
			Level       int       `json:"level"`
			Domain      string    `json:"domain"`
			Server      string    `json:"server"`
			CollectedAt time.Time `json:"collected_at"`
			Objects     int       `json:"objects"`
			Checks      []check   `json:"checks"`
		}{ev.Level, snap.Domain.DNSName, snap.Server, snap.CollectedAt, snap.Len(), nil}
		for _, r := range ev.Checks {
			t := content.Text(r.ID)
			out.Checks = append(out.Checks, check{r, t.ANSSI, t.Title})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	failed := 0
	for _, r := range ev.Checks {
		if r.Status == directory.Fail {
			failed++
		}
	}
	fmt.Fprintf(stdout, "Domaine %s (%s), %s lus le %s\nNiveau ANSSI : %d/5 — %s sur %d\n\n",
		snap.Domain.DNSName, snap.Server, i18n.FR.N("directory.objects_count", snap.Len()), snap.CollectedAt.Format("02/01/2006 15:04 MST"),
		ev.Level, i18n.FR.N("directory.count_failed", failed), len(ev.Checks))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NIVEAU\tÉTAT\tPOINT DE CONTRÔLE\tOBJETS\tINTITULÉ")
	for _, r := range ev.Checks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", r.Level, r.Status, r.ID, len(r.Objects), content.Text(r.ID).Title)
	}
	return tw.Flush()
}

// readSecret reads a password from a file or standard input, without its final
// line break.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("indiquez le fichier du mot de passe (--password-file)")
	}
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func writeSnapshot(path string, coll *directory.Collection, sealKey string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := coll.WriteSnapshot(f, []byte(sealKey)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
