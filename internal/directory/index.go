package directory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// index holds what several checkpoints need, computed once per snapshot; the
// checkpoints (checks.go) read the snapshot through it.
type index struct {
	s   *Snapshot
	now time.Time
	// dns and sids find the objects of a snapshot held whole (by lower-case DN and
	// by SID); a streamed collection's store finds its own.
	dns        map[string]*Object
	sids       map[string]*Object
	privileged map[string]bool // DN of accounts and groups inside a privileged group
	protected  map[string]bool // DN of members of Protected Users
	dcs        []*Object
	dcHosts    map[string]bool
}

// Well-known SIDs and RIDs.
const (
	sidAdministrators   = "S-1-5-32-544"
	sidAccountOperators = "S-1-5-32-548"
	sidServerOperators  = "S-1-5-32-549"
	sidPrintOperators   = "S-1-5-32-550"
	sidBackupOperators  = "S-1-5-32-551"
	sidPreWin2000       = "S-1-5-32-554"
	sidSystem           = "S-1-5-18"
	sidEnterpriseDCs    = "S-1-5-9"
	sidAnonymous        = "S-1-5-7"
	sidEveryone         = "S-1-1-0"
	sidAuthenticated    = "S-1-5-11"

	ridDomainAdmins     = 512
	ridDomainUsers      = 513
	ridDomainGuests     = 514
	ridDomainComputers  = 515
	ridDCs              = 516
	ridSchemaAdmins     = 518
	ridEnterpriseAdmins = 519
	ridRODCs            = 521
	ridProtectedUsers   = 525
	ridKeyAdmins        = 526
	ridEntKeyAdmins     = 527
	ridGuest            = 501
	ridKrbtgt           = 502
)

func newIndex(s *Snapshot) *index {
	x := &index{s: s, now: s.CollectedAt, dcHosts: map[string]bool{}}
	if s.store == nil {
		x.dns, x.sids = map[string]*Object{}, map[string]*Object{}
	}
	for i, o := range s.objects() {
		if x.dns != nil {
			x.dns[strings.ToLower(o.DN)] = o
			if o.SID != "" {
				x.sids[o.SID] = o
			}
		}
		if o.IsDC() {
			x.dcs = append(x.dcs, s.object(i))
			x.dcHosts[strings.ToLower(o.DNSHost)] = true
			x.dcHosts[strings.ToLower(strings.TrimSuffix(o.Name, "$"))] = true
		}
	}
	x.privileged = x.closure(privilegedGroups(s.Domain.SID)...)
	x.protected = x.closure(domainSID(s.Domain.SID, ridProtectedUsers))
	return x
}

// byDN is the object whose DN is dn (in any case), or nil.
func (x *index) byDN(dn string) *Object {
	if x.dns != nil {
		return x.dns[strings.ToLower(dn)]
	}
	if i := x.s.store.find(dn); i >= 0 {
		return x.s.object(i)
	}
	return nil
}

// bySID is the object whose SID is sid, or nil.
func (x *index) bySID(sid string) *Object {
	if x.sids != nil {
		return x.sids[sid]
	}
	if i := x.s.store.findSID(sid); i >= 0 {
		return x.s.object(i)
	}
	return nil
}

func domainSID(domain string, r int) string { return domain + "-" + strconv.Itoa(r) }

// privilegedGroups are the groups whose members administer the domain.
func privilegedGroups(domain string) []string {
	return []string{sidAdministrators, sidAccountOperators, sidServerOperators, sidPrintOperators, sidBackupOperators,
		domainSID(domain, ridDomainAdmins), domainSID(domain, ridEnterpriseAdmins), domainSID(domain, ridSchemaAdmins),
		domainSID(domain, ridKeyAdmins), domainSID(domain, ridEntKeyAdmins)}
}

// closure returns the DNs of every object inside the given groups, through nested
// groups and through primaryGroupID (a membership the member attribute does not show).
func (x *index) closure(groupSIDs ...string) map[string]bool {
	in := map[string]bool{}
	var queue []*Object
	for _, sid := range groupSIDs {
		if g := x.bySID(sid); g != nil {
			queue = append(queue, g)
		}
	}
	primary := map[int]bool{}
	for _, g := range queue {
		if sidDomain(g.SID) == x.s.Domain.SID {
			primary[rid(g.SID)] = true
		}
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, m := range g.Members {
			key := strings.ToLower(m)
			if in[key] {
				continue
			}
			in[key] = true
			if o := x.byDN(m); o != nil && o.Class == ClassGroup {
				queue = append(queue, o)
				if sidDomain(o.SID) == x.s.Domain.SID {
					primary[rid(o.SID)] = true
				}
			}
		}
	}
	for _, o := range x.s.objects() {
		if o.PrimaryGroup != 0 && primary[o.PrimaryGroup] {
			in[strings.ToLower(o.DN)] = true
		}
	}
	return in
}

// Privileged lists the accounts and groups of s inside a privileged group.
func (s *Snapshot) Privileged() []*Object {
	x := newIndex(s)
	var out []*Object
	for i, o := range s.objects() {
		if x.privileged[strings.ToLower(o.DN)] {
			out = append(out, s.object(i))
		}
	}
	return out
}

func (x *index) isPrivileged(o *Object) bool { return x.privileged[strings.ToLower(o.DN)] }

func (x *index) days(t *time.Time, fallback time.Time) int {
	at := fallback
	if t != nil {
		at = *t
	}
	return int(x.now.Sub(at).Hours() / 24)
}

// accounts returns the objects of the classes given that pass keep.
func (x *index) accounts(keep func(o *Object) bool, classes ...string) []string {
	var out []string
	for _, o := range x.s.objects() {
		if slices.Contains(classes, o.Class) && keep(o) {
			out = append(out, o.DN)
		}
	}
	return out
}

func (x *index) privEnabled(o *Object) bool { return o.Enabled() && x.isPrivileged(o) }

func isKrbtgt(o *Object) bool {
	return rid(o.SID) == ridKrbtgt || strings.HasPrefix(strings.ToLower(o.Name), "krbtgt")
}

// serversWhere lists the enabled servers (member servers: not the DCs) that bad
// says are at fault; applicable when the domain has a server.
func (x *index) serversWhere(bad func(o *Object) bool) ([]string, bool) {
	return x.where(func(o *Object) bool {
		return o.Class == ClassComputer && o.Enabled() && !o.IsDC() && strings.Contains(strings.ToLower(o.OS), "server")
	}, bad)
}

// where lists the objects that are selects and bad finds at fault; applicable
// when are selects some.
func (x *index) where(are, bad func(o *Object) bool) ([]string, bool) {
	var out []string
	some := false
	for _, o := range x.s.objects() {
		if !are(o) {
			continue
		}
		some = true
		if bad(o) {
			out = append(out, o.DN)
		}
	}
	return out, some
}

// olderThan says an account's password is older than days.
func (x *index) olderThan(days int) func(o *Object) bool {
	return func(o *Object) bool { return x.days(o.PwdLastSet, o.Created) > days }
}

func (x *index) trusts() []*Object {
	var out []*Object
	for i, o := range x.s.objects() {
		if o.Class == ClassTrust {
			out = append(out, x.s.object(i))
		}
	}
	return out
}

func (x *index) functionalLevel() int {
	fl := x.s.Domain.FunctionalLevel
	if x.s.Domain.ForestLevel > 0 {
		fl = min(fl, x.s.Domain.ForestLevel)
	}
	return fl
}

// spnHost is the host part of a service principal name (class/host[:port][/name]).
func spnHost(spn string) string {
	_, rest, ok := strings.Cut(spn, "/")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, ":")
	return strings.ToLower(host)
}

func (x *index) name(sid string) string {
	if o := x.bySID(sid); o != nil {
		return o.DN
	}
	return sid
}

// memberSIDs resolves a group's members to SIDs (foreign principals carry theirs).
func (x *index) memberSIDs(g *Object) map[string]string {
	out := map[string]string{}
	for _, m := range g.Members {
		sid := ""
		if o := x.byDN(m); o != nil {
			sid = o.SID
		} else if cn, _, ok := strings.Cut(m, ","); ok && strings.HasPrefix(strings.ToUpper(cn), "CN=S-") {
			sid = cn[3:]
		}
		out[m] = sid
	}
	return out
}

// ---- what the checkpoints ask of the index ----

func (x *index) delegationToDC(protocolTransition bool) []string {
	var out []string
	for _, o := range x.s.objects() {
		if !o.Enabled() || o.IsDC() || (protocolTransition && o.UAC&uacTrustedToAuthForDeleg == 0) {
			continue
		}
		for _, spn := range o.DelegateTo {
			if x.dcHosts[spnHost(spn)] {
				out = append(out, fmt.Sprintf("%s → %s", o.DN, spn))
			}
		}
	}
	return out
}

// msDS-Behavior-Version values ([MS-ADTS] 6.1.4.2) the functional-level checkpoints name.
const (
	levelWin2008R2 = 4
	levelWin2012R2 = 6
	levelWin2016   = 7
)

// functionalLevelBelow names the domain head when the lower of the domain and
// forest functional levels is below want.
func (x *index) functionalLevelBelow(want int) []string {
	if x.functionalLevel() < want {
		return []string{fmt.Sprintf("%s: msDS-Behavior-Version domain=%d forest=%d", x.s.BaseDN, x.s.Domain.FunctionalLevel, x.s.Domain.ForestLevel)}
	}
	return nil
}

func osMajor(v string) int {
	major, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 99 // unknown form: do not accuse
	}
	return n
}

// serverPasswords lists every enabled server whose machine password is older
// than maxAge days, active or not (ANSSI vuln_password_change_server_no_change_*).
func (x *index) serverPasswords(maxAge int) ([]string, bool) {
	return x.serversWhere(x.olderThan(maxAge))
}

func (x *index) preWin2000(bad func(sid string) bool) ([]string, bool) {
	g := x.bySID(sidPreWin2000)
	if g == nil {
		return nil, false
	}
	var out []string
	for dn, sid := range x.memberSIDs(g) {
		if bad(sid) {
			out = append(out, dn)
		}
	}
	return out, true
}

func (x *index) trustsWhere(bad func(t *Object) bool) ([]string, bool) {
	trusts := x.trusts()
	var out []string
	for _, t := range trusts {
		if bad(t) {
			out = append(out, fmt.Sprintf("%s (direction=%d, attributes=0x%x)", t.DN, t.TrustDirection, t.TrustAttributes))
		}
	}
	return out, len(trusts) > 0
}

// trustPasswordDays is the age of a trust's password: the pwdLastSet of its trust
// account (FLATNAME$) when the domain has one, else the last change of the trust.
func (x *index) trustPasswordDays(t *Object) int {
	for _, o := range x.s.objects() {
		if o.UAC&uacInterdomainTrust != 0 && t.FlatName != "" && strings.EqualFold(o.Name, t.FlatName+"$") {
			return x.days(o.PwdLastSet, o.Created)
		}
	}
	return x.days(nil, t.Changed)
}

// GUIDs of the replication extended rights (DCSync needs Get-Changes-All).
const (
	rightGetChanges    = "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"
	rightGetChangesAll = "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"
)

// trustees are the principals allowed to hold control rights on the domain's
// critical objects: the domain's own administrators, controllers and the system.
func (x *index) trustee(sid string) bool {
	d := x.s.Domain.SID
	switch sid {
	case sidSystem, sidAdministrators, sidEnterpriseDCs,
		domainSID(d, ridDomainAdmins), domainSID(d, ridEnterpriseAdmins), domainSID(d, ridDCs), domainSID(d, 498):
		return true
	}
	return false
}

func (x *index) rootPermissions() ([]string, bool) {
	sd, err := ParseSecurityDescriptor(x.s.Domain.RootSD)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, a := range sd.DACL {
		if a.Type != aceAccessAllowed && a.Type != aceAccessAllowedObject || x.trustee(a.SID) {
			continue
		}
		control := a.Mask&(rightGenericAll|rightWriteDACL|rightWriteOwner) != 0 || a.Mask&rightAllDS == rightAllDS
		replication := a.Mask&rightControlAccess != 0 && (a.ObjectType == "" || a.ObjectType == rightGetChangesAll)
		if control || replication {
			out = append(out, fmt.Sprintf("%s: %s (0x%x %s)", x.s.BaseDN, x.name(a.SID), a.Mask, a.ObjectType))
		}
	}
	return out, true
}

// writes reports whether an allow entry lets its trustee change the object.
func writes(a ACE) bool {
	if a.Type != aceAccessAllowed && a.Type != aceAccessAllowedObject {
		return false
	}
	if a.Mask&(rightGenericAll|rightGenericWrite|rightWriteDACL|rightWriteOwner) != 0 || a.Mask&rightAllDS == rightAllDS {
		return true
	}
	return a.Mask&rightWriteProperty != 0 && a.ObjectType == ""
}

func (x *index) adminSDHolderPermissions() ([]string, bool) {
	sd, err := ParseSecurityDescriptor(x.s.Domain.AdminSDHolderSD)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, a := range sd.DACL {
		if writes(a) && !x.trustee(a.SID) {
			out = append(out, fmt.Sprintf("AdminSDHolder: %s (0x%x)", x.name(a.SID), a.Mask))
		}
	}
	return out, true
}

// owners lists the objects whose owner is not one of the domain's trustees
// (ANSSI vuln_owner): the domain head, AdminSDHolder, and every object created
// more than seven days before the collection (a new object keeps its creator as
// owner until an administrator takes it over). The owner comes from the object's
// descriptor when the collector read it, else from the owner it read for every
// object.
func (x *index) owners() ([]string, bool) {
	var out []string
	check := func(what, owner string) {
		if owner != "" && !x.trustee(owner) {
			out = append(out, fmt.Sprintf("%s ← %s", what, x.name(owner)))
		}
	}
	sdOwner := func(raw []byte) string {
		if sd, err := ParseSecurityDescriptor(raw); err == nil {
			return sd.Owner
		}
		return ""
	}
	check(x.s.BaseDN, sdOwner(x.s.Domain.RootSD))
	check("AdminSDHolder", sdOwner(x.s.Domain.AdminSDHolderSD))
	for _, o := range x.s.objects() {
		if o.Class == ClassForeign || x.days(nil, o.Created) <= ownerGrace {
			continue
		}
		owner := o.Owner
		if len(o.SD) > 0 {
			owner = sdOwner(o.SD)
		}
		check(o.DN, owner)
	}
	return out, true
}

// groupLoops finds groups nested in a cycle (strongly connected components of the
// group-in-group graph, Tarjan). Groups are known by their lower-case DN.
func (x *index) groupLoops() []string {
	var groups []string
	dn := map[string]string{}      // lower-case DN → DN
	inner := map[string][]string{} // group → the groups among its members
	self := map[string]bool{}      // group that is its own member
	for _, g := range x.s.objects() {
		if g.Class != ClassGroup {
			continue
		}
		key := strings.ToLower(g.DN)
		groups = append(groups, key)
		dn[key] = g.DN
		self[key] = slices.ContainsFunc(g.Members, func(m string) bool { return strings.EqualFold(m, g.DN) })
		for _, m := range g.Members {
			if c := x.byDN(m); c != nil && c.Class == ClassGroup {
				inner[key] = append(inner[key], strings.ToLower(c.DN))
			}
		}
	}
	idx, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out []string
	n := 0
	var visit func(g string)
	visit = func(g string) {
		idx[g], low[g] = n, n
		n++
		stack = append(stack, g)
		onStack[g] = true
		for _, c := range inner[g] {
			if _, seen := idx[c]; !seen {
				visit(c)
				low[g] = min(low[g], low[c])
			} else if onStack[c] {
				low[g] = min(low[g], idx[c])
			}
		}
		if low[g] == idx[g] {
			var scc []string
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				scc = append(scc, top)
				if top == g {
					break
				}
			}
			if len(scc) > 1 || self[g] {
				for _, o := range scc {
					out = append(out, dn[o])
				}
			}
		}
	}
	for _, g := range groups {
		if _, seen := idx[g]; !seen {
			visit(g)
		}
	}
	return out
}

// privilegedMembers lists the members of the privileged groups when they are more
// than ANSSI's threshold (vuln_privileged_members): 50 accounts or three times the
// number of domains of the forest (a snapshot holds one domain). The built-in
// RID-500 administrator and the domain controllers are left out, each account
// counts once; at level 1 accounts are deduplicated by sAMAccountName.
func (x *index) privilegedMembers(byName bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range x.s.objects() {
		if (o.Class != ClassUser && o.Class != ClassComputer) || !x.countedPrivileged(o) {
			continue
		}
		key := strings.ToLower(o.DN)
		if byName && o.Name != "" {
			key = strings.ToLower(o.Name)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, o.DN)
		}
	}
	if len(out) <= max(maxPrivileged, 3) {
		return nil
	}
	return out
}

// countedPrivileged is a privileged account as ANSSI counts them for
// vuln_privileged_members: neither a domain controller nor the built-in
// administrator (RID 500).
func (x *index) countedPrivileged(o *Object) bool {
	return x.isPrivileged(o) && !o.IsDC() && rid(o.SID) != 500
}

// Kerberos encryption types (msDS-SupportedEncryptionTypes, [MS-KILE] 2.2.7).
const (
	encDES = 0x1 | 0x2 // DES-CBC-CRC, DES-CBC-MD5
	encRC4 = 0x4
	encAES = 0x8 | 0x10 // AES128, AES256
)

// encTypesUnset is what Windows does for an account whose
// msDS-SupportedEncryptionTypes is absent or 0: the KDC falls back to the domain
// default (DefaultDomainSupportedEncTypes, Microsoft KB5021131), RC4 tickets with
// at most AES session keys, and DES is off by default since Windows Server 2008 R2.
// An absent attribute on a DC therefore reads as RC4 without AES, never as DES:
// it fails the AES (level 3) and RC4 (level 4) checkpoints, not the DES one.
const encTypesUnset = encRC4

// dcsWhere lists the domain controllers whose effective encryption types are bad.
func (x *index) dcsWhere(bad func(dc *Object, types int) bool) ([]string, bool) {
	var out []string
	for _, dc := range x.dcs {
		types := encTypesUnset
		shown := "absent"
		if dc.EncTypes != nil && *dc.EncTypes != 0 {
			types = *dc.EncTypes
			shown = strconv.Itoa(types)
		}
		if bad(dc, types) {
			out = append(out, fmt.Sprintf("%s (msDS-SupportedEncryptionTypes=%s)", dc.DN, shown))
		}
	}
	return out, len(x.dcs) > 0
}

// dsHeuristic is one flag of dSHeuristics, read by its 1-based character position
// as [MS-ADTS] 6.1.1.2.4.1.2 lays them out.
type dsHeuristic struct {
	name  string
	pos   int
	level int
	bad   func(c byte) bool
}

// dsHeuristicFlags are the settings ANSSI's vuln_dsheuristics_bad reads: level 1 if
// fAllowAnonNSPI or dwAdminSDExMask is not 0; level 2 if fLDAPBlockAnonOps is 2,
// DoNotVerifyUPNAndOrSPNUniqueness is not 0, AttributeAuthorizationOnLDAPAdd or
// BlockOwnerImplicitRights is 2 (KB5008383), or
// DisableConfidentialAttributeEncryptionRequirements is not 0; level 4 unless
// AttributeAuthorizationOnLDAPAdd and BlockOwnerImplicitRights are set to 1.
// Positions from
// [MS-ADTS] 6.1.1.2.4.1.2 (dSHeuristics): 7 fLDAPBlockAnonOps, 8 fAllowAnonNSPI,
// 16 dwAdminSDExMask, 21 DoNotVerifyUPNAndOrSPNUniqueness, 28
// AttributeAuthorizationOnLDAPAdd, 29 BlockOwnerImplicitRights, 31
// DisableConfidentialAttributeEncryptionRequirements. A character past the end of
// the value is unset: its default (0) applies.
var dsHeuristicFlags = []dsHeuristic{
	{"fAllowAnonNSPI", 8, 1, func(c byte) bool { return c != '0' }},
	{"dwAdminSDExMask", 16, 1, func(c byte) bool { return c != '0' }},
	{"fLDAPBlockAnonOps", 7, 2, func(c byte) bool { return c == '2' }},
	{"DoNotVerifyUPNAndOrSPNUniqueness", 21, 2, func(c byte) bool { return c != '0' }},
	{"AttributeAuthorizationOnLDAPAdd", 28, 2, func(c byte) bool { return c == '2' }},
	{"BlockOwnerImplicitRights", 29, 2, func(c byte) bool { return c == '2' }},
	{"DisableConfidentialAttributeEncryptionRequirements", 31, 2, func(c byte) bool { return c != '0' }},
	// level 4: the KB5008383 protections must be explicitly enforced (1)
	{"AttributeAuthorizationOnLDAPAdd", 28, 4, func(c byte) bool { return c != '1' }},
	{"BlockOwnerImplicitRights", 29, 4, func(c byte) bool { return c != '1' }},
}

func (x *index) dsHeuristics(level int) []string {
	h := x.s.Domain.DSHeuristics
	var out []string
	for _, f := range dsHeuristicFlags {
		c := byte('0') // an unset character keeps its default, 0
		if len(h) >= f.pos {
			c = h[f.pos-1]
		}
		if f.level == level && f.bad(c) {
			out = append(out, fmt.Sprintf("dSHeuristics=%s: %s=%c (position %d)", h, f.name, c, f.pos))
		}
	}
	return out
}
