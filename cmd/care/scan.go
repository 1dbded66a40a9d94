package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"care/internal/exposure"
)

// targets collects repeated --target flags.
type targets []string

func (t *targets) String() string     { return strings.Join(*t, ",") }
func (t *targets) Set(v string) error { *t = append(*t, v); return nil }

// scanCmd scans declared targets without a database and prints the findings.
func scanCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", "scan --target T [--target T…] [--ports top|sensitive|all|LISTE] [--lab] [--format json|text]", stderr)
	var tgts targets
	fs.Var(&tgts, "target", "adresse IP, bloc CIDR (/24 au plus) ou nom de domaine ; répétable")
	ports := fs.String("ports", "top,sensitive", "ports : top, sensitive, all ou une liste (22,80,8000-8100)")
	lab := fs.Bool("lab", false, "mode laboratoire : autorise les adresses de bouclage, privées et réservées")
	format := fs.String("format", "text", "sortie : json ou text")
	timeout := fs.Duration("timeout", 1500*time.Millisecond, "attente la plus longue d'une tentative de connexion (l'attente s'adapte aux temps de réponse de chaque hôte, 100 ms au moins)")
	concurrency := fs.Int("concurrency", 2000, "tentatives de connexion simultanées au plus (le nombre s'adapte aux réponses et aux pertes)")
	rate := fs.Int("rate", 0, "tentatives par seconde (0 : sans limite)")
	identify := fs.Bool("identify", true, "identifier les services des ports ouverts (bannières, sondes, TLS)")
	if ok, err := parse(fs, args); !ok {
		return err
	}
	if err := exposure.CheckTiming(*concurrency, *timeout, *rate); err != nil {
		return describe(err)
	}
	if *format != "json" && *format != "text" {
		return fmt.Errorf("format inconnu %q : json ou text", *format)
	}
	if len(tgts) == 0 {
		return errors.New("indiquez au moins une cible (--target)")
	}
	var scope exposure.Scope
	scope.Lab = *lab
	for _, t := range tgts {
		tg, err := exposure.ParseTarget(t)
		if err != nil {
			return describe(err)
		}
		scope.Targets = append(scope.Targets, tg)
	}
	portList, err := exposure.ParsePorts(*ports)
	if err != nil {
		return describe(err)
	}
	addrs, err := scope.Resolve(ctx, net.DefaultResolver)
	if err != nil {
		return describe(err)
	}
	list := make([]netip.Addr, 0, len(addrs))
	for a := range addrs {
		list = append(list, a)
	}
	slices.SortFunc(list, func(x, y netip.Addr) int { return x.Compare(y) })
	rules, err := exposure.LoadRules()
	if err != nil {
		return err
	}
	if _, err := exposure.LoadFingerprints(); err != nil {
		return err
	}
	start := time.Now()
	obs, err := exposure.Scan(ctx, list, exposure.Options{Ports: portList, Identify: *identify, Timeout: *timeout, Concurrency: *concurrency, PerSecond: *rate})
	if err != nil {
		return describe(err)
	}
	findings := rules.Findings(obs, time.Now())
	report := exposure.Report(obs, findings)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	fmt.Fprintf(stdout, "%d adresses × %d ports en %s : %d ports ouverts, %d constats\n\n", len(list), len(portList), time.Since(start).Round(time.Millisecond), len(obs), len(findings))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADRESSE\tPORT\tSERVICE\tPRODUIT\tVERSION\tGRAVITÉ\tCONSTAT")
	for _, r := range report {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Address, r.Port, r.Service, r.Product, r.Version, r.Severity, r.Finding)
	}
	return tw.Flush()
}
