package directory

import (
	"context"
	"encoding/binary"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// configObjects reads what the certificate-services, display-specifier, DNS, GPO,
// key and SYSVOL checkpoints look at. Each search returns few objects (templates,
// CAs, zones, keys, the GPOs above privileged objects); a missing container is
// not an error: the domain simply has none of them.
func (s *session) configObjects(ctx context.Context, snap *Snapshot) error {
	config := snap.Domain.ConfigDN
	add := func(kind string, e *ldap.Entry) *ConfigObject {
		snap.Config = append(snap.Config, ConfigObject{DN: e.DN, Kind: kind, Name: e.GetAttributeValue("cn"), SD: e.GetRawAttributeValue("nTSecurityDescriptor")})
		return &snap.Config[len(snap.Config)-1]
	}
	if config != "" {
		pki := "CN=Public Key Services,CN=Services," + config
		err := s.each(ctx, pki, ldap.ScopeWholeSubtree,
			"(|(objectClass=pKICertificateTemplate)(objectClass=pKIEnrollmentService)(objectClass=certificationAuthority)(objectClass=container))",
			[]string{"objectClass", "cn", "msPKI-Certificate-Name-Flag", "msPKI-Enrollment-Flag", "msPKI-RA-Signature", "pKIExtendedKeyUsage",
				"certificateTemplates", "cACertificate", "nTSecurityDescriptor"}, sdFlags, func(e *ldap.Entry) error {
				classes := e.GetAttributeValues("objectClass")
				switch {
				case hasClass(classes, "pKICertificateTemplate"):
					o := add(KindTemplate, e)
					o.NameFlag = int(uint32(atoi(e.GetAttributeValue("msPKI-Certificate-Name-Flag"))))
					o.EnrollFlag = int(uint32(atoi(e.GetAttributeValue("msPKI-Enrollment-Flag"))))
					o.RASignatures = atoi(e.GetAttributeValue("msPKI-RA-Signature"))
					o.EKUs = e.GetAttributeValues("pKIExtendedKeyUsage")
				case hasClass(classes, "pKIEnrollmentService"):
					o := add(KindCA, e)
					o.Templates = e.GetAttributeValues("certificateTemplates")
					o.Certs = e.GetRawAttributeValues("cACertificate")
				default:
					add(KindPKI, e).Certs = e.GetRawAttributeValues("cACertificate")
				}
				return nil
			})
		if err != nil {
			return err
		}
		err = s.each(ctx, "CN=DisplaySpecifiers,"+config, ldap.ScopeWholeSubtree, "(|(adminContextMenu=*)(shellContextMenu=*)(contextMenu=*))",
			[]string{"cn", "adminContextMenu", "shellContextMenu", "contextMenu"}, nil, func(e *ldap.Entry) error {
				var menus []string
				for _, a := range []string{"adminContextMenu", "shellContextMenu", "contextMenu"} {
					for _, v := range e.GetAttributeValues(a) {
						if runsProgram(v) {
							menus = append(menus, v)
						}
					}
				}
				if len(menus) > 0 { // keep only the specifiers with such an entry
					add(KindDisplay, e).Menus = menus
				}
				return nil
			})
		if err != nil {
			return err
		}
		if e, err := s.base("CN=Schema,"+config, []string{"cn", "nTSecurityDescriptor"}, sdFlags); err != nil {
			return err
		} else if e != nil {
			add(KindSchema, e)
		}
		if e, err := s.base(config, []string{"cn", "nTSecurityDescriptor"}, sdFlags); err != nil {
			return err
		} else if e != nil {
			add(KindConfigHead, e)
		}
		err = s.each(ctx, "CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,"+config, ldap.ScopeSingleLevel,
			"(objectClass=msKds-ProvRootKey)", []string{"cn", "nTSecurityDescriptor"}, sdFlags, func(e *ldap.Entry) error { add(KindKDSKey, e); return nil })
		if err != nil {
			return err
		}
	}
	err := s.each(ctx, "CN=System,"+snap.BaseDN, ldap.ScopeSingleLevel, "(&(objectClass=secret)(cn=BCKUPKEY_*))",
		[]string{"cn", "nTSecurityDescriptor"}, sdFlags, func(e *ldap.Entry) error { add(KindDPAPI, e); return nil })
	if err != nil {
		return err
	}
	// DNS zones: the application partitions, and the legacy container of the domain.
	for _, base := range []string{"DC=DomainDnsZones," + snap.BaseDN, "DC=ForestDnsZones," + forestRoot(config, snap.BaseDN), "CN=MicrosoftDNS,CN=System," + snap.BaseDN} {
		err := s.each(ctx, base, ldap.ScopeWholeSubtree, "(|(objectClass=dnsZone)(&(objectClass=container)(cn=MicrosoftDNS)))",
			[]string{"objectClass", "name", "cn", "dNSProperty", "nTSecurityDescriptor"}, sdFlags, func(e *ldap.Entry) error {
				if !hasClass(e.GetAttributeValues("objectClass"), "dnsZone") {
					add(KindDNSContainer, e)
					return nil
				}
				o := add(KindDNSZone, e)
				if n := e.GetAttributeValue("name"); n != "" {
					o.Name = n
				}
				o.AllowUpdate = zoneAllowUpdate(e.GetRawAttributeValues("dNSProperty"))
				return nil
			})
		if err != nil {
			return err
		}
	}
	// Fine-grained password policies: ordinary accounts may not read them (Windows
	// grants it to administrators by default); then the domain's policy is all we see.
	err = s.each(ctx, "CN=Password Settings Container,CN=System,"+snap.BaseDN, ldap.ScopeSingleLevel, "(objectClass=msDS-PasswordSettings)",
		[]string{"cn", "msDS-PasswordSettingsPrecedence", "msDS-MinimumPasswordLength", "msDS-MaximumPasswordAge", "msDS-PSOAppliesTo"}, nil,
		func(e *ldap.Entry) error {
			o := add(KindPSO, e)
			o.Precedence = atoi(e.GetAttributeValue("msDS-PasswordSettingsPrecedence"))
			o.MinPwdLength = atoi(e.GetAttributeValue("msDS-MinimumPasswordLength"))
			o.MaxPwdAge, _ = strconv.ParseInt(e.GetAttributeValue("msDS-MaximumPasswordAge"), 10, 64)
			o.AppliesTo = e.GetAttributeValues("msDS-PSOAppliesTo")
			return nil
		})
	if err != nil {
		return err
	}
	if err := s.sysvol(snap); err != nil {
		return err
	}
	// DFSR settings of SYSVOL: the global replication group and each DC's
	// subscription (CN=DFSR-LocalSettings under the DC's computer object).
	dfsr := func(e *ldap.Entry) error { add(KindDFSR, e); return nil }
	if err := s.each(ctx, "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,"+snap.BaseDN, ldap.ScopeWholeSubtree, "(objectClass=*)",
		[]string{"cn", "nTSecurityDescriptor"}, sdFlags, dfsr); err != nil {
		return err
	}
	for _, o := range snap.objects() {
		if o.IsDC() {
			if err := s.each(ctx, "CN=DFSR-LocalSettings,"+o.DN, ldap.ScopeWholeSubtree, "(objectClass=*)", []string{"cn", "nTSecurityDescriptor"}, sdFlags, dfsr); err != nil {
				return err
			}
		}
	}
	return s.gpos(ctx, snap)
}

// each runs a paged search and hands every entry to fn as it arrives; a base that
// does not exist yields nothing. Entries are read one by one off the connection
// (go-ldap's SearchAsync) rather than a page at a time: a page of a thousand decoded
// entries is never held, which is what keeps a collection's memory to the size of
// what it keeps (Collection).
func (s *session) each(ctx context.Context, base string, scope int, filter string, attrs []string, sd ldap.Control, fn func(e *ldap.Entry) error) error {
	size := s.cfg.PageSize
	if size == 0 {
		size = 1000
	}
	paging := ldap.NewControlPaging(uint32(size))
	controls := []ldap.Control{paging}
	if sd != nil {
		controls = append(controls, sd)
	}
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, controls)
	for {
		more, err := s.page(ctx, req, fn)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return nil
		}
		if err != nil || len(more) == 0 {
			return err
		}
		paging.SetCookie(more)
	}
}

// page runs one page of a paged search (RFC 2696: the server's cookie asks for the
// next page, an empty one ends the search), handing each entry to fn, and returns
// the cookie of the next page.
func (s *session) page(ctx context.Context, req *ldap.SearchRequest, fn func(e *ldap.Entry) error) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Cancelled on return, so that the search goroutine never waits on an entry
	// nobody reads (fn failed).
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := s.conn.SearchAsync(pctx, req, 0)
	var cookie []byte
	for res.Next() {
		if e := res.Entry(); e != nil {
			if err := fn(e); err != nil {
				return nil, err
			}
		}
		if p, ok := ldap.FindControl(res.Controls(), ldap.ControlTypePaging).(*ldap.ControlPaging); ok && p != nil {
			cookie = p.Cookie
		}
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	// A cancelled search ends without an error (go-ldap): say so.
	return cookie, ctx.Err()
}

// forestRoot is the forest root domain's DN (the configuration partition's parent).
func forestRoot(config, fallback string) string {
	if _, root, ok := strings.Cut(config, "CN=Configuration,"); ok {
		return root
	}
	return fallback
}

// sysvol records how SYSVOL replicates: the FRS replica set object, and the DFSR
// migration state (msDFSR-Flags of DFSR-GlobalSettings, -1 when absent).
func (s *session) sysvol(snap *Snapshot) error {
	o := ConfigObject{DN: "CN=DFSR-GlobalSettings,CN=System," + snap.BaseDN, Kind: KindSysvol, DFSRFlags: -1}
	e, err := s.base(o.DN, []string{"msDFSR-Flags"})
	if err != nil {
		return err
	}
	if e != nil {
		if v := e.GetAttributeValue("msDFSR-Flags"); v != "" {
			o.DFSRFlags = atoi(v)
		}
	}
	frs, err := s.base("CN=Domain System Volume (SYSVOL share),CN=File Replication Service,CN=System,"+snap.BaseDN, []string{"cn"})
	if err != nil {
		return err
	}
	o.FRS = frs != nil
	snap.Config = append(snap.Config, o)
	return nil
}

// gpos reads the containers above a privileged account or a DC and the group
// policies linked on them or on the domain head, with their descriptors.
func (s *session) gpos(ctx context.Context, snap *Snapshot) error {
	containers := map[string]bool{strings.ToLower(snap.BaseDN): true}
	base := strings.ToLower(snap.BaseDN)
	for _, o := range snap.Privileged() {
		for p := parentDN(o.DN); p != "" && strings.HasSuffix(strings.ToLower(p), base); p = parentDN(p) {
			containers[strings.ToLower(p)] = true
		}
	}
	for _, o := range snap.objects() {
		if o.IsDC() {
			containers[strings.ToLower(parentDN(o.DN))] = true
		}
	}
	names := make([]string, 0, len(containers))
	for c := range containers {
		names = append(names, c)
	}
	slices.Sort(names)
	linked := map[string][]string{}
	var order []string
	for _, c := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, err := s.base(c, []string{"cn", "gPLink", "nTSecurityDescriptor"}, sdFlags)
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		if c != base { // the domain head has its own checkpoints
			snap.Config = append(snap.Config, ConfigObject{DN: e.DN, Kind: KindContainer, Name: e.GetAttributeValue("cn"), SD: e.GetRawAttributeValue("nTSecurityDescriptor")})
		}
		for _, g := range gpLinks(e.GetAttributeValue("gPLink")) {
			key := strings.ToLower(g)
			if _, seen := linked[key]; !seen {
				order = append(order, g)
			}
			linked[key] = append(linked[key], e.DN)
		}
	}
	for _, g := range order {
		e, err := s.base(g, []string{"cn", "displayName", "nTSecurityDescriptor"}, sdFlags)
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		snap.Config = append(snap.Config, ConfigObject{DN: e.DN, Kind: KindGPO, Name: e.GetAttributeValue("displayName"),
			LinkedOn: linked[strings.ToLower(g)], SD: e.GetRawAttributeValue("nTSecurityDescriptor")})
	}
	return nil
}

// parentDN drops the first RDN (escaped commas stay in it).
func parentDN(dn string) string {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[i+1:]
		}
	}
	return ""
}

var gpLinkRE = regexp.MustCompile(`(?i)\[LDAP://([^;\]]+);(\d+)\]`)

// gpLinks parses a gPLink value ([LDAP://cn={GUID},cn=policies,…;options]…) into the
// DNs of the linked GPOs, leaving out disabled links (option bit 1).
func gpLinks(v string) []string {
	var out []string
	for _, m := range gpLinkRE.FindAllStringSubmatch(v, -1) {
		if opt, _ := strconv.Atoi(m[2]); opt&1 == 0 {
			out = append(out, m[1])
		}
	}
	return out
}

// zoneAllowUpdate reads DSPROPERTY_ZONE_ALLOW_UPDATE (id 2) among a zone's
// dNSProperty values ([MS-DNSP] 2.3.2.1: DataLength, NameLength, Flag, Version, Id,
// then the data, little-endian).
func zoneAllowUpdate(values [][]byte) *int {
	for _, v := range values {
		if len(v) < 21 {
			continue
		}
		le := binary.LittleEndian
		if n, id := le.Uint32(v[0:]), le.Uint32(v[16:]); id == 2 && n >= 1 {
			u := int(v[20])
			return &u
		}
	}
	return nil
}

// programMenu matches a context-menu value of a display specifier whose command
// ("order,label,command") is a script or a program named by a path, a network
// share or an address: what an attacker plants to run code in an administrator's
// session (SDM Software, "Abusing display specifiers"; an example is
// "2,Reset Password…,\\server\share\resetpw.bat"). The default specifiers name
// COM classes ("order,{CLSID}") or local consoles (RsAdmin.msc).
var programMenu = regexp.MustCompile(`(?i)^\s*\d+\s*,[^,]*,\s*(\\\\|[a-z]:\\|[a-z][a-z0-9+.-]*://|.*\.(bat|cmd|ps1|vbs|vbe|js|jse|wsf|wsh|hta|exe|com|scr|pif|dll)\b)`)

// runsProgram reports whether a context-menu value starts such a program.
func runsProgram(v string) bool { return programMenu.MatchString(v) }
