package directory

import (
	"fmt"
	"slices"
	"strings"
	"sync"
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
	dormantPassword    = 3 * 365
	dormantShare       = 25 // percent of enabled users and computers
	dontExpireShare    = 10 // percent of enabled users
	dcPasswordMaxAge   = 45
	dcInactiveAfter    = 45
	serverInactive     = 90
	trustPasswordAge   = 365
	maxPrivileged      = 50
	ownerGrace         = 7 // days an object may keep its creator as owner
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

// checkpoints is the catalogue, in evaluation order: accounts and domain settings,
// permissions and configuration objects (checks_perms.go), certificate services
// (checks_adcs.go).
var checkpoints = slices.Concat(accountCheckpoints, permissionCheckpoints, permissionLevel2Checkpoints, adcsCheckpoints)

var accountCheckpoints = []checkpoint{
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
		for _, o := range x.s.objects() {
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
	// ANSSI vuln_dont_expire: fails only when more than 10 % of the enabled user
	// accounts have a password that never expires.
	{"vuln2_dont_expire", 2, func(x *index) ([]string, bool) {
		enabled := 0
		never := x.accounts(func(o *Object) bool {
			if !o.Enabled() {
				return false
			}
			enabled++
			return o.UAC&uacDontExpirePassword != 0
		}, ClassUser)
		if enabled == 0 {
			return nil, false
		}
		if len(never)*100 <= dontExpireShare*enabled {
			return nil, true
		}
		return never, true
	}},
	{"vuln1_password_change_priv", 1, func(x *index) ([]string, bool) {
		return x.accounts(func(o *Object) bool {
			return x.privEnabled(o) && x.days(o.PwdLastSet, o.Created) > privPasswordMaxAge
		}, ClassUser), true
	}},
	// ANSSI vuln_user_accounts_dormant: enabled users and computers whose password
	// is older than three years and that have not logged on for a year (or never);
	// fails when they are more than 25 % of the enabled accounts.
	{"vuln1_user_accounts_dormant", 1, func(x *index) ([]string, bool) {
		enabled := 0
		dormant := x.accounts(func(o *Object) bool {
			if !o.Enabled() || isKrbtgt(o) || o.UAC&uacInterdomainTrust != 0 {
				return false
			}
			enabled++
			return x.days(o.PwdLastSet, o.Created) > dormantPassword && x.days(o.LastLogon, o.Created) > dormantAfter
		}, ClassUser, ClassComputer)
		if enabled == 0 {
			return nil, false
		}
		if len(dormant)*100 <= dormantShare*enabled {
			return nil, true
		}
		return dormant, true
	}},
	{"vuln1_privileged_members", 1, func(x *index) ([]string, bool) { return x.privilegedMembers(true), true }},
	{"vuln2_privileged_members", 2, func(x *index) ([]string, bool) { return x.privilegedMembers(false), true }},
	{"vuln2_privileged_members_password", 2, func(x *index) ([]string, bool) { return x.privilegedPasswordPolicy() }},
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
	// ANSSI vuln_functional_level (PingCastle S-FunctionalLevel1/3/4 agree): level 1
	// below Windows 2008 R2 (4), level 3 below 2012 R2 (6), level 4 below 2016 (7).
	{"vuln1_functional_level", 1, func(x *index) ([]string, bool) { return x.functionalLevelBelow(levelWin2008R2), true }},
	{"vuln3_functional_level", 3, func(x *index) ([]string, bool) { return x.functionalLevelBelow(levelWin2012R2), true }},
	{"vuln4_functional_level", 4, func(x *index) ([]string, bool) { return x.functionalLevelBelow(levelWin2016), true }},
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
	// ANSSI vuln_password_change_server_no_change_90: every enabled server, whether
	// or not it logged on recently.
	{"vuln2_password_change_server_no_change_90", 2, func(x *index) ([]string, bool) { return x.serverPasswords(90) }},
	{"vuln3_password_change_server_no_change_45", 3, func(x *index) ([]string, bool) { return x.serverPasswords(45) }},
	{"vuln3_password_change_inactive_servers", 3, func(x *index) ([]string, bool) {
		return x.serversWhere(func(o *Object) bool { return x.days(o.LastLogon, o.Created) > serverInactive })
	}},
	{"vuln1_dsheuristics_bad", 1, func(x *index) ([]string, bool) { return x.dsHeuristics(1), true }},
	{"vuln2_dsheuristics_bad", 2, func(x *index) ([]string, bool) { return x.dsHeuristics(2), true }},
	{"vuln4_dsheuristics_bad", 4, func(x *index) ([]string, bool) { return x.dsHeuristics(4), true }},
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
	// ANSSI vuln_dc_crypto: DES allowed on a DC is level 2, no AES level 3, RC4 level 4.
	{"vuln2_dc_crypto", 2, func(x *index) ([]string, bool) {
		return x.dcsWhere(func(dc *Object, types int) bool { return types&encDES != 0 || dc.UAC&uacUseDESKeyOnly != 0 })
	}},
	{"vuln3_dc_crypto", 3, func(x *index) ([]string, bool) {
		return x.dcsWhere(func(_ *Object, types int) bool { return types&encAES == 0 })
	}},
	{"vuln4_dc_crypto", 4, func(x *index) ([]string, bool) {
		return x.dcsWhere(func(_ *Object, types int) bool { return types&encRC4 != 0 })
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
	{"vuln1_permissions_naming_context", 1, func(x *index) ([]string, bool) {
		out, ok := x.rootPermissions()
		found, _ := x.configWhere(nil, nil, KindConfigHead) // the configuration head's control
		return append(out, found...), ok
	}},
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
