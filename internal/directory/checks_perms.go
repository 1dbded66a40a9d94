package directory

import (
	"fmt"
	"slices"
	"strings"
)

// Checkpoints on the permissions of critical objects, read from their security
// descriptors (ANSSI vuln_permissions_* and related). At level 1 ANSSI keeps the
// permissions an attacker can use without a major prerequisite: full control,
// write of every property, changing the DACL or the owner.

// aceInheritOnly marks an entry that applies to children only (MS-DTYP 2.4.4.1).
const aceInheritOnly = 0x08

// controls reports whether an allow entry gives control of the object itself.
func controls(a ACE) bool { return a.Flags&aceInheritOnly == 0 && writes(a) }

// trusted are the principals whose control of a critical object is expected: the
// domain's trustees, the privileged groups and their members, and, on the
// configuration partition's certificate objects, Cert Publishers.
func (x *index) trusted(sid string) bool {
	if x.trustee(sid) || slices.Contains(privilegedGroups(x.s.Domain.SID), sid) {
		return true
	}
	if o := x.bySID(sid); o != nil && x.isPrivileged(o) {
		return true
	}
	return sid == domainSID(x.s.Domain.SID, ridSchemaAdmins)
}

// dangerous lists "what ← who (mask)" for the untrusted principals that control
// the object described by raw; ok is false when the descriptor is unreadable.
func (x *index) dangerous(what string, raw []byte, alsoTrusted ...string) (out []string, ok bool) {
	sd, err := ParseSecurityDescriptor(raw)
	if err != nil {
		return nil, false
	}
	for _, a := range sd.DACL {
		if controls(a) && !x.trusted(a.SID) && !slices.Contains(alsoTrusted, a.SID) {
			out = append(out, fmt.Sprintf("%s ← %s (0x%x)", what, x.name(a.SID), a.Mask))
		}
	}
	return out, true
}

// configWhere lists the dangerous permissions on the configuration objects of the
// given kinds that keep says to look at; applicable when at least one was read.
func (x *index) configWhere(keep func(o *ConfigObject) bool, alsoTrusted []string, kinds ...string) ([]string, bool) {
	var out []string
	seen := false
	for i := range x.s.Config {
		o := &x.s.Config[i]
		if !slices.Contains(kinds, o.Kind) || (keep != nil && !keep(o)) {
			continue
		}
		found, ok := x.dangerous(o.DN, o.SD, alsoTrusted...)
		seen = seen || ok
		out = append(out, found...)
	}
	return out, seen
}

func (x *index) configOfKind(kind string) []*ConfigObject {
	var out []*ConfigObject
	for i := range x.s.Config {
		if x.s.Config[i].Kind == kind {
			out = append(out, &x.s.Config[i])
		}
	}
	return out
}

// dnsAdmins is the DnsAdmins group of the domain (a domain-local group with no
// fixed RID, known by its name).
func (x *index) dnsAdmins() *Object {
	for i, o := range x.s.objects() {
		if o.Class == ClassGroup && strings.EqualFold(o.Name, "DnsAdmins") && sidDomain(o.SID) == x.s.Domain.SID {
			return x.s.object(i)
		}
	}
	return nil
}

// uac flags of DCs (MS-ADTS 2.2.16) that vuln_dc_inconsistent_uac reads.
const uacWorkstationTrust = 0x1000

var permissionCheckpoints = []checkpoint{
	// ANSSI vuln_permissions_dc: dangerous permissions on the domain controllers'
	// computer objects.
	{"vuln1_permissions_dc", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			found, _ := x.dangerous(dc.DN, dc.SD)
			out = append(out, found...)
		}
		return out, len(x.dcs) > 0
	}},
	// ANSSI vuln_privileged_members_perm: dangerous permissions on members of the
	// privileged groups (and on the groups themselves).
	{"vuln1_privileged_members_perm", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, o := range x.s.objects() {
			if o.IsDC() || !(x.isPrivileged(o) || slices.Contains(privilegedGroups(x.s.Domain.SID), o.SID)) {
				continue
			}
			found, _ := x.dangerous(o.DN, o.SD)
			out = append(out, found...)
		}
		return out, true
	}},
	// ANSSI vuln_permissions_gpo_priv: dangerous permissions on the GPOs linked on
	// the domain head or on a container above a privileged account or a DC.
	{"vuln1_permissions_gpo_priv", 1, func(x *index) ([]string, bool) {
		return x.configWhere(nil, nil, KindGPO)
	}},
	// ANSSI vuln_permissions_schema: dangerous permissions on the schema.
	{"vuln1_permissions_schema", 1, func(x *index) ([]string, bool) { return x.configWhere(nil, nil, KindSchema) }},
	// ANSSI vuln_permissions_dpapi: dangerous permissions on the DPAPI domain backup
	// keys (n/a when the collecting account cannot see them).
	{"vuln1_permissions_dpapi", 1, func(x *index) ([]string, bool) { return x.configWhere(nil, nil, KindDPAPI) }},
	// ANSSI vuln_permissions_gmsa_keys: dangerous permissions on the KDS root keys
	// from which every gMSA password derives.
	{"vuln1_permissions_gmsa_keys", 1, func(x *index) ([]string, bool) { return x.configWhere(nil, nil, KindKDSKey) }},
	// ANSSI vuln_dnsadmins: DnsAdmins must be empty (its members can make the DNS
	// service of the DCs load a DLL) and must not be controlled by others.
	{"vuln1_dnsadmins", 1, func(x *index) ([]string, bool) {
		g := x.dnsAdmins()
		if g == nil {
			return nil, false
		}
		out := slices.Clone(g.Members)
		found, _ := x.dangerous(g.DN, g.SD)
		return append(out, found...), true
	}},
	// ANSSI vuln_dc_inconsistent_uac: a writable DC (primary group 516) has
	// SERVER_TRUST_ACCOUNT and TRUSTED_FOR_DELEGATION; a read-only one (521) has
	// PARTIAL_SECRETS_ACCOUNT, TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION and
	// WORKSTATION_TRUST_ACCOUNT; an account with SERVER_TRUST_ACCOUNT is a DC.
	{"vuln1_dc_inconsistent_uac", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			const writable, readOnly = uacServerTrust | uacTrustedForDelegation, uacPartialSecretsAccount | uacTrustedToAuthForDeleg | uacWorkstationTrust
			bad := false
			switch dc.PrimaryGroup {
			case ridDCs:
				bad = dc.UAC&writable != writable
			case ridRODCs:
				bad = dc.UAC&readOnly != readOnly
			default:
				bad = true // SERVER_TRUST or PARTIAL_SECRETS without the DC groups
			}
			if bad {
				out = append(out, fmt.Sprintf("%s (userAccountControl=0x%x, primaryGroupID=%d)", dc.DN, dc.UAC, dc.PrimaryGroup))
			}
		}
		return out, len(x.dcs) > 0
	}},
	// ANSSI vuln_display_specifier: a context menu of a display specifier that runs
	// a program is run by every administrator who opens the console on that object.
	{"vuln1_display_specifier", 1, func(x *index) ([]string, bool) {
		var out []string
		for _, o := range x.configOfKind(KindDisplay) {
			for _, m := range o.Menus {
				if runsProgram(m) {
					out = append(out, fmt.Sprintf("%s: %s", o.DN, m))
				}
			}
		}
		return out, x.s.Domain.ConfigDN != ""
	}},
	// ANSSI vuln_dnszone_bad_prop: DNS zones that accept unauthenticated dynamic
	// updates (DSPROPERTY_ZONE_ALLOW_UPDATE = ZONE_UPDATE_UNSECURE, 1); level 1
	// looks at the domain's zone and its _msdcs zone, level 3 at every zone.
	{"vuln1_dnszone_bad_prop", 1, func(x *index) ([]string, bool) { return x.insecureZones(true) }},
	{"vuln3_dnszone_bad_prop", 3, func(x *index) ([]string, bool) { return x.insecureZones(false) }},
	// ANSSI vuln_permissions_msdns: dangerous permissions on the DNS zones and
	// their MicrosoftDNS containers (DnsAdmins, whose membership vuln1_dnsadmins
	// checks, holds them by default).
	{"vuln1_permissions_msdns", 1, func(x *index) ([]string, bool) {
		var dnsAdmins []string
		if g := x.dnsAdmins(); g != nil {
			dnsAdmins = []string{g.SID}
		}
		return x.configWhere(nil, dnsAdmins, KindDNSZone, KindDNSContainer)
	}},
	// ANSSI vuln_critical_objects: the objects the analysis needs are present and
	// readable (AdminSDHolder, krbtgt, Administrator, Domain Admins, and in the
	// forest root Schema Admins and Enterprise Admins).
	// A snapshot without any account was not read from a directory (the collecting
	// account at least is always there): nothing tells missing from not collected.
	{"vuln1_critical_objects", 1, func(x *index) ([]string, bool) {
		return x.criticalObjects(), x.hasUsers()
	}},
	// ANSSI vuln_sysvol_ntfrs: SYSVOL still replicated by FRS (the DFSR migration
	// has not reached its "eliminated" state, msDFSR-Flags 48).
	{"vuln2_sysvol_ntfrs", 2, func(x *index) ([]string, bool) {
		st := x.configOfKind(KindSysvol)
		if len(st) == 0 {
			return nil, false
		}
		if st[0].FRS && st[0].DFSRFlags != dfsrEliminated {
			return []string{fmt.Sprintf("%s: msDFSR-Flags=%d", st[0].DN, st[0].DFSRFlags)}, true
		}
		return nil, true
	}},
	// ANSSI vuln_permissions_dfsr_sysvol: dangerous permissions on the DFSR
	// settings of SYSVOL (replication group, DC subscriptions): whoever controls
	// them can register a replica, change SYSVOL and have it replicated.
	{"vuln1_permissions_dfsr_sysvol", 1, func(x *index) ([]string, bool) { return x.configWhere(nil, nil, KindDFSR) }},
	// ANSSI vuln_rodc_priv_revealed: privileged accounts whose secrets a read-only
	// DC holds (msDS-RevealedUsers): that RODC's theft gives them away.
	{"vuln2_rodc_priv_revealed", 2, func(x *index) ([]string, bool) {
		var out []string
		rodcs := 0
		for _, dc := range x.dcs {
			if dc.PrimaryGroup != ridRODCs {
				continue
			}
			rodcs++
			for _, dn := range dc.Revealed {
				if o := x.byDN(dn); o != nil && x.isPrivileged(o) && !isKrbtgt(o) {
					out = append(out, fmt.Sprintf("%s → %s", dc.DN, o.DN))
				}
			}
		}
		return out, rodcs > 0
	}},
	// ANSSI vuln_password_change_cluster_no_change_3years: failover-cluster accounts
	// (SPN MSClusterVirtualServer/) whose password is older than three years.
	{"vuln2_password_change_cluster_no_change_3years", 2, func(x *index) ([]string, bool) {
		return x.where(func(o *Object) bool {
			return o.Class == ClassComputer && o.Enabled() &&
				slices.ContainsFunc(o.SPNs, func(s string) bool { return strings.HasPrefix(strings.ToLower(s), "msclustervirtualserver/") })
		}, x.olderThan(privPasswordMaxAge))
	}},
	// ANSSI vuln_password_change_msa_no_change_90: managed service accounts whose
	// password is older than 90 days (their rotation has stopped).
	{"vuln2_password_change_msa_no_change_90", 2, func(x *index) ([]string, bool) {
		return x.where(func(o *Object) bool {
			return (o.Class == ClassComputer || o.Class == ClassUser) && o.Managed && o.Enabled()
		}, x.olderThan(msaPasswordMaxAge))
	}},
}

const (
	dfsrEliminated    = 48
	msaPasswordMaxAge = 90
)

func (x *index) insecureZones(domainOnly bool) ([]string, bool) {
	zones := x.configOfKind(KindDNSZone)
	var out []string
	dns := strings.ToLower(x.s.Domain.DNSName)
	for _, z := range zones {
		name := strings.ToLower(z.Name)
		if domainOnly && name != dns && name != "_msdcs."+dns {
			continue
		}
		if z.AllowUpdate != nil && *z.AllowUpdate == 1 {
			out = append(out, fmt.Sprintf("%s (%s)", z.DN, z.Name))
		}
	}
	return out, len(zones) > 0
}

func (x *index) hasUsers() bool {
	for _, o := range x.s.objects() {
		if o.Class == ClassUser {
			return true
		}
	}
	return false
}

func (x *index) criticalObjects() []string {
	var out []string
	// AdminSDHolder is unreadable when the collector read the domain head's
	// descriptor but not AdminSDHolder's (a snapshot without descriptors says nothing).
	if _, err := ParseSecurityDescriptor(x.s.Domain.AdminSDHolderSD); err != nil && len(x.s.Domain.RootSD) > 0 {
		out = append(out, "CN=AdminSDHolder,CN=System,"+x.s.BaseDN)
	}
	rids := []int{500, ridKrbtgt, ridDomainAdmins}
	if strings.EqualFold(x.s.Domain.ConfigDN, "CN=Configuration,"+x.s.BaseDN) { // the forest root domain
		rids = append(rids, ridSchemaAdmins, ridEnterpriseAdmins)
	}
	for _, r := range rids {
		sid := domainSID(x.s.Domain.SID, r)
		switch o := x.bySID(sid); {
		case o == nil:
			out = append(out, sid)
		case o.SDUnreadable:
			out = append(out, o.DN)
		}
	}
	return out
}

// Schema GUIDs of the attributes, property sets and extended rights whose write
// ANSSI's control paths follow beyond full control ([MS-ADA1..3], [MS-ADTS]
// 5.1.3.2.1): group membership, SPN and alternate identities, key credentials,
// delegation, logon script, GPO links, manager, account control; password reset,
// replication, and any extended right.
var controlPathTypes = map[string]string{
	"bf9679c0-0de6-11d0-a285-00aa003049e2": "member",
	"f3a64788-5306-11d1-a9c5-0000f80367c1": "servicePrincipalName",
	"00fbf30c-91fe-11d1-aebc-0000f80367c1": "altSecurityIdentities",
	"e48d0154-bcf8-11d1-8702-00c04fb96050": "Public-Information",
	"5b47d60f-6090-40b2-9f37-2a4de88f3063": "msDS-KeyCredentialLink",
	"3f78c3e5-f79a-46bd-a0b8-9d18116ddc79": "msDS-AllowedToActOnBehalfOfOtherIdentity",
	"800d94d7-b7a1-42a1-b14d-7cae1423d07f": "msDS-AllowedToDelegateTo",
	"bf9679a8-0de6-11d0-a285-00aa003049e2": "scriptPath",
	"f30e3bbe-9ff0-11d1-b603-0000f80367c1": "gPLink",
	"0296c120-40da-11d1-a9c0-0000f80367c1": "managedBy",
	"bf967a68-0de6-11d0-a285-00aa003049e2": "userAccountControl",
	"00299570-246d-11d0-a768-00aa006e0529": "User-Force-Change-Password",
	rightGetChanges:                        "DS-Replication-Get-Changes",
	rightGetChangesAll:                     "DS-Replication-Get-Changes-All",
	"89e95b76-444d-4c62-991a-0facbeda640c": "DS-Replication-Get-Changes-In-Filtered-Set",
}

// Access rights level 2 adds (MS-ADTS 5.1.3.2).
const (
	rightCreateChild = 0x1
	rightSelf        = 0x8 // validated write
	rightDelete      = 0x10000
	rightDeleteTree  = 0x40
)

// weakControl reports whether an allow entry opens a control path ANSSI counts
// at level 2: level 1's rights, or creating children, deleting, a validated write,
// any extended right, or the write of one of controlPathTypes.
func weakControl(a ACE) (string, bool) {
	if a.Flags&aceInheritOnly != 0 || (a.Type != aceAccessAllowed && a.Type != aceAccessAllowedObject) {
		return "", false
	}
	if writes(a) {
		return "contrôle total ou écriture", true
	}
	if a.Mask&(rightCreateChild|rightDelete|rightDeleteTree) != 0 && a.ObjectType == "" {
		return "création ou suppression", true
	}
	if a.Mask&(rightControlAccess|rightSelf) != 0 && a.ObjectType == "" {
		return "tous les droits étendus", true
	}
	if a.Mask&(rightWriteProperty|rightControlAccess|rightSelf) != 0 {
		if name, ok := controlPathTypes[a.ObjectType]; ok {
			return name, true
		}
	}
	return "", false
}

// weakControls lists the level-2 control paths of untrusted principals on a
// descriptor; the object's own SELF entries (S-1-5-10) are its own.
func (x *index) weakControls(what string, raw []byte) ([]string, bool) {
	sd, err := ParseSecurityDescriptor(raw)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, a := range sd.DACL {
		if x.trusted(a.SID) || a.SID == sidSelf {
			continue
		}
		if name, ok := weakControl(a); ok {
			out = append(out, fmt.Sprintf("%s: %s (%s)", what, x.name(a.SID), name))
		}
	}
	return out, true
}

const sidSelf = "S-1-5-10"

var permissionLevel2Checkpoints = []checkpoint{
	// ANSSI vuln_permissions_dc and vuln_privileged_members_perm at level 2: the
	// same objects as at level 1, every potentially dangerous permission.
	{"vuln2_permissions_dc", 2, func(x *index) ([]string, bool) {
		var out []string
		for _, dc := range x.dcs {
			found, _ := x.weakControls(dc.DN, dc.SD)
			out = append(out, found...)
		}
		return out, len(x.dcs) > 0
	}},
	// ANSSI vuln_permissions_gpo_container_priv: potentially dangerous permissions
	// (linking a GPO with gPLink among them) on the OUs and containers above a
	// privileged account or a DC.
	{"vuln2_permissions_gpo_container_priv", 2, func(x *index) ([]string, bool) {
		var out []string
		containers := x.configOfKind(KindContainer)
		for _, c := range containers {
			found, _ := x.weakControls(c.DN, c.SD)
			out = append(out, found...)
		}
		return out, len(containers) > 0
	}},
	{"vuln2_privileged_members_perm", 2, func(x *index) ([]string, bool) {
		var out []string
		for _, o := range x.s.objects() {
			if o.IsDC() || !(x.isPrivileged(o) || slices.Contains(privilegedGroups(x.s.Domain.SID), o.SID)) {
				continue
			}
			found, _ := x.weakControls(o.DN, o.SD)
			out = append(out, found...)
		}
		return out, true
	}},
	// ANSSI vuln_permissions_naming_context, vuln_permissions_adminsdholder and
	// vuln_permissions_dfsr_sysvol at level 2: every potentially dangerous
	// permission, not only full control, on every naming context read: the
	// domain, configuration and schema heads.
	{"vuln2_permissions_naming_context", 2, func(x *index) ([]string, bool) {
		out, ok := x.weakControls(x.s.BaseDN, x.s.Domain.RootSD)
		for _, kind := range []string{KindConfigHead, KindSchema} {
			for _, head := range x.configOfKind(kind) {
				found, _ := x.weakControls(head.DN, head.SD)
				out = append(out, found...)
			}
		}
		return out, ok
	}},
	{"vuln2_permissions_dfsr_sysvol", 2, func(x *index) ([]string, bool) {
		var out []string
		objects := x.configOfKind(KindDFSR)
		for _, o := range objects {
			found, _ := x.weakControls(o.DN, o.SD)
			out = append(out, found...)
		}
		return out, len(objects) > 0
	}},
	// ANSSI vuln_adupdate_bad ("mauvaises versions de l'Active Directory"): the
	// Windows Server 2016 domain preparation gave Key Admins and Enterprise Key
	// Admins full control of the domain head instead of the write of
	// msDS-KeyCredentialLink alone; a later update narrows it. Read as PingCastle's
	// P-DelegationKeyAdmin does (mapped to adupdate_bad): those groups holding more
	// than that one write on the domain head. The domain update revision that
	// ADS-Open also reads (CN=ActiveDirectoryUpdate, revision 15 or less) is not
	// collected.
	{"vuln2_adupdate_bad", 2, func(x *index) ([]string, bool) { return x.keyAdminsControl() }},
	{"vuln2_permissions_adminsdholder", 2, func(x *index) ([]string, bool) {
		return x.weakControls("AdminSDHolder", x.s.Domain.AdminSDHolderSD)
	}},
}

// keyAdminsControl lists what Key Admins (RID 526) and Enterprise Key Admins
// (RID 527) may do on the domain head beyond writing msDS-KeyCredentialLink.
func (x *index) keyAdminsControl() ([]string, bool) {
	sd, err := ParseSecurityDescriptor(x.s.Domain.RootSD)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, a := range sd.DACL {
		if a.Type != aceAccessAllowed && a.Type != aceAccessAllowedObject || (rid(a.SID) != 526 && rid(a.SID) != 527) {
			continue
		}
		if a.Mask&(rightGenericAll|rightWriteDACL|rightWriteOwner) != 0 || a.Mask&(rightGenericWrite|rightWriteProperty) != 0 && a.ObjectType == "" {
			out = append(out, fmt.Sprintf("%s: %s (0x%x)", x.s.BaseDN, x.name(a.SID), a.Mask))
		}
	}
	return out, true
}
