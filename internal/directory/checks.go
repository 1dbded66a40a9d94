package directory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Checkpoint statuses.
const (
	Pass = "pass"
	Fail = "fail"
	NA   = "n/a" // the domain has nothing the checkpoint looks at
)

// Result is one checkpoint evaluated over a snapshot.
type Result struct {
	ID      string   `json:"id"`
	Level   int      `json:"level"`
	Status  string   `json:"status"`
	Objects []string `json:"objects"`
	// Change is set when the result is stored: new, persisting or fixed.
	Change string `json:"change,omitempty"`
}

// Evaluation is the verdict on a snapshot: the ANSSI level of the domain and every
// checkpoint.
type Evaluation struct {
	Level  int      `json:"level"`
	Checks []Result `json:"checks"`
}

// Thresholds of the checkpoints, in days unless said; the content file repeats them.
const (
	krbtgtMaxAge       = 366
	privPasswordMaxAge = 3 * 365
	dormantAfter       = 365
	dormantShare       = 25 // percent of enabled users
	dcPasswordMaxAge   = 45
	dcInactiveAfter    = 45
	serverActiveWithin = 45
	serverInactive     = 90
	trustPasswordAge   = 365
	maxPrivileged      = 50
)

// checkpoint evaluates one ANSSI checkpoint: the failing objects, or applicable=false.
type checkpoint struct {
	id    string
	level int
	eval  func(x *index) (objects []string, applicable bool)
}

// Evaluate runs every checkpoint over s. The level is the lowest level among failed
// checkpoints, 5 when none fails.
func Evaluate(s *Snapshot) Evaluation {
	x := newIndex(s)
	ev := Evaluation{Level: 5}
	for _, c := range checkpoints {
		objs, ok := c.eval(x)
		r := Result{ID: c.id, Level: c.level, Status: Pass, Objects: []string{}}
		switch {
		case !ok:
			r.Status = NA
		case len(objs) > 0:
			r.Status = Fail
			slices.Sort(objs)
			r.Objects = slices.Compact(objs)
			ev.Level = min(ev.Level, c.level)
		}
		ev.Checks = append(ev.Checks, r)
	}
	return ev
}

// checkpointRank gives each checkpoint id its place in the catalogue.
var checkpointRank = sync.OnceValue(func() map[string]int {
	rank := make(map[string]int, len(checkpoints))
	for i, c := range checkpoints {
		rank[c.id] = i
	}
	return rank
})

// CheckpointIDs lists the implemented checkpoints in evaluation order.
func CheckpointIDs() []string {
	ids := make([]string, len(checkpoints))
	for i, c := range checkpoints {
		ids[i] = c.id
	}
	return ids
}

// index holds what several checkpoints need, computed once per snapshot.
type index struct {
	s          *Snapshot
	now        time.Time
	byDN       map[string]*Object
	bySID      map[string]*Object
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
	x := &index{s: s, now: s.CollectedAt, byDN: map[string]*Object{}, bySID: map[string]*Object{}, dcHosts: map[string]bool{}}
	for i := range s.Objects {
		o := &s.Objects[i]
		x.byDN[strings.ToLower(o.DN)] = o
		if o.SID != "" {
			x.bySID[o.SID] = o
		}
		if o.IsDC() {
			x.dcs = append(x.dcs, o)
			x.dcHosts[strings.ToLower(o.DNSHost)] = true
			x.dcHosts[strings.ToLower(strings.TrimSuffix(o.Name, "$"))] = true
		}
	}
	x.privileged = x.closure(privilegedGroups(s.Domain.SID)...)
	x.protected = x.closure(domainSID(s.Domain.SID, ridProtectedUsers))
	return x
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
		if g := x.bySID[sid]; g != nil {
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
			if o := x.byDN[key]; o != nil && o.Class == ClassGroup {
				queue = append(queue, o)
				if sidDomain(o.SID) == x.s.Domain.SID {
					primary[rid(o.SID)] = true
				}
			}
		}
	}
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
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
	for i := range s.Objects {
		if x.privileged[strings.ToLower(s.Objects[i].DN)] {
			out = append(out, &s.Objects[i])
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
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
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

func (x *index) servers() []*Object {
	var out []*Object
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
		if o.Class == ClassComputer && o.Enabled() && !o.IsDC() && strings.Contains(strings.ToLower(o.OS), "server") {
			out = append(out, o)
		}
	}
	return out
}

func (x *index) trusts() []*Object {
	var out []*Object
	for i := range x.s.Objects {
		if x.s.Objects[i].Class == ClassTrust {
			out = append(out, &x.s.Objects[i])
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
	if o := x.bySID[sid]; o != nil {
		return o.DN
	}
	return sid
}

// memberSIDs resolves a group's members to SIDs (foreign principals carry theirs).
func (x *index) memberSIDs(g *Object) map[string]string {
	out := map[string]string{}
	for _, m := range g.Members {
		sid := ""
		if o := x.byDN[strings.ToLower(m)]; o != nil {
			sid = o.SID
		} else if cn, _, ok := strings.Cut(m, ","); ok && strings.HasPrefix(strings.ToUpper(cn), "CN=S-") {
			sid = cn[3:]
		}
		out[m] = sid
	}
	return out
}

var checkpoints = []checkpoint{
	{"vuln2_krbtgt", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return rid(o.SID) == ridKrbtgt && x.days(o.PwdLastSet, o.Created) > krbtgtMaxAge
		}, ClassUser), true
	}},
	{"vuln1_delegation_t4d", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return o.Enabled() && !o.IsDC() && o.UAC&uacTrustedForDelegation != 0
		}, ClassUser, ClassComputer), true
	}},
	{"vuln1_delegation_a2d2", 1, func(x *index) ([]string, bool) {
		return x.delegationToDC(false), true
	}},
	{"vuln1_delegation_t2a4d", 1, func(x *index) ([]string, bool) {
		return x.delegationToDC(true), true
	}},
	{"vuln1_delegation_sourcedeleg", 1, func(x *index) ([]string, bool) {
		var out []string
		for i := range x.s.Objects {
			o := &x.s.Objects[i]
			if len(o.RBCD) == 0 || !(o.IsDC() || x.isPrivileged(o)) {
				continue
			}
			who := []string{}
			if sd, err := ParseSecurityDescriptor(o.RBCD); err == nil {
				for _, a := range sd.DACL {
					if a.Type == aceAccessAllowed || a.Type == aceAccessAllowedObject {
						who = append(who, x.name(a.SID))
					}
				}
			}
			out = append(out, fmt.Sprintf("%s ← %s", o.DN, strings.Join(who, "; ")))
		}
		return out, true
	}},
	{"vuln1_kerberos_properties_preauth_priv", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.privEnabled(o) && o.UAC&uacDontRequirePreauth != 0 }, ClassUser, ClassComputer), true
	}},
	{"vuln2_kerberos_properties_preauth", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return o.Enabled() && o.UAC&uacDontRequirePreauth != 0 }, ClassUser, ClassComputer), true
	}},
	{"vuln1_spn_priv", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.privEnabled(o) && len(o.SPNs) > 0 && !isKrbtgt(o) }, ClassUser), true
	}},
	{"vuln1_dont_expire_priv", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.privEnabled(o) && o.UAC&uacDontExpirePassword != 0 }, ClassUser, ClassComputer), true
	}},
	{"vuln2_dont_expire", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return o.Enabled() && o.UAC&uacDontExpirePassword != 0 }, ClassUser), true
	}},
	{"vuln1_password_change_priv", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return x.privEnabled(o) && x.days(o.PwdLastSet, o.Created) > privPasswordMaxAge
		}, ClassUser), true
	}},
	{"vuln1_user_accounts_dormant", 1, func(x *index) ([]string, bool) {
		enabled := 0
		dormant := x.accounts(func(o *Object) bool {
			if !o.Enabled() || isKrbtgt(o) || strings.HasSuffix(o.Name, "$") {
				return false
			}
			enabled++
			return x.days(o.LastLogon, o.Created) > dormantAfter
		}, ClassUser)
		if enabled == 0 {
			return nil, false
		}
		if len(dormant)*100 <= dormantShare*enabled {
			return nil, true
		}
		return dormant, true
	}},
	{"vuln2_privileged_members", 2, func(x *index) ([]string, bool) {
		members := x.accounts(x.privEnabled, ClassUser, ClassComputer)
		if len(members) <= maxPrivileged {
			return nil, true
		}
		return members, true
	}},
	{"vuln2_privileged_members_no_admincount", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.privEnabled(o) && o.AdminCount == 0 }, ClassUser, ClassComputer), true
	}},
	{"vuln3_protected_users", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return x.privEnabled(o) && !x.protected[strings.ToLower(o.DN)]
		}, ClassUser), true
	}},
	{"vuln3_sidhistory_present", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return len(o.SIDHistory) > 0 }, ClassUser, ClassComputer, ClassGroup), true
	}},
	{"vuln2_sidhistory_dangerous", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return slices.ContainsFunc(o.SIDHistory, func(h string) bool {
				return rid(h) < 1000 || sidDomain(h) == x.s.Domain.SID
			})
		}, ClassUser, ClassComputer, ClassGroup), true
	}},
	{"vuln1_functional_level", 1, func(x *index) ([]string, bool) { return x.functionalLevelIn(0, 4), true }},
	{"vuln3_functional_level", 3, func(x *index) ([]string, bool) { return x.functionalLevelIn(5, 6), true }},
	{"vuln4_functional_level", 4, func(x *index) ([]string, bool) { return x.functionalLevelIn(7, 9), true }},
	{"vuln1_dc_obsolete", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			if strings.Contains(strings.ToLower(dc.OS), "windows") && osMajor(dc.OSVersion) < 10 {
				out = append(out, fmt.Sprintf("%s (%s %s)", dc.DN, dc.OS, dc.OSVersion))
			}
		}
		return out, len(x.dcs) > 0
	}},
	{"vuln1_password_change_dc_no_change", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			if dc.Enabled() && x.days(dc.PwdLastSet, dc.Created) > dcPasswordMaxAge {
				out = append(out, dc.DN)
			}
		}
		return out, len(x.dcs) > 0
	}},
	{"vuln1_password_change_inactive_dc", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			if x.days(dc.LastLogon, dc.Created) > dcInactiveAfter {
				out = append(out, dc.DN)
			}
		}
		return out, len(x.dcs) > 0
	}},
	{"vuln2_password_change_server_no_change_90", 2, func(x *index) ([]string, bool) { return x.serverPasswords(90) }},
	{"vuln3_password_change_server_no_change_45", 3, func(x *index) ([]string, bool) { return x.serverPasswords(45) }},
	{"vuln3_password_change_inactive_servers", 3, func(x *index) ([]string, bool) {
		var out []string
		servers := x.servers()
		for _, o := range servers {
			if x.days(o.LastLogon, o.Created) > serverInactive {
				out = append(out, o.DN)
			}
		}
		return out, len(servers) > 0
	}},
	{"vuln1_dsheuristics_bad", 1, func(x *index) ([]string, bool) {
		h := x.s.Domain.DSHeuristics
		if len(h) >= 16 && h[15] != '0' {
			return []string{"dSHeuristics=" + h}, true
		}
		return nil, true
	}},
	{"vuln2_dsheuristics_bad", 2, func(x *index) ([]string, bool) {
		h := x.s.Domain.DSHeuristics
		if len(h) >= 7 && h[6] == '2' {
			return []string{"dSHeuristics=" + h}, true
		}
		return nil, true
	}},
	{"vuln2_compatible_2000_anonymous", 2, func(x *index) ([]string, bool) {
		return x.preWin2000(func(sid string) bool { return sid == sidAnonymous || sid == sidEveryone })
	}},
	{"vuln3_compatible_2000_not_default", 3, func(x *index) ([]string, bool) {
		return x.preWin2000(func(sid string) bool { return sid != sidAuthenticated })
	}},
	{"vuln4_user_accounts_machineaccountquota", 4, func(x *index) ([]string, bool) {
		if q := x.s.Domain.MachineAccountQuota; q > 0 {
			return []string{fmt.Sprintf("%s: ms-DS-MachineAccountQuota=%d", x.s.BaseDN, q)}, true
		}
		return nil, true
	}},
	{"vuln3_reversible_password_priv_uac", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.privEnabled(o) && o.UAC&uacEncryptedTextPwd != 0 }, ClassUser, ClassComputer), true
	}},
	{"vuln3_reversible_password_priv_namingcontext", 3, func(x *index) ([]string, bool) {
		if p := x.s.Domain.PwdProperties; p&0x10 != 0 {
			return []string{fmt.Sprintf("%s: pwdProperties=%d", x.s.BaseDN, p)}, true
		}
		return nil, true
	}},
	{"vuln2_kerberos_properties_deskey", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return o.Enabled() && (o.UAC&uacUseDESKeyOnly != 0 || (o.EncTypes != nil && *o.EncTypes&0x3 != 0))
		}, ClassUser, ClassComputer), true
	}},
	{"vuln3_kerberos_properties_encryption", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return o.Enabled() && len(o.SPNs) > 0 && !isKrbtgt(o) && (o.EncTypes == nil || *o.EncTypes&0x18 == 0)
		}, ClassUser), true
	}},
	{"vuln2_dc_crypto", 2, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			if dc.EncTypes == nil || *dc.EncTypes&0x18 == 0 || *dc.EncTypes&0x3 != 0 {
				out = append(out, dc.DN)
			}
		}
		return out, len(x.dcs) > 0
	}},
	{"vuln1_primary_group_id_1000", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			pg := o.PrimaryGroup
			return pg != 0 && pg < 1000 && !slices.Contains([]int{ridDomainUsers, ridDomainGuests, ridDomainComputers, ridDCs, ridRODCs}, pg)
		}, ClassUser, ClassComputer), true
	}},
	{"vuln3_primary_group_id_nochange", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			pg := o.PrimaryGroup
			switch {
			case o.IsDC():
				return pg != ridDCs && pg != ridRODCs
			case o.Class == ClassComputer:
				return pg != ridDomainComputers
			case rid(o.SID) == ridGuest:
				return pg != ridDomainGuests
			default:
				return pg != ridDomainUsers && !strings.HasSuffix(o.Name, "$")
			}
		}, ClassUser, ClassComputer), true
	}},
	{"vuln2_guest", 2, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return rid(o.SID) == ridGuest && sidDomain(o.SID) == x.s.Domain.SID && o.Enabled()
		}, ClassUser), true
	}},
	{"vuln1_trusts_domain_notfiltered", 1, func(x *index) ([]string, bool) {
		return x.trustsWhere(func(t *Object) bool {
			return t.TrustDirection&2 != 0 && t.TrustAttributes&(0x4|0x8|0x20) == 0
		})
	}},
	{"vuln1_trusts_forest_sidhistory", 1, func(x *index) ([]string, bool) {
		return x.trustsWhere(func(t *Object) bool {
			return t.TrustDirection&2 != 0 && t.TrustAttributes&0x8 != 0 && t.TrustAttributes&0x40 != 0
		})
	}},
	{"vuln3_trusts_tgt_deleg", 3, func(x *index) ([]string, bool) {
		return x.trustsWhere(func(t *Object) bool { return t.TrustDirection&1 != 0 && t.TrustAttributes&0x800 != 0 })
	}},
	{"vuln2_trusts_accounts", 2, func(x *index) ([]string, bool) {
		return x.trustsWhere(func(t *Object) bool { return x.trustPasswordDays(t) > trustPasswordAge })
	}},
	{"vuln1_permissions_naming_context", 1, func(x *index) ([]string, bool) { return x.rootPermissions() }},
	{"vuln1_permissions_adminsdholder", 1, func(x *index) ([]string, bool) { return x.adminSDHolderPermissions() }},
	{"vuln3_owner", 3, func(x *index) ([]string, bool) { return x.owners() }},
	{"vuln3_sd_failed_sd_read_on_priv", 3, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool { return x.isPrivileged(o) && o.SDUnreadable }, ClassUser, ClassComputer, ClassGroup), true
	}},
	{"vuln4_group_loop", 4, func(x *index) ([]string, bool) { return x.groupLoops(), true }},
	{"vuln4_smartcard_expire_passwords", 4, func(x *index) ([]string, bool) {
		if x.functionalLevel() < 7 {
			return nil, false
		}
		if !strings.EqualFold(x.s.Domain.SmartcardExpire, "TRUE") {
			return []string{x.s.BaseDN + ": msDS-ExpirePasswordsOnSmartCardOnlyAccounts"}, true
		}
		return nil, true
	}},
}

func (x *index) delegationToDC(protocolTransition bool) []string {
	var out []string
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
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

func (x *index) functionalLevelIn(lo, hi int) []string {
	if fl := x.functionalLevel(); fl >= lo && fl <= hi {
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

func (x *index) serverPasswords(maxAge int) ([]string, bool) {
	var out []string
	servers := x.servers()
	for _, o := range servers {
		active := o.LastLogon != nil && x.days(o.LastLogon, o.Created) <= serverActiveWithin
		if active && x.days(o.PwdLastSet, o.Created) > maxAge {
			out = append(out, o.DN)
		}
	}
	return out, len(servers) > 0
}

func (x *index) preWin2000(bad func(sid string) bool) ([]string, bool) {
	g := x.bySID[sidPreWin2000]
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
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
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

func (x *index) owners() ([]string, bool) {
	var out []string
	check := func(what string, raw []byte) {
		if sd, err := ParseSecurityDescriptor(raw); err == nil && sd.Owner != "" && !x.trustee(sd.Owner) {
			out = append(out, fmt.Sprintf("%s ← %s", what, x.name(sd.Owner)))
		}
	}
	check(x.s.BaseDN, x.s.Domain.RootSD)
	check("AdminSDHolder", x.s.Domain.AdminSDHolderSD)
	for i := range x.s.Objects {
		o := &x.s.Objects[i]
		if len(o.SD) > 0 && (o.IsDC() || x.isPrivileged(o) || slices.Contains(privilegedGroups(x.s.Domain.SID), o.SID)) {
			check(o.DN, o.SD)
		}
	}
	return out, true
}

// groupLoops finds groups nested in a cycle (strongly connected components of the
// group-in-group graph, Tarjan).
func (x *index) groupLoops() []string {
	var groups []*Object
	for i := range x.s.Objects {
		if x.s.Objects[i].Class == ClassGroup {
			groups = append(groups, &x.s.Objects[i])
		}
	}
	idx, low := map[*Object]int{}, map[*Object]int{}
	onStack := map[*Object]bool{}
	var stack []*Object
	var out []string
	n := 0
	var visit func(g *Object)
	visit = func(g *Object) {
		idx[g], low[g] = n, n
		n++
		stack = append(stack, g)
		onStack[g] = true
		for _, m := range g.Members {
			c := x.byDN[strings.ToLower(m)]
			if c == nil || c.Class != ClassGroup {
				continue
			}
			if _, seen := idx[c]; !seen {
				visit(c)
				low[g] = min(low[g], low[c])
			} else if onStack[c] {
				low[g] = min(low[g], idx[c])
			}
		}
		if low[g] == idx[g] {
			var scc []*Object
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				scc = append(scc, top)
				if top == g {
					break
				}
			}
			if len(scc) > 1 || slices.ContainsFunc(g.Members, func(m string) bool { return strings.EqualFold(m, g.DN) }) {
				for _, o := range scc {
					out = append(out, o.DN)
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
