package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"

	"care/internal/platform/problem"
)

// Config says how to reach and read a domain. The collector only searches: it never
// writes to the directory.
type Config struct {
	URL      string // ldaps://host[:port] or ldap://host[:port]
	BindDN   string // DN or user@domain of an ordinary domain account
	Password string `json:"-"`
	BaseDN   string // the domain's naming context; read from the rootDSE when empty
	// StartTLS upgrades an ldap:// connection; plain LDAP is refused unless AllowPlain.
	StartTLS   bool
	AllowPlain bool
	// CAPEM trusts these certificates instead of the system's; InsecureSkipVerify
	// trusts anything (an explicit choice, written in the audit).
	CAPEM              []byte
	InsecureSkipVerify bool
	Timeout            time.Duration // per request; 30 s when zero
	PageSize           int           // 1,000 when zero
	// Kerberos binds with GSSAPI instead of a simple bind: BindDN is then
	// user@domain, KRB5Conf the krb5.conf that names the KDC, and SPN the
	// directory's service principal (ldap/HOST when empty). The connection stays
	// TLS: the Go client offers no SASL security layer of its own.
	Kerberos bool
	KRB5Conf string
	SPN      string
	// Guard, when set, is asked before each connection to the address the name
	// resolved to; audits run by the platform set it (see Service.Networks), the
	// command line does not.
	Guard func(netip.Addr) error `json:"-"`
}

// kerberosName splits user@domain into the user and its realm.
func kerberosName(bindDN string) (user, realm string, ok bool) {
	user, domain, ok := strings.Cut(bindDN, "@")
	if !ok || user == "" || domain == "" || strings.ContainsAny(bindDN, "=,") {
		return "", "", false
	}
	return user, strings.ToUpper(domain), true
}

// dialHost is the host the LDAP client connects to (go-ldap's DialURL): the
// authority split as host:port, or the whole authority when it does not split.
func dialHost(u *url.URL) string {
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		return h
	}
	return u.Host
}

// sameHost reports whether the URL names a host and the LDAP client dials the one
// that the address checks and the TLS server name use (url.URL.Hostname). Refused:
// an authority without a host (":636" dials this machine) and an IPv6 address
// without brackets ("2001:db8::5:636" is checked as 2001:db8::5 port 636 and
// dialled as 2001:db8::5:636 port 636). A bracketed address without a port
// ("[2001:db8::5]") is let through: the client cannot dial it at all.
func sameHost(u *url.URL) bool {
	h := u.Hostname()
	return h != "" && (dialHost(u) == h || u.Host == "["+h+"]")
}

// Validate checks the whole configuration and reports every fault.
func (c Config) Validate() error {
	var ch problem.Checks
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || !sameHost(u) || (u.Scheme != "ldap" && u.Scheme != "ldaps"):
		ch.Add("url", "directory.error.url")
	case u.Scheme == "ldap" && !c.StartTLS && !c.AllowPlain:
		ch.Add("url", "directory.error.plain")
	case u.Scheme == "ldaps" && c.StartTLS:
		ch.Add("starttls", "directory.error.starttls_ldaps")
	}
	if strings.TrimSpace(c.BindDN) == "" {
		ch.Add("bind_dn", "directory.error.bind_dn")
	}
	if c.Password == "" {
		ch.Add("password", "directory.error.password")
	}
	if c.Kerberos {
		if _, _, ok := kerberosName(c.BindDN); !ok {
			ch.Add("bind_dn", "directory.error.kerberos_name")
		}
		if c.KRB5Conf == "" {
			ch.Add("krb5_conf", "directory.error.krb5_conf")
		}
	}
	if len(c.CAPEM) > 0 {
		if c.InsecureSkipVerify {
			ch.Add("ca", "directory.error.ca_and_insecure")
		} else if !x509.NewCertPool().AppendCertsFromPEM(c.CAPEM) {
			ch.Add("ca", "directory.error.ca")
		}
	}
	if c.BaseDN != "" {
		if _, err := ldap.ParseDN(c.BaseDN); err != nil {
			ch.Add("base_dn", "directory.error.base_dn")
		}
	}
	return ch.Err()
}

func (c Config) tlsConfig(host string) *tls.Config {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify}
	if len(c.CAPEM) > 0 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(c.CAPEM)
		tc.RootCAs = pool
	}
	return tc
}

// refused turns a connection or bind error into what the user can act on.
func refused(field, key string, args ...any) error {
	var ch problem.Checks
	ch.Add(field, key, args...)
	return ch.Err()
}

// explain says why a connection or a bind failed. For audits run by the platform
// (guarded), a server that does not answer and one that answers with something
// else than a directory read the same: the field must not map the network.
func (c Config) explain(err error, host string) error {
	if e, ok := problem.As(err); ok {
		return e // the guard's own refusal
	}
	err = explain(err, host)
	if e, ok := problem.As(err); ok && c.Guard != nil && len(e.Fields) == 1 && e.Fields[0].Key == "directory.error.ldap" {
		return refused("url", "directory.error.unreachable", host)
	}
	return err
}

func explain(err error, host string) error {
	var cert *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &hostErr):
		return refused("url", "directory.error.certificate_name", host)
	case errors.As(err, &unknown), errors.As(err, &cert):
		return refused("url", "directory.error.certificate", host)
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		return refused("password", "directory.error.credentials")
	case ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired), ldap.IsErrorWithCode(err, ldap.LDAPResultConfidentialityRequired):
		return refused("url", "directory.error.strong_auth")
	case ldap.IsErrorWithCode(err, ldap.ErrorNetwork), errors.Is(err, context.DeadlineExceeded):
		if strings.Contains(err.Error(), "x509") || strings.Contains(err.Error(), "tls:") {
			return refused("url", "directory.error.certificate", host)
		}
		return refused("url", "directory.error.unreachable", host)
	}
	return refused("url", "directory.error.ldap", ldapMessage(err))
}

// ldapMessage keeps the server's words (never the request, which holds no secret
// anyway: the password travels in the bind only).
func ldapMessage(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) {
		return strings.TrimSpace(fmt.Sprintf("%s %s", ldap.LDAPResultCodeMap[le.ResultCode], le.Err))
	}
	return err.Error()
}

// session is an open, bound connection.
type session struct {
	conn *ldap.Conn
	cfg  Config
	// spool, when set, receives each object as it arrives, and the snapshot keeps
	// its compact form (CollectStreamed).
	spool *spool
}

func dial(ctx context.Context, c Config) (*session, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.URL)
	host := u.Hostname()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: min(timeout, 15*time.Second)}
	if c.Guard != nil {
		// Checked on the address actually dialled, after resolution: a name that
		// resolves elsewhere at dial time (DNS rebinding) is checked too.
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			return c.Guard(ap.Addr().Unmap())
		}
	}
	conn, err := ldap.DialURL(c.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(c.tlsConfig(host)))
	if err != nil {
		return nil, c.explain(err, host)
	}
	conn.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	s := &session{conn: conn, cfg: c}
	fail := func(err error) (*session, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.explain(err, host)
	}
	if u.Scheme == "ldap" && c.StartTLS {
		if err := conn.StartTLS(c.tlsConfig(host)); err != nil {
			return fail(err)
		}
	}
	if c.Kerberos {
		if err := kerberosBind(conn, c, host); err != nil {
			stop()
			conn.Close()
			return nil, err
		}
		return s, nil
	}
	if err := conn.Bind(c.BindDN, c.Password); err != nil {
		return fail(err)
	}
	return s, nil
}

func kerberosBind(conn *ldap.Conn, c Config, host string) error {
	user, realm, _ := kerberosName(c.BindDN)
	client, err := gssapi.NewClientWithPassword(user, realm, c.Password, c.KRB5Conf)
	if err != nil {
		return refused("krb5_conf", "directory.error.kerberos", err.Error())
	}
	defer client.Close()
	spn := c.SPN
	if spn == "" {
		spn = "ldap/" + host
	}
	if err := conn.GSSAPIBind(client, spn, ""); err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "KDC_ERR_PREAUTH_FAILED"), strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
			return refused("password", "directory.error.credentials")
		case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
			return refused("spn", "directory.error.spn", spn)
		case strings.Contains(msg, "connection refused"), strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "networking"):
			return refused("krb5_conf", "directory.error.kdc_unreachable")
		}
		return refused("krb5_conf", "directory.error.kerberos", msg)
	}
	return nil
}

func (s *session) close() { s.conn.Close() }

var sdFlags = &ldap.ControlMicrosoftSDFlags{Criticality: true, ControlValue: 7} // owner, group, DACL; never the SACL

// ownerFlag asks only the owner part of each descriptor ([MS-ADTS] 3.1.1.3.4.1.11,
// OWNER_SECURITY_INFORMATION): the owner checkpoint looks at every object, and an
// owner SID per object costs little beside full descriptors.
var ownerFlag = &ldap.ControlMicrosoftSDFlags{Criticality: true, ControlValue: 1}

func (s *session) base(dn string, attrs []string, controls ...ldap.Control) (*ldap.Entry, error) {
	res, err := s.conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", attrs, controls))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	return res.Entries[0], nil
}

// objectAttrs is what the collector reads of each account, group and trust.
var objectAttrs = []string{"objectClass", "sAMAccountName", "objectSid", "userAccountControl", "primaryGroupID",
	"whenCreated", "whenChanged", "pwdLastSet", "lastLogonTimestamp", "adminCount", "servicePrincipalName",
	"msDS-AllowedToDelegateTo", "msDS-AllowedToActOnBehalfOfOtherIdentity", "msDS-SupportedEncryptionTypes",
	"operatingSystem", "operatingSystemVersion", "dNSHostName", "sIDHistory", "member",
	"trustPartner", "trustDirection", "trustAttributes", "trustType", "flatName", "nTSecurityDescriptor", "msDS-RevealedUsers"}

const objectFilter = "(|(objectClass=user)(objectClass=group)(objectClass=trustedDomain)(objectClass=foreignSecurityPrincipal))"

// Collect reads a domain into a snapshot held whole in memory.
func Collect(ctx context.Context, c Config) (*Snapshot, error) {
	return collect(ctx, c, nil)
}

// CollectStreamed reads a domain as Collect does, writing each object to a
// temporary file as it arrives: the memory it holds is the compact form of the
// objects (Collection). The caller closes the collection.
func CollectStreamed(ctx context.Context, c Config) (*Collection, error) {
	sp, err := newSpool()
	if err != nil {
		return nil, err
	}
	defer sp.close()
	snap, err := collect(ctx, c, sp)
	if err != nil {
		return nil, err
	}
	return sp.finish(snap)
}

func collect(ctx context.Context, c Config, sp *spool) (*Snapshot, error) {
	s, err := dial(ctx, c)
	if err != nil {
		return nil, err
	}
	defer s.close()
	s.spool = sp
	snap, err := s.collect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, explain(err, "")
	}
	return snap, nil
}

func (s *session) collect(ctx context.Context) (*Snapshot, error) {
	u, _ := url.Parse(s.cfg.URL)
	root, err := s.base("", []string{"defaultNamingContext", "configurationNamingContext", "domainFunctionality", "forestFunctionality", "dnsHostName"})
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, refused("url", "directory.error.rootdse")
	}
	snap := &Snapshot{Format: SnapshotFormat, CollectedAt: time.Now().UTC().Truncate(time.Microsecond), Server: u.Host, BaseDN: s.cfg.BaseDN}
	if snap.BaseDN == "" {
		snap.BaseDN = root.GetAttributeValue("defaultNamingContext")
	}
	config := root.GetAttributeValue("configurationNamingContext")
	d := &snap.Domain
	d.FunctionalLevel, _ = strconv.Atoi(root.GetAttributeValue("domainFunctionality"))
	d.ForestLevel, _ = strconv.Atoi(root.GetAttributeValue("forestFunctionality"))

	head, err := s.base(snap.BaseDN, []string{"objectSid", "msDS-Behavior-Version", "ms-DS-MachineAccountQuota", "pwdProperties",
		"minPwdLength", "maxPwdAge", "msDS-ExpirePasswordsOnSmartCardOnlyAccounts", "nTSecurityDescriptor"}, sdFlags)
	if err != nil {
		return nil, err
	}
	if head == nil {
		return nil, refused("base_dn", "directory.error.base_dn_missing", snap.BaseDN)
	}
	if d.SID, err = SIDString(head.GetRawAttributeValue("objectSid")); err != nil {
		return nil, refused("base_dn", "directory.error.not_domain", snap.BaseDN)
	}
	d.DNSName = dnsName(snap.BaseDN)
	d.ConfigDN = config
	if v := head.GetAttributeValue("msDS-Behavior-Version"); v != "" {
		d.FunctionalLevel, _ = strconv.Atoi(v)
	}
	d.MachineAccountQuota, _ = strconv.Atoi(head.GetAttributeValue("ms-DS-MachineAccountQuota"))
	d.PwdProperties, _ = strconv.Atoi(head.GetAttributeValue("pwdProperties"))
	d.PasswordPolicy = &PasswordPolicy{MinPwdLength: atoi(head.GetAttributeValue("minPwdLength"))}
	d.PasswordPolicy.MaxPwdAge, _ = strconv.ParseInt(head.GetAttributeValue("maxPwdAge"), 10, 64)
	d.SmartcardExpire = head.GetAttributeValue("msDS-ExpirePasswordsOnSmartCardOnlyAccounts")
	d.RootSD = head.GetRawAttributeValue("nTSecurityDescriptor")

	if config != "" {
		if e, err := s.base("CN=Directory Service,CN=Windows NT,CN=Services,"+config, []string{"dSHeuristics"}); err == nil && e != nil {
			d.DSHeuristics = e.GetAttributeValue("dSHeuristics")
		}
		if e, err := s.base("CN=Partitions,"+config, []string{"msDS-Behavior-Version"}); err == nil && e != nil {
			if v := e.GetAttributeValue("msDS-Behavior-Version"); v != "" {
				d.ForestLevel, _ = strconv.Atoi(v)
			}
		}
	}
	if e, err := s.base("CN=AdminSDHolder,CN=System,"+snap.BaseDN, []string{"nTSecurityDescriptor"}, sdFlags); err == nil && e != nil {
		d.AdminSDHolderSD = e.GetRawAttributeValue("nTSecurityDescriptor")
	}

	if err := s.objects(ctx, snap, snap.BaseDN, ldap.ScopeWholeSubtree, objectFilter); err != nil {
		return nil, err
	}
	if config != "" {
		// Well-known principals (Anonymous, Everyone…) may be group members by their
		// configuration-partition entry rather than a foreign security principal.
		if err := s.objects(ctx, snap, "CN=WellKnown Security Principals,"+config, ldap.ScopeSingleLevel, "(objectClass=foreignSecurityPrincipal)"); err != nil {
			return nil, err
		}
	}
	if err := s.securityDescriptors(ctx, snap); err != nil {
		return nil, err
	}
	return snap, s.configObjects(ctx, snap)
}

// objects pages through the accounts, groups and trusts of the domain, with the
// owner of each.
func (s *session) objects(ctx context.Context, snap *Snapshot, base string, scope int, filter string) error {
	return s.each(ctx, base, scope, filter, objectAttrs, ownerFlag, func(e *ldap.Entry) error {
		o := toObject(e)
		if err := s.rangedMembers(e, &o); err != nil {
			return err
		}
		if s.spool != nil {
			return s.spool.keep(snap, o)
		}
		snap.Objects = append(snap.Objects, o)
		return nil
	})
}

// rangedMembers completes a large group's members: Active Directory returns them in
// ranges (member;range=0-1499) beyond its MaxValRange.
func (s *session) rangedMembers(e *ldap.Entry, o *Object) error {
	for _, a := range e.Attributes {
		name, rng, ok := strings.Cut(a.Name, ";range=")
		if !ok || !strings.EqualFold(name, "member") {
			continue
		}
		o.Members = append(o.Members, a.Values...)
		for !strings.HasSuffix(rng, "-*") {
			_, hi, _ := strings.Cut(rng, "-")
			next, err := strconv.Atoi(hi)
			if err != nil {
				return fmt.Errorf("directory: bad range %q", rng)
			}
			ge, err := s.base(e.DN, []string{fmt.Sprintf("member;range=%d-*", next+1)})
			if err != nil || ge == nil || len(ge.Attributes) == 0 {
				return err
			}
			o.Members = append(o.Members, ge.Attributes[0].Values...)
			_, rng, _ = strings.Cut(ge.Attributes[0].Name, ";range=")
		}
	}
	return nil
}

// securityDescriptors reads the descriptors of the objects whose owner and
// permissions the checkpoints look at: DCs, privileged accounts and groups.
func (s *session) securityDescriptors(ctx context.Context, snap *Snapshot) error {
	want := map[string]bool{}
	for _, o := range snap.Privileged() {
		want[o.DN] = true
	}
	groups := privilegedGroups(snap.Domain.SID)
	for _, o := range snap.objects() {
		if o.IsDC() || (o.Class == ClassGroup && (slices.Contains(groups, o.SID) || strings.EqualFold(o.Name, "DnsAdmins"))) {
			want[o.DN] = true
		}
	}
	// A few searches naming fifty objects each, rather than one round trip per object.
	var dns []string
	for dn := range want {
		dns = append(dns, dn)
	}
	slices.Sort(dns)
	sds := map[string][]byte{}
	for start := 0; start < len(dns); start += 50 {
		if err := ctx.Err(); err != nil {
			return err
		}
		var filter strings.Builder
		filter.WriteString("(|")
		for _, dn := range dns[start:min(start+50, len(dns))] {
			filter.WriteString("(distinguishedName=" + ldap.EscapeFilter(dn) + ")")
		}
		filter.WriteString(")")
		res, err := s.conn.Search(ldap.NewSearchRequest(snap.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			filter.String(), []string{"nTSecurityDescriptor"}, []ldap.Control{sdFlags}))
		if err != nil {
			return err
		}
		for _, e := range res.Entries {
			sds[strings.ToLower(e.DN)] = e.GetRawAttributeValue("nTSecurityDescriptor")
		}
	}
	for i, o := range snap.objects() {
		if want[o.DN] {
			snap.setDescriptor(i, sds[strings.ToLower(o.DN)])
		}
	}
	return nil
}

func toObject(e *ldap.Entry) Object {
	o := Object{DN: e.DN, Name: e.GetAttributeValue("sAMAccountName")}
	classes := e.GetAttributeValues("objectClass")
	switch {
	case hasClass(classes, "computer"):
		o.Class = ClassComputer
		o.Managed = hasClass(classes, "msDS-ManagedServiceAccount") || hasClass(classes, "msDS-GroupManagedServiceAccount")
	case hasClass(classes, "trustedDomain"):
		o.Class = ClassTrust
		o.Name = e.GetAttributeValue("trustPartner")
		o.FlatName = e.GetAttributeValue("flatName")
	case hasClass(classes, "foreignSecurityPrincipal"):
		o.Class = ClassForeign
	case hasClass(classes, "group"):
		o.Class = ClassGroup
	default:
		o.Class = ClassUser
	}
	o.SID, _ = SIDString(e.GetRawAttributeValue("objectSid"))
	o.UAC = atoi(e.GetAttributeValue("userAccountControl"))
	o.PrimaryGroup = atoi(e.GetAttributeValue("primaryGroupID"))
	o.Created = generalized(e.GetAttributeValue("whenCreated"))
	o.Changed = generalized(e.GetAttributeValue("whenChanged"))
	o.PwdLastSet = filetime(e.GetAttributeValue("pwdLastSet"))
	o.LastLogon = filetime(e.GetAttributeValue("lastLogonTimestamp"))
	o.AdminCount = atoi(e.GetAttributeValue("adminCount"))
	o.SPNs = e.GetAttributeValues("servicePrincipalName")
	o.DelegateTo = e.GetAttributeValues("msDS-AllowedToDelegateTo")
	o.RBCD = e.GetRawAttributeValue("msDS-AllowedToActOnBehalfOfOtherIdentity")
	if v := e.GetAttributeValue("msDS-SupportedEncryptionTypes"); v != "" {
		n := atoi(v)
		o.EncTypes = &n
	}
	o.OS = e.GetAttributeValue("operatingSystem")
	o.OSVersion = e.GetAttributeValue("operatingSystemVersion")
	o.DNSHost = e.GetAttributeValue("dNSHostName")
	for _, raw := range e.GetRawAttributeValues("sIDHistory") {
		if sid, err := SIDString(raw); err == nil {
			o.SIDHistory = append(o.SIDHistory, sid)
		}
	}
	o.Members = e.GetAttributeValues("member")
	if sd, err := ParseSecurityDescriptor(e.GetRawAttributeValue("nTSecurityDescriptor")); err == nil {
		o.Owner = sd.Owner
	}
	for _, v := range e.GetAttributeValues("msDS-RevealedUsers") {
		if dn := dnBinaryDN(v); dn != "" && !slices.Contains(o.Revealed, dn) {
			o.Revealed = append(o.Revealed, dn)
		}
	}
	o.TrustDirection = atoi(e.GetAttributeValue("trustDirection"))
	o.TrustAttributes = atoi(e.GetAttributeValue("trustAttributes"))
	o.TrustType = atoi(e.GetAttributeValue("trustType"))
	return o
}

func hasClass(classes []string, want string) bool {
	for _, c := range classes {
		if strings.EqualFold(c, want) {
			return true
		}
	}
	return false
}

func atoi(s string) int {
	n, _ := strconv.ParseInt(s, 10, 64)
	return int(int32(n)) // userAccountControl and friends are signed 32-bit on the wire
}

// generalized parses an LDAP GeneralizedTime as AD writes it (20261129205906.0Z).
func generalized(v string) time.Time {
	head, _, _ := strings.Cut(strings.TrimSuffix(v, "Z"), ".")
	t, err := time.Parse("20060102150405", head)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// filetime converts a Windows FILETIME (100 ns since 1601) to a time; 0 and "never"
// give nil.
func filetime(v string) *time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n == 1<<63-1 {
		return nil
	}
	t := time.Unix(n/10_000_000-11_644_473_600, 0).UTC()
	return &t
}

// dnBinaryDN is the DN of a DN-Binary value, B:<hex length>:<hex>:<DN>
// ([MS-ADTS] 3.1.1.2.2.2.1, Object(DN-Binary)); "" for another form.
func dnBinaryDN(v string) string {
	parts := strings.SplitN(v, ":", 4)
	if len(parts) != 4 || !strings.EqualFold(parts[0], "B") {
		return ""
	}
	return parts[3]
}

// dnsName turns DC=care,DC=test into care.test.
func dnsName(dn string) string {
	var parts []string
	for _, rdn := range strings.Split(dn, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(rdn), "="); ok && strings.EqualFold(k, "dc") {
			parts = append(parts, v)
		}
	}
	return strings.ToLower(strings.Join(parts, "."))
}
