package directory

import (
	"encoding/binary"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// encodeSID and buildSD write the binary forms the parser reads (MS-DTYP).
func encodeSID(t *testing.T, s string) []byte {
	t.Helper()
	parts := strings.Split(s, "-")
	auth, _ := strconv.ParseUint(parts[2], 10, 48)
	b := []byte{1, byte(len(parts) - 3), 0, 0, byte(auth >> 24), byte(auth >> 16), byte(auth >> 8), byte(auth)}
	for _, p := range parts[3:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return b
}

func encodeGUID(g string) []byte {
	h := strings.ReplaceAll(g, "-", "")
	raw := make([]byte, 16)
	for i := range raw {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		raw[i] = byte(v)
	}
	// first three fields are little-endian
	slices.Reverse(raw[0:4])
	slices.Reverse(raw[4:6])
	slices.Reverse(raw[6:8])
	return raw
}

func buildSD(t *testing.T, owner string, aces ...ACE) []byte {
	t.Helper()
	var acl []byte
	for _, a := range aces {
		body := binary.LittleEndian.AppendUint32(nil, a.Mask)
		if a.Type == aceAccessAllowedObject || a.Type == aceAccessDeniedObject {
			flags := uint32(0)
			if a.ObjectType != "" {
				flags = aceObjectTypePresent
			}
			body = binary.LittleEndian.AppendUint32(body, flags)
			if a.ObjectType != "" {
				body = append(body, encodeGUID(a.ObjectType)...)
			}
		}
		body = append(body, encodeSID(t, a.SID)...)
		ace := []byte{a.Type, a.Flags}
		ace = binary.LittleEndian.AppendUint16(ace, uint16(4+len(body)))
		acl = append(acl, append(ace, body...)...)
	}
	ownerB := encodeSID(t, owner)
	sd := make([]byte, 20)
	sd[0] = 1
	binary.LittleEndian.PutUint16(sd[2:], 0x8004)
	binary.LittleEndian.PutUint32(sd[4:], 20)
	sd = append(sd, ownerB...)
	binary.LittleEndian.PutUint32(sd[16:], uint32(len(sd)))
	hdr := []byte{2, 0}
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(8+len(acl)))
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(aces)))
	hdr = append(hdr, 0, 0)
	return append(append(sd, hdr...), acl...)
}

func TestSecurityDescriptor(t *testing.T) {
	raw := buildSD(t, "S-1-5-21-1-2-3-512",
		ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: "S-1-5-18"},
		ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChangesAll, SID: "S-1-5-21-1-2-3-1105"})
	sd, err := ParseSecurityDescriptor(raw)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Owner != "S-1-5-21-1-2-3-512" || len(sd.DACL) != 2 || sd.DACL[1].ObjectType != rightGetChangesAll || sd.DACL[1].SID != "S-1-5-21-1-2-3-1105" {
		t.Fatalf("parsed %+v", sd)
	}
	for cut := 1; cut < len(raw); cut += 7 {
		if _, err := ParseSecurityDescriptor(raw[:cut]); err == nil {
			t.Fatalf("truncated descriptor (%d of %d bytes) accepted", cut, len(raw))
		}
	}
}

const dom = "S-1-5-21-1-2-3"

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// day is one day in the 100-ns intervals of maxPwdAge.
const day = 864_000_000_000

// pso is a password settings object of the test domain.
func pso(name string, precedence, minLength int, maxAge int64, appliesTo ...string) ConfigObject {
	return ConfigObject{DN: "CN=" + name + ",CN=Password Settings Container,CN=System,DC=care,DC=test", Kind: KindPSO, Name: name,
		Precedence: precedence, MinPwdLength: minLength, MaxPwdAge: maxAge, AppliesTo: appliesTo}
}

func ago(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }
func ptr(n int) *int          { return &n }

// healthy is a small domain that passes every checkpoint: one DC, an administrator
// in Protected Users, users, a server, a forest trust with SID filtering.
func healthy(t *testing.T) *Snapshot {
	base := "DC=care,DC=test"
	u := func(name string, r int, mod func(o *Object)) Object {
		o := Object{DN: "CN=" + name + ",CN=Users," + base, Class: ClassUser, Name: name, SID: dom + "-" + strconv.Itoa(r), UAC: 512,
			PrimaryGroup: ridDomainUsers, Created: now.AddDate(-2, 0, 0), PwdLastSet: ago(30), LastLogon: ago(3)}
		if mod != nil {
			mod(&o)
		}
		return o
	}
	g := func(name, sid string, members ...string) Object {
		return Object{DN: "CN=" + name + ",CN=Users," + base, Class: ClassGroup, Name: name, SID: sid, Members: members, Created: now.AddDate(-2, 0, 0)}
	}
	dn := func(name string) string { return "CN=" + name + ",CN=Users," + base }
	adminSD := buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-512"})
	s := &Snapshot{Format: SnapshotFormat, CollectedAt: now, Server: "dc1.care.test:636", BaseDN: base,
		Domain: Domain{DNSName: "care.test", SID: dom, FunctionalLevel: 10, ForestLevel: 10, SmartcardExpire: "TRUE",
			DSHeuristics:   "0000000001000000000200000001130", // ANSSI's level-5 example
			PasswordPolicy: &PasswordPolicy{MinPwdLength: 12, MaxPwdAge: -365 * day},
			RootSD: buildSD(t, dom+"-512",
				ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChangesAll, SID: sidAdministrators},
				ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChanges, SID: dom + "-498"},
				ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: "ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501", SID: sidAuthenticated},
				ACE{Type: aceAccessAllowed, Mask: 0x20094, SID: sidAuthenticated}),
			AdminSDHolderSD: buildSD(t, dom+"-512",
				ACE{Type: aceAccessAllowed, Mask: rightAllDS, SID: sidSystem},
				ACE{Type: aceAccessAllowedObject, Mask: rightWriteProperty, ObjectType: "bf967a7f-0de6-11d0-a285-00aa003049e2", SID: "S-1-5-10"},
				ACE{Type: aceAccessAllowed, Mask: 0x20094, SID: sidAuthenticated})},
		Objects: []Object{
			u("Administrator", 500, func(o *Object) { o.AdminCount = 1; o.SD = adminSD }),
			u("Guest", ridGuest, func(o *Object) { o.UAC = 514; o.PrimaryGroup = ridDomainGuests }),
			u("krbtgt", ridKrbtgt, func(o *Object) { o.UAC = 514; o.SPNs = []string{"kadmin/changepw"}; o.PwdLastSet = ago(100) }),
			u("alice", 1101, nil),
			u("bob", 1102, nil),
			u("carol", 1103, func(o *Object) { o.LastLogon = ago(400) }), // 1 dormant of 4 enabled users: 25 %, not more
			u("svc_app", 1104, func(o *Object) { o.SPNs = []string{"HTTP/app.care.test"}; o.EncTypes = ptr(24) }),
			{DN: "CN=DC1,OU=Domain Controllers," + base, Class: ClassComputer, Name: "DC1$", SID: dom + "-1000", UAC: 0x82000, PrimaryGroup: ridDCs,
				OS: "Windows Server 2025 Datacenter", OSVersion: "10.0 (26100)", DNSHost: "dc1.care.test", EncTypes: ptr(24),
				Created: now.AddDate(-2, 0, 0), PwdLastSet: ago(20), LastLogon: ago(2), SD: adminSD},
			{DN: "CN=SRV1,OU=Servers," + base, Class: ClassComputer, Name: "SRV1$", SID: dom + "-1200", UAC: 4096, PrimaryGroup: ridDomainComputers,
				OS: "Windows Server 2022 Standard", OSVersion: "10.0 (20348)", DNSHost: "srv1.care.test", EncTypes: ptr(28),
				Created: now.AddDate(-1, 0, 0), PwdLastSet: ago(10), LastLogon: ago(1)},
			g("Domain Admins", dom+"-512", dn("Administrator")),
			g("Administrators", sidAdministrators, dn("Domain Admins")),
			g("Schema Admins", dom+"-518"),
			g("Enterprise Admins", dom+"-519"),
			g("Protected Users", dom+"-525", dn("Administrator")),
			g("Pre-Windows 2000 Compatible Access", sidPreWin2000, "CN=S-1-5-11,CN=ForeignSecurityPrincipals,"+base),
			{DN: "CN=S-1-5-11,CN=ForeignSecurityPrincipals," + base, Class: ClassForeign, SID: sidAuthenticated},
			g("Staff", dom+"-1300", dn("alice"), dn("Nurses")),
			g("Nurses", dom+"-1301", dn("bob")),
			{DN: "CN=partner.example,CN=System," + base, Class: ClassTrust, Name: "partner.example", TrustDirection: 3, TrustAttributes: 0x8, TrustType: 2, Changed: now.AddDate(0, -1, 0)},
		},
	}
	for i := range s.Objects {
		if s.Objects[i].Class == ClassGroup && slices.Contains(privilegedGroups(dom), s.Objects[i].SID) {
			s.Objects[i].SD = adminSD
		}
	}
	// a cluster name object, a gMSA, an empty DnsAdmins
	s.Objects = append(s.Objects,
		Object{DN: "CN=CLU1,OU=Servers," + base, Class: ClassComputer, Name: "CLU1$", SID: dom + "-1201", UAC: 4096, PrimaryGroup: ridDomainComputers,
			SPNs: []string{"MSClusterVirtualServer/CLU1"}, EncTypes: ptr(24), Created: now.AddDate(-4, 0, 0), PwdLastSet: ago(20), LastLogon: ago(1)},
		Object{DN: "CN=gmsa_web,CN=Managed Service Accounts," + base, Class: ClassComputer, Name: "gmsa_web$", SID: dom + "-1202", UAC: 4096,
			PrimaryGroup: ridDomainComputers, Managed: true, EncTypes: ptr(24), Created: now.AddDate(-1, 0, 0), PwdLastSet: ago(20), LastLogon: ago(1)},
		Object{DN: "CN=DnsAdmins,CN=Users," + base, Class: ClassGroup, Name: "DnsAdmins", SID: dom + "-1160", Created: now.AddDate(-2, 0, 0), SD: adminSD},
		// a read-only DC that holds alice's secrets
		Object{DN: "CN=RODC1,OU=Domain Controllers," + base, Class: ClassComputer, Name: "RODC1$", SID: dom + "-1170",
			UAC: uacPartialSecretsAccount | uacTrustedToAuthForDeleg | uacWorkstationTrust, PrimaryGroup: ridRODCs,
			OS: "Windows Server 2025 Standard", OSVersion: "10.0 (26100)", DNSHost: "rodc1.care.test", EncTypes: ptr(24),
			Created: now.AddDate(-2, 0, 0), PwdLastSet: ago(20), LastLogon: ago(2), SD: adminSD, Revealed: []string{dn("alice")}})
	// configuration partition: certificate services, schema, keys, a GPO, DNS, SYSVOL
	cfg := "CN=Configuration," + base
	s.Domain.ConfigDN = cfg
	pki := "CN=Public Key Services,CN=Services," + cfg
	enrollSD := buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-512"},
		ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightEnroll, SID: dom + "-513"},
		ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: "S-1-3-0", Flags: aceInheritOnly})
	two := 2
	s.Config = []ConfigObject{
		{DN: pki, Kind: KindPKI, Name: "Public Key Services", SD: adminSD},
		{DN: "CN=NTAuthCertificates," + pki, Kind: KindPKI, Name: "NTAuthCertificates", SD: adminSD, Certs: [][]byte{pemDER(t, "ca-good.pem")}},
		{DN: "CN=CA1,CN=Enrollment Services," + pki, Kind: KindCA, Name: "CA1", Templates: []string{"User", "WebServer"},
			SD: buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-512"}, ACE{Type: aceAccessAllowedObject, Mask: rightWriteProperty, SID: dom + "-517", ObjectType: "bf967a7f-0de6-11d0-a285-00aa003049e2"})},
		{DN: "CN=User,CN=Certificate Templates," + pki, Kind: KindTemplate, Name: "User", EKUs: []string{"1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4"}, SD: enrollSD},
		{DN: "CN=WebServer,CN=Certificate Templates," + pki, Kind: KindTemplate, Name: "WebServer", NameFlag: ctFlagEnrolleeSuppliesSubject,
			EKUs: []string{"1.3.6.1.5.5.7.3.1"}, SD: enrollSD},
		{DN: "CN=Schema," + cfg, Kind: KindSchema, Name: "Schema", SD: adminSD},
		{DN: cfg, Kind: KindConfigHead, Name: "Configuration", SD: adminSD},
		{DN: "CN=k1,CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services," + cfg, Kind: KindKDSKey, Name: "k1", SD: adminSD},
		{DN: "CN=BCKUPKEY_P Secret,CN=System," + base, Kind: KindDPAPI, Name: "BCKUPKEY_P Secret", SD: adminSD},
		{DN: "CN={31B2F340-016D-11D2-945F-00C04FB984F9},CN=Policies,CN=System," + base, Kind: KindGPO, Name: "Default Domain Policy", LinkedOn: []string{base}, SD: enrollSD},
		{DN: "DC=care.test,CN=MicrosoftDNS,DC=DomainDnsZones," + base, Kind: KindDNSZone, Name: "care.test", AllowUpdate: &two,
			SD: buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1160"}, ACE{Type: aceAccessAllowed, Mask: rightCreateChild, SID: sidAuthenticated})},
		{DN: "CN=MicrosoftDNS,DC=DomainDnsZones," + base, Kind: KindDNSContainer, Name: "MicrosoftDNS", SD: adminSD},
		{DN: "CN=DFSR-GlobalSettings,CN=System," + base, Kind: KindSysvol, FRS: true, DFSRFlags: 48},
		{DN: "CN=Users," + base, Kind: KindContainer, Name: "Users", SD: buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-512"},
			ACE{Type: aceAccessAllowedObject, Mask: rightCreateChild, ObjectType: "bf967aba-0de6-11d0-a285-00aa003049e2", SID: sidAccountOperators})},
		{DN: "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System," + base, Kind: KindDFSR, SD: adminSD},
	}
	return s
}

// pemDER reads a certificate of testdata (made with openssl req -x509).
func pemDER(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(raw)
	if b == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return b.Bytes
}

// config returns the configuration object of s whose DN starts with prefix.
func config(s *Snapshot, prefix string) *ConfigObject {
	for i := range s.Config {
		if strings.HasPrefix(s.Config[i].DN, prefix) {
			return &s.Config[i]
		}
	}
	panic("no configuration object " + prefix)
}

func find(s *Snapshot, name string) *Object {
	for i := range s.Objects {
		if s.Objects[i].Name == name || strings.HasPrefix(s.Objects[i].DN, "CN="+name+",") {
			return &s.Objects[i]
		}
	}
	panic("no object " + name)
}

func addMember(s *Snapshot, group, member string) {
	g := find(s, group)
	g.Members = append(g.Members, find(s, member).DN)
}

// addAdmins puts n new enabled accounts in Domain Admins; dup, when set, is the
// sAMAccountName the last one shares with another.
func addAdmins(s *Snapshot, n int, dup string) {
	for i := range n {
		name := "admin" + strconv.Itoa(i)
		sam := name
		if dup != "" && i == n-1 {
			sam = dup
		}
		s.Objects = append(s.Objects, Object{DN: "CN=" + name + ",OU=Admins," + s.BaseDN, Class: ClassUser, Name: sam, SID: dom + "-" + strconv.Itoa(5000+i),
			UAC: 512, PrimaryGroup: ridDomainUsers, AdminCount: 1, Created: now.AddDate(0, -1, 0), PwdLastSet: ago(1), LastLogon: ago(1)})
		g := find(s, "Domain Admins")
		g.Members = append(g.Members, "CN="+name+",OU=Admins,"+s.BaseDN)
		p := find(s, "Protected Users")
		p.Members = append(p.Members, "CN="+name+",OU=Admins,"+s.BaseDN)
	}
}

func TestHealthyDomainPassesEverything(t *testing.T) {
	s := healthy(t)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(s)
	for _, r := range ev.Checks {
		if r.Status != Pass {
			t.Errorf("%s: %s %v", r.ID, r.Status, r.Objects)
		}
	}
	if ev.Level != 5 {
		t.Fatalf("level %d, want 5", ev.Level)
	}
}

// Each checkpoint, one misconfiguration at a time: it fails with the object named,
// the domain drops to the checkpoint's level, and every other checkpoint is
// unaffected unless listed.
func TestEachCheckpointFails(t *testing.T) {
	cases := []struct {
		id     string
		break_ func(t *testing.T, s *Snapshot)
		object string
		also   []string
		na     []string
	}{
		{"vuln2_krbtgt", func(_ *testing.T, s *Snapshot) { find(s, "krbtgt").PwdLastSet = ago(400) }, "CN=krbtgt", nil, nil},
		{"vuln1_delegation_t4d", func(_ *testing.T, s *Snapshot) { find(s, "SRV1$").UAC |= uacTrustedForDelegation }, "CN=SRV1", nil, nil},
		{"vuln1_delegation_a2d2", func(_ *testing.T, s *Snapshot) {
			find(s, "SRV1$").DelegateTo = []string{"ldap/DC1.care.test/care.test"}
		}, "CN=SRV1", nil, nil},
		{"vuln1_delegation_t2a4d", func(_ *testing.T, s *Snapshot) {
			o := find(s, "SRV1$")
			o.DelegateTo = []string{"cifs/dc1"}
			o.UAC |= uacTrustedToAuthForDeleg
		}, "CN=SRV1", []string{"vuln1_delegation_a2d2"}, nil},
		{"vuln1_delegation_sourcedeleg", func(t *testing.T, s *Snapshot) {
			find(s, "DC1$").RBCD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightAllDS, SID: dom + "-1200"})
		}, "CN=DC1,OU=Domain Controllers,DC=care,DC=test ← CN=SRV1", nil, nil},
		{"vuln1_kerberos_properties_preauth_priv", func(_ *testing.T, s *Snapshot) { find(s, "Administrator").UAC |= uacDontRequirePreauth }, "CN=Administrator", []string{"vuln2_kerberos_properties_preauth"}, nil},
		{"vuln2_kerberos_properties_preauth", func(_ *testing.T, s *Snapshot) { find(s, "alice").UAC |= uacDontRequirePreauth }, "CN=alice", nil, nil},
		{"vuln1_spn_priv", func(_ *testing.T, s *Snapshot) {
			o := find(s, "Administrator")
			o.SPNs = []string{"MSSQLSvc/sql.care.test:1433"}
			o.EncTypes = ptr(24)
		}, "CN=Administrator", nil, nil},
		{"vuln1_dont_expire_priv", func(_ *testing.T, s *Snapshot) { find(s, "Administrator").UAC |= uacDontExpirePassword }, "CN=Administrator", []string{"vuln2_dont_expire"}, nil},
		{"vuln2_dont_expire", func(_ *testing.T, s *Snapshot) { find(s, "bob").UAC |= uacDontExpirePassword }, "CN=bob", nil, nil},
		{"vuln1_password_change_priv", func(_ *testing.T, s *Snapshot) { find(s, "Administrator").PwdLastSet = ago(1100) }, "CN=Administrator", nil, nil},
		// never logged on and a password of more than three years: 2 of the 7 enabled accounts
		{"vuln1_user_accounts_dormant", func(_ *testing.T, s *Snapshot) {
			b := find(s, "bob")
			b.LastLogon, b.PwdLastSet, b.Created = nil, ago(1200), now.AddDate(-5, 0, 0)
			find(s, "carol").PwdLastSet = ago(1100)
			a := find(s, "alice")
			a.LastLogon, a.PwdLastSet = ago(500), ago(1500) // 3 of the 9 enabled accounts
		}, "CN=bob", nil, nil},
		{"vuln1_privileged_members", func(_ *testing.T, s *Snapshot) { addAdmins(s, 51, "") }, "CN=admin50", []string{"vuln2_privileged_members"}, nil},
		// two of the 51 accounts share a sAMAccountName: 50 at level 1, 51 at level 2
		{"vuln2_privileged_members", func(_ *testing.T, s *Snapshot) { addAdmins(s, 51, "admin0") }, "CN=admin50", nil, nil},
		// the domain's policy: 7 characters are not enough for an administrator
		{"vuln2_privileged_members_password", func(_ *testing.T, s *Snapshot) {
			addAdmins(s, 1, "")
			s.Domain.PasswordPolicy.MinPwdLength = 7
		}, "CN=admin0,OU=Admins,DC=care,DC=test (domain: minPwdLength=7, maxPwdAge=365 days)", nil, nil},
		// a PSO on Domain Admins whose passwords never expire overrides a good domain policy
		{"vuln2_privileged_members_password", func(_ *testing.T, s *Snapshot) {
			addAdmins(s, 1, "")
			s.Config = append(s.Config, pso("Admins", 10, 14, 0, find(s, "Domain Admins").DN))
		}, "CN=admin0,OU=Admins,DC=care,DC=test (CN=Admins,CN=Password Settings Container,CN=System,DC=care,DC=test: minPwdLength=14, maxPwdAge=never)", nil, nil},
		{"vuln2_privileged_members_no_admincount", func(_ *testing.T, s *Snapshot) {
			g := find(s, "Domain Admins")
			g.Members = append(g.Members, find(s, "Staff").DN) // alice and bob become admins
			addMember(s, "Protected Users", "alice")
			addMember(s, "Protected Users", "bob")
			find(s, "alice").AdminCount = 1
		}, "CN=bob", []string{"vuln2_rodc_priv_revealed"}, nil},
		{"vuln3_protected_users", func(_ *testing.T, s *Snapshot) { find(s, "Protected Users").Members = nil }, "CN=Administrator", nil, nil},
		{"vuln3_sidhistory_present", func(_ *testing.T, s *Snapshot) { find(s, "alice").SIDHistory = []string{"S-1-5-21-9-9-9-1105"} }, "CN=alice", nil, nil},
		{"vuln2_sidhistory_dangerous", func(_ *testing.T, s *Snapshot) { find(s, "alice").SIDHistory = []string{"S-1-5-21-9-9-9-519"} }, "CN=alice", []string{"vuln3_sidhistory_present"}, nil},
		{"vuln1_functional_level", func(_ *testing.T, s *Snapshot) { s.Domain.ForestLevel = 3 }, "forest=3",
			[]string{"vuln3_functional_level", "vuln4_functional_level"}, []string{"vuln4_smartcard_expire_passwords"}},
		{"vuln3_functional_level", func(_ *testing.T, s *Snapshot) { s.Domain.FunctionalLevel = 5 }, "domain=5",
			[]string{"vuln4_functional_level"}, []string{"vuln4_smartcard_expire_passwords"}},
		{"vuln4_functional_level", func(_ *testing.T, s *Snapshot) { s.Domain.FunctionalLevel, s.Domain.ForestLevel = 6, 6 }, "domain=6", nil,
			[]string{"vuln4_smartcard_expire_passwords"}},
		{"vuln1_dc_obsolete", func(_ *testing.T, s *Snapshot) {
			o := find(s, "DC1$")
			o.OS, o.OSVersion = "Windows Server 2012 R2 Standard", "6.3 (9600)"
		}, "CN=DC1", nil, nil},
		{"vuln1_password_change_dc_no_change", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").PwdLastSet = ago(46) }, "CN=DC1", nil, nil},
		{"vuln1_password_change_inactive_dc", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").LastLogon = ago(46) }, "CN=DC1", nil, nil},
		{"vuln2_password_change_server_no_change_90", func(_ *testing.T, s *Snapshot) { find(s, "SRV1$").PwdLastSet = ago(91) }, "CN=SRV1", []string{"vuln3_password_change_server_no_change_45"}, nil},
		{"vuln3_password_change_server_no_change_45", func(_ *testing.T, s *Snapshot) { find(s, "SRV1$").PwdLastSet = ago(46) }, "CN=SRV1", nil, nil},
		{"vuln3_password_change_inactive_servers", func(_ *testing.T, s *Snapshot) { find(s, "SRV1$").LastLogon = ago(91) }, "CN=SRV1", nil, nil},
		{"vuln1_dsheuristics_bad", func(_ *testing.T, s *Snapshot) { s.Domain.DSHeuristics = "0000000001000001" }, "dwAdminSDExMask=1", []string{"vuln4_dsheuristics_bad"}, nil},
		{"vuln1_dsheuristics_bad", func(_ *testing.T, s *Snapshot) { s.Domain.DSHeuristics = "00000001" }, "fAllowAnonNSPI=1", []string{"vuln4_dsheuristics_bad"}, nil},
		{"vuln2_dsheuristics_bad", func(_ *testing.T, s *Snapshot) { s.Domain.DSHeuristics = "0000002" }, "fLDAPBlockAnonOps=2", []string{"vuln4_dsheuristics_bad"}, nil},
		{"vuln4_dsheuristics_bad", func(_ *testing.T, s *Snapshot) { s.Domain.DSHeuristics = "" }, "AttributeAuthorizationOnLDAPAdd=0", nil, nil},
		{"vuln2_compatible_2000_anonymous", func(_ *testing.T, s *Snapshot) {
			g := find(s, "Pre-Windows 2000 Compatible Access")
			g.Members = append(g.Members, "CN=S-1-5-7,CN=ForeignSecurityPrincipals,"+s.BaseDN)
		}, "CN=S-1-5-7", []string{"vuln3_compatible_2000_not_default"}, nil},
		{"vuln3_compatible_2000_not_default", func(_ *testing.T, s *Snapshot) { addMember(s, "Pre-Windows 2000 Compatible Access", "alice") }, "CN=alice", nil, nil},
		{"vuln4_user_accounts_machineaccountquota", func(_ *testing.T, s *Snapshot) { s.Domain.MachineAccountQuota = 10 }, "MachineAccountQuota=10", nil, nil},
		{"vuln3_reversible_password_priv_uac", func(_ *testing.T, s *Snapshot) { find(s, "Administrator").UAC |= uacEncryptedTextPwd }, "CN=Administrator", nil, nil},
		{"vuln3_reversible_password_priv_namingcontext", func(_ *testing.T, s *Snapshot) { s.Domain.PwdProperties = 0x11 }, "pwdProperties=17", nil, nil},
		{"vuln2_kerberos_properties_deskey", func(_ *testing.T, s *Snapshot) { find(s, "bob").UAC |= uacUseDESKeyOnly }, "CN=bob", nil, nil},
		{"vuln3_kerberos_properties_encryption", func(_ *testing.T, s *Snapshot) { find(s, "svc_app").EncTypes = nil }, "CN=svc_app", nil, nil},
		{"vuln2_dc_crypto", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").EncTypes = ptr(0x1 | 0x18) }, "CN=DC1", []string{"vuln2_kerberos_properties_deskey"}, nil},
		// an absent attribute reads as Windows's default: RC4 without AES, no DES
		{"vuln3_dc_crypto", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").EncTypes = nil }, "msDS-SupportedEncryptionTypes=absent",
			[]string{"vuln4_dc_crypto"}, nil},
		{"vuln4_dc_crypto", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").EncTypes = ptr(28) }, "CN=DC1", nil, nil},
		// primaryGroupID 512 makes bob a domain admin the member attribute does not show
		{"vuln1_primary_group_id_1000", func(_ *testing.T, s *Snapshot) { find(s, "bob").PrimaryGroup = 512 }, "CN=bob",
			[]string{"vuln3_primary_group_id_nochange", "vuln2_privileged_members_no_admincount", "vuln3_protected_users"}, nil},
		{"vuln3_primary_group_id_nochange", func(_ *testing.T, s *Snapshot) { find(s, "bob").PrimaryGroup = 1300 }, "CN=bob", nil, nil},
		{"vuln2_guest", func(_ *testing.T, s *Snapshot) { find(s, "Guest").UAC = 512 }, "CN=Guest", nil, nil},
		{"vuln1_trusts_domain_notfiltered", func(_ *testing.T, s *Snapshot) { find(s, "partner.example").TrustAttributes = 0 }, "partner.example", nil, nil},
		{"vuln1_trusts_forest_sidhistory", func(_ *testing.T, s *Snapshot) { find(s, "partner.example").TrustAttributes = 0x48 }, "partner.example", nil, nil},
		{"vuln3_trusts_tgt_deleg", func(_ *testing.T, s *Snapshot) { find(s, "partner.example").TrustAttributes = 0x808 }, "partner.example", nil, nil},
		{"vuln2_trusts_accounts", func(_ *testing.T, s *Snapshot) { find(s, "partner.example").Changed = now.AddDate(-2, 0, 0) }, "partner.example", nil, nil},
		{"vuln2_trusts_accounts", func(_ *testing.T, s *Snapshot) {
			// a recent change of the trust object, but its account's password is old
			find(s, "partner.example").FlatName = "PARTNER"
			s.Objects = append(s.Objects, Object{DN: "CN=PARTNER$,CN=Users," + s.BaseDN, Class: ClassUser, Name: "PARTNER$", SID: dom + "-1150",
				UAC: uacInterdomainTrust | uacPasswdNotRequired, PrimaryGroup: ridDomainUsers, Created: now.AddDate(-5, 0, 0), PwdLastSet: ago(400)})
		}, "partner.example", nil, nil},
		{"vuln1_permissions_naming_context", func(t *testing.T, s *Snapshot) {
			s.Domain.RootSD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChangesAll, SID: dom + "-1101"})
		}, "CN=alice", []string{"vuln2_permissions_naming_context"}, nil},
		// Get-Changes alone is no DCSync (level 1) but a control path at level 2
		{"vuln2_permissions_naming_context", func(t *testing.T, s *Snapshot) {
			s.Domain.RootSD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChanges, SID: dom + "-1101"})
		}, "DC=care,DC=test: CN=alice,CN=Users,DC=care,DC=test (DS-Replication-Get-Changes)", nil, nil},
		{"vuln2_permissions_adminsdholder", func(t *testing.T, s *Snapshot) {
			s.Domain.AdminSDHolderSD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightWriteProperty, ObjectType: "bf9679c0-0de6-11d0-a285-00aa003049e2", SID: dom + "-1300"})
		}, "AdminSDHolder: CN=Staff,CN=Users,DC=care,DC=test (member)", nil, nil},
		{"vuln1_permissions_adminsdholder", func(t *testing.T, s *Snapshot) {
			s.Domain.AdminSDHolderSD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightWriteDACL, SID: dom + "-1300"})
		}, "CN=Staff", []string{"vuln2_permissions_adminsdholder"}, nil},
		{"vuln3_owner", func(t *testing.T, s *Snapshot) { find(s, "Domain Admins").SD = buildSD(t, dom+"-1102") }, "CN=Domain Admins,CN=Users,DC=care,DC=test ← CN=bob", nil, nil},
		// any object, not only sensitive ones: the owner read for every object
		{"vuln3_owner", func(_ *testing.T, s *Snapshot) { find(s, "alice").Owner = dom + "-1102" }, "CN=alice,CN=Users,DC=care,DC=test ← CN=bob", nil, nil},
		{"vuln3_sd_failed_sd_read_on_priv", func(_ *testing.T, s *Snapshot) {
			o := find(s, "Administrator")
			o.SD, o.SDUnreadable = nil, true
		}, "CN=Administrator", []string{"vuln1_critical_objects"}, nil},
		{"vuln4_group_loop", func(_ *testing.T, s *Snapshot) { addMember(s, "Nurses", "Staff") }, "CN=Nurses", nil, nil},
		{"vuln4_smartcard_expire_passwords", func(_ *testing.T, s *Snapshot) { s.Domain.SmartcardExpire = "" }, "msDS-ExpirePasswordsOnSmartCardOnlyAccounts", nil, nil},
		{"vuln1_permissions_dc", func(t *testing.T, s *Snapshot) {
			find(s, "DC1$").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightWriteDACL, SID: dom + "-1101"})
		}, "CN=DC1,OU=Domain Controllers,DC=care,DC=test ← CN=alice", []string{"vuln2_permissions_dc"}, nil},
		{"vuln1_privileged_members_perm", func(t *testing.T, s *Snapshot) {
			find(s, "Administrator").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1300"})
		}, "CN=Administrator,CN=Users,DC=care,DC=test ← CN=Staff", []string{"vuln2_privileged_members_perm"}, nil},
		{"vuln1_permissions_gpo_priv", func(t *testing.T, s *Snapshot) {
			config(s, "CN={31B2").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericWrite, SID: dom + "-1102"})
		}, "← CN=bob", nil, nil},
		{"vuln1_permissions_schema", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Schema,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightWriteOwner, SID: sidAuthenticated})
		}, "CN=Schema,CN=Configuration,DC=care,DC=test ← CN=S-1-5-11", []string{"vuln2_permissions_naming_context"}, nil},
		// Windows Server 2016's faulty domain preparation: Enterprise Key Admins (RID 527)
		// with full control of the domain head; their narrow write is fine (below).
		{"vuln2_adupdate_bad", func(t *testing.T, s *Snapshot) {
			s.Domain.RootSD = buildSD(t, dom+"-512",
				ACE{Type: aceAccessAllowedObject, Mask: 0x10 | rightWriteProperty, ObjectType: "5b47d60f-6090-40b2-9f37-2a4de88f3063", SID: dom + "-526"},
				ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-527"})
		}, "-527 (0x10000000)", []string{"vuln1_permissions_naming_context"}, nil},
		// the configuration head is a naming context: full control on it is level 1,
		// a control path level 2
		{"vuln1_permissions_naming_context", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Configuration,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1101"})
		}, "CN=Configuration,DC=care,DC=test ← CN=alice", []string{"vuln2_permissions_naming_context"}, nil},
		{"vuln2_permissions_naming_context", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Configuration,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightCreateChild, SID: dom + "-1101"})
		}, "CN=Configuration,DC=care,DC=test: CN=alice", nil, nil},
		// the schema head is a naming context too: a control path on it counts at level 2
		{"vuln2_permissions_naming_context", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Schema,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightCreateChild, SID: dom + "-1101"})
		}, "CN=Schema,CN=Configuration,DC=care,DC=test: CN=alice", nil, nil},
		{"vuln1_permissions_dpapi", func(t *testing.T, s *Snapshot) {
			config(s, "CN=BCKUPKEY").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1101"})
		}, "BCKUPKEY_P Secret", nil, nil},
		{"vuln1_permissions_gmsa_keys", func(t *testing.T, s *Snapshot) {
			config(s, "CN=k1,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1101"})
		}, "CN=k1,", nil, nil},
		{"vuln1_dnsadmins", func(_ *testing.T, s *Snapshot) { addMember(s, "DnsAdmins", "alice") }, "CN=alice", nil, nil},
		// a computer with SERVER_TRUST_ACCOUNT that is not in Domain Controllers
		{"vuln1_dc_inconsistent_uac", func(_ *testing.T, s *Snapshot) {
			find(s, "SRV1$").UAC, find(s, "SRV1$").EncTypes = uacServerTrust, ptr(24)
		}, "CN=SRV1",
			[]string{"vuln3_primary_group_id_nochange"}, []string{"vuln2_password_change_server_no_change_90", "vuln3_password_change_server_no_change_45", "vuln3_password_change_inactive_servers"}},
		{"vuln1_dc_inconsistent_uac", func(_ *testing.T, s *Snapshot) { find(s, "DC1$").UAC = uacServerTrust }, "userAccountControl=0x2000", nil, nil},
		{"vuln1_display_specifier", func(_ *testing.T, s *Snapshot) {
			s.Config = append(s.Config, ConfigObject{DN: "CN=user-Display,CN=40C,CN=DisplaySpecifiers," + s.Domain.ConfigDN, Kind: KindDisplay,
				Menus: []string{"1,{08eb4fa6-6ffd-11d1-b0e0-00c04fd8dca6}", `5,&Inventaire,\\srv1\outils\inv.exe`}})
		}, "inv.exe", nil, nil},
		{"vuln1_dnszone_bad_prop", func(_ *testing.T, s *Snapshot) {
			one := 1
			config(s, "DC=care.test,").AllowUpdate = &one
		}, "(care.test)", []string{"vuln3_dnszone_bad_prop"}, nil},
		{"vuln3_dnszone_bad_prop", func(_ *testing.T, s *Snapshot) {
			one := 1
			s.Config = append(s.Config, ConfigObject{DN: "DC=labo.local,CN=MicrosoftDNS,DC=DomainDnsZones," + s.BaseDN, Kind: KindDNSZone, Name: "labo.local", AllowUpdate: &one})
		}, "(labo.local)", nil, nil},
		{"vuln1_critical_objects", func(_ *testing.T, s *Snapshot) { s.Domain.AdminSDHolderSD = nil },
			"CN=AdminSDHolder", nil, []string{"vuln1_permissions_adminsdholder", "vuln2_permissions_adminsdholder"}},
		{"vuln1_critical_objects", func(_ *testing.T, s *Snapshot) {
			o := find(s, "Domain Admins")
			o.SD, o.SDUnreadable = nil, true
		}, "CN=Domain Admins", []string{"vuln3_sd_failed_sd_read_on_priv"}, nil},
		{"vuln2_sysvol_ntfrs", func(_ *testing.T, s *Snapshot) { config(s, "CN=DFSR-GlobalSettings").DFSRFlags = 32 }, "msDFSR-Flags=32", nil, nil},
		{"vuln1_permissions_dfsr_sysvol", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Domain System Volume,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1101"})
		}, "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,DC=care,DC=test ← CN=alice", []string{"vuln2_permissions_dfsr_sysvol"}, nil},
		// creating children is no full control (level 1) but a control path (level 2)
		{"vuln2_permissions_dfsr_sysvol", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Domain System Volume,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightCreateChild, SID: dom + "-1101"})
		}, "CN=Domain System Volume,CN=DFSR-GlobalSettings,CN=System,DC=care,DC=test: CN=alice", nil, nil},
		{"vuln1_permissions_msdns", func(t *testing.T, s *Snapshot) {
			config(s, "CN=MicrosoftDNS,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-1101"})
		}, "CN=MicrosoftDNS,DC=DomainDnsZones,DC=care,DC=test ← CN=alice", nil, nil},
		{"vuln2_permissions_dc", func(t *testing.T, s *Snapshot) {
			find(s, "DC1$").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightWriteProperty, ObjectType: "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79", SID: dom + "-1101"})
		}, "CN=DC1,OU=Domain Controllers,DC=care,DC=test: CN=alice,CN=Users,DC=care,DC=test (msDS-AllowedToActOnBehalfOfOtherIdentity)", nil, nil},
		{"vuln2_privileged_members_perm", func(t *testing.T, s *Snapshot) {
			find(s, "Administrator").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: "00299570-246d-11d0-a768-00aa006e0529", SID: dom + "-1300"})
		}, "CN=Administrator,CN=Users,DC=care,DC=test: CN=Staff,CN=Users,DC=care,DC=test (User-Force-Change-Password)", nil, nil},
		{"vuln2_permissions_gpo_container_priv", func(t *testing.T, s *Snapshot) {
			config(s, "CN=Users,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightWriteProperty, ObjectType: "f30e3bbe-9ff0-11d1-b603-0000f80367c1", SID: dom + "-1101"})
		}, "CN=Users,DC=care,DC=test: CN=alice,CN=Users,DC=care,DC=test (gPLink)", nil, nil},
		{"vuln2_rodc_priv_revealed", func(_ *testing.T, s *Snapshot) {
			o := find(s, "RODC1$")
			o.Revealed = append(o.Revealed, find(s, "Administrator").DN)
		}, "CN=RODC1,OU=Domain Controllers,DC=care,DC=test → CN=Administrator", nil, nil},
		{"vuln2_password_change_cluster_no_change_3years", func(_ *testing.T, s *Snapshot) { find(s, "CLU1$").PwdLastSet = ago(1100) }, "CN=CLU1", nil, nil},
		{"vuln2_password_change_msa_no_change_90", func(_ *testing.T, s *Snapshot) { find(s, "gmsa_web$").PwdLastSet = ago(100) }, "CN=gmsa_web", nil, nil},
		// ESC1: a published template where Domain Users supply the subject of a
		// client-authentication certificate
		{"vuln1_adcs_template_auth_enroll_with_name", func(_ *testing.T, s *Snapshot) {
			config(s, "CN=User,").NameFlag = ctFlagEnrolleeSuppliesSubject
		}, "CN=User,CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration,DC=care,DC=test ← S-1-5-21-1-2-3-513", nil, nil},
		{"vuln1_adcs_template_control", func(t *testing.T, s *Snapshot) {
			config(s, "CN=WebServer,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericAll, SID: dom + "-513"})
		}, "CN=WebServer", []string{"vuln2_adcs_template_control"}, nil},
		{"vuln2_adcs_template_control", func(t *testing.T, s *Snapshot) {
			s.Config = append(s.Config, ConfigObject{DN: "CN=Old,CN=Certificate Templates,CN=Public Key Services,CN=Services," + s.Domain.ConfigDN, Kind: KindTemplate,
				Name: "Old", SD: buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightWriteDACL, SID: dom + "-1101"})})
		}, "CN=Old", nil, nil},
		// certificates: a 768-bit RSA key (levels 1 and 3), an unreadable value, a SHA-1 signature
		{"vuln1_certificates_vuln", func(t *testing.T, s *Snapshot) {
			o := config(s, "CN=NTAuthCertificates")
			o.Certs = append(o.Certs, pemDER(t, "ca-rsa768.pem"))
		}, "RSA 768 bits (CN=CA faible 768)", []string{"vuln3_certificates_vuln"}, nil},
		{"vuln2_certificates_vuln", func(_ *testing.T, s *Snapshot) {
			o := config(s, "CN=CA1,")
			o.Certs = append(o.Certs, []byte("not a certificate"))
		}, "CN=CA1,CN=Enrollment Services", nil, nil},
		{"vuln3_certificates_vuln", func(t *testing.T, s *Snapshot) {
			o := config(s, "CN=NTAuthCertificates")
			o.Certs = append(o.Certs, pemDER(t, "ca-sha1.pem"))
		}, "signature SHA1-RSA (CN=CA SHA1)", nil, nil},
		{"vuln1_adcs_control", func(t *testing.T, s *Snapshot) {
			config(s, "CN=NTAuthCertificates").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Mask: rightGenericWrite, SID: dom + "-1101"})
		}, "CN=NTAuthCertificates", nil, nil},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			s := healthy(t)
			c.break_(t, s)
			ev := Evaluate(s)
			if !slices.ContainsFunc(ev.Checks, func(r Result) bool { return r.ID == c.id }) {
				t.Fatalf("no checkpoint %s", c.id)
			}
			level := 5
			for _, r := range ev.Checks {
				want := Pass
				if slices.Contains(c.na, r.ID) {
					want = NA
				}
				if r.ID == c.id || slices.Contains(c.also, r.ID) {
					want = Fail
					level = min(level, r.Level)
				}
				if r.Status != want {
					t.Errorf("%s: %s %v, want %s", r.ID, r.Status, r.Objects, want)
				}
				if r.ID == c.id && !slices.ContainsFunc(r.Objects, func(o string) bool { return strings.Contains(o, c.object) }) {
					t.Errorf("%s: objects %v do not name %q", r.ID, r.Objects, c.object)
				}
			}
			if ev.Level != level {
				t.Errorf("level %d, want %d", ev.Level, level)
			}
		})
	}
	for _, id := range CheckpointIDs() {
		if !covered[id] {
			t.Errorf("checkpoint %s has no failing case", id)
		}
	}
}

func TestNotApplicable(t *testing.T) {
	s := healthy(t)
	var kept []Object
	for _, o := range s.Objects {
		if o.Class != ClassTrust && o.Name != "SRV1$" {
			kept = append(kept, o)
		}
	}
	s.Objects = kept
	s.Domain.FunctionalLevel, s.Domain.ForestLevel = 6, 6
	ev := Evaluate(s)
	na := []string{}
	for _, r := range ev.Checks {
		if r.Status == NA {
			na = append(na, r.ID)
		}
	}
	want := []string{"vuln2_password_change_server_no_change_90", "vuln3_password_change_server_no_change_45", "vuln3_password_change_inactive_servers",
		"vuln1_trusts_domain_notfiltered", "vuln1_trusts_forest_sidhistory", "vuln3_trusts_tgt_deleg", "vuln2_trusts_accounts", "vuln4_smartcard_expire_passwords"}
	if !slices.Equal(na, want) {
		t.Fatalf("n/a %v\nwant %v", na, want)
	}
	if ev.Level != 4 { // functional level 2012 R2 fails level 4 (below 2016); n/a fails nothing
		t.Fatalf("level %d", ev.Level)
	}
}

func TestShippedContentDescribesEveryCheckpoint(t *testing.T) {
	c, err := LoadContent()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range CheckpointIDs() {
		txt := c.Text(id)
		if !strings.HasPrefix(id, "vuln") || !strings.Contains(id, strings.TrimPrefix(txt.ANSSI, "vuln")) {
			t.Errorf("%s: ANSSI anchor %q does not match", id, txt.ANSSI)
		}
	}
	if len(CheckpointIDs()) < 25 {
		t.Fatalf("%d checkpoints", len(CheckpointIDs()))
	}
	if _, err := ParseContent([]byte("checks:\n  - id: vuln2_krbtgt\n    level: 3\n")); err == nil {
		t.Fatal("a text with a wrong level and no words was accepted")
	}
	if _, err := ParseContent([]byte("checks: []\nextra: 1\n")); err == nil {
		t.Fatal("an unknown key was accepted")
	}
}
