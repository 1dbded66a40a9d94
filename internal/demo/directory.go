package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"care/internal/directory"
)

// seedDirectory gives the CHU two imported audits of its (fictional) domain chu.local, four
// months and three weeks ago: the first at level 1 (unconstrained delegation on the
// patient-record server, a Kerberoastable backup account in Backup Operators, an old
// krbtgt password, administrators outside Protected Users); by the second these were
// fixed and the domain is at level 2 (passwords that never expire remain).
func seedDirectory(ctx context.Context, s *directory.Service, ids map[string]int64) error {
	now := time.Now().UTC()
	first := chuDomain(now.AddDate(0, -4, 0), false)
	second := chuDomain(now.AddDate(0, 0, -21), true)
	for _, snap := range []*directory.Snapshot{first, second} {
		if _, err := s.Record(ctx, ids["chu"], snap, directory.SourceImport); err != nil {
			return fmt.Errorf("demo: directory: %w", err)
		}
	}
	return nil
}

func chuDomain(at time.Time, fixed bool) *directory.Snapshot {
	const sid = "S-1-5-21-3623811015-3361044348-30300820"
	base := "DC=chu,DC=local"
	days := func(n int) *time.Time { t := at.AddDate(0, 0, -n); return &t }
	created := at.AddDate(-6, 0, 0)
	user := func(name string, r, uac int, pwdAge, logonAge int) directory.Object {
		return directory.Object{DN: "CN=" + name + ",OU=Utilisateurs," + base, Class: directory.ClassUser, Name: name, SID: sid + "-" + strconv.Itoa(r),
			UAC: uac, PrimaryGroup: 513, Created: created, Changed: at, PwdLastSet: days(pwdAge), LastLogon: days(logonAge)}
	}
	computer := func(name, os, version string, r, uac int) directory.Object {
		enc := 28
		return directory.Object{DN: "CN=" + name + ",OU=Serveurs," + base, Class: directory.ClassComputer, Name: name + "$", SID: sid + "-" + strconv.Itoa(r),
			UAC: uac, PrimaryGroup: 515, OS: os, OSVersion: version, DNSHost: name + ".chu.local", EncTypes: &enc,
			Created: created, Changed: at, PwdLastSet: days(12), LastLogon: days(1)}
	}
	group := func(name, gsid string, members ...string) directory.Object {
		return directory.Object{DN: "CN=" + name + ",CN=Users," + base, Class: directory.ClassGroup, Name: name, SID: gsid, Members: members, Created: created, Changed: at}
	}
	dn := func(name string) string { return "CN=" + name + ",OU=Utilisateurs," + base }

	admin := user("Administrateur", 500, 0x10200, 200, 2)
	if fixed {
		admin.UAC = 0x200 // its password now expires
	}
	admin.AdminCount = 1
	admin.DN = "CN=Administrateur,CN=Users," + base
	adm := user("adm.jdupont", 1105, 0x200, 60, 1)
	adm.AdminCount = 1
	krbtgt := user("krbtgt", 502, 0x202, 1300, 0)
	krbtgt.DN, krbtgt.LastLogon = "CN=krbtgt,CN=Users,"+base, nil
	backup := user("svc_sauvegarde", 1110, 0x10200, 900, 1)
	backup.SPNs = []string{"BackupSvc/srv-sauvegarde.chu.local"}
	backup.AdminCount = 1
	dc := computer("DC01", "Windows Server 2016 Standard", "10.0 (14393)", 1000, 0x82000)
	dc.DN, dc.PrimaryGroup = "CN=DC01,OU=Domain Controllers,"+base, 516
	dpi := computer("SRV-DPI", "Windows Server 2019 Standard", "10.0 (17763)", 1201, 0x81000) // unconstrained delegation
	pacs := computer("SRV-PACS", "Windows Server 2019 Standard", "10.0 (17763)", 1202, 0x1000)
	objects := []directory.Object{admin, adm, krbtgt, backup, dc, pacs,
		group("Domain Admins", sid+"-512", admin.DN, dn("adm.jdupont")),
		group("Administrators", "S-1-5-32-544", "CN=Domain Admins,CN=Users,"+base),
		group("Pre-Windows 2000 Compatible Access", "S-1-5-32-554", "CN=S-1-5-11,CN=ForeignSecurityPrincipals,"+base),
		{DN: "CN=S-1-5-11,CN=ForeignSecurityPrincipals," + base, Class: directory.ClassForeign, SID: "S-1-5-11", Created: created},
	}
	for i := range 40 {
		u := user(fmt.Sprintf("agent%02d", i+1), 1300+i, 0x200, 30+i, 1+i%10)
		if i%8 == 0 {
			u.UAC |= 0x10000 // a few passwords that never expire: still there after the fixes
		}
		objects = append(objects, u)
	}
	if fixed {
		krbtgt.PwdLastSet = days(30)
		objects[2] = krbtgt
		dpi.UAC = 0x1000
		objects = append(objects, dpi,
			group("Backup Operators", "S-1-5-32-551"),
			group("Protected Users", sid+"-525", admin.DN, dn("adm.jdupont")))
	} else {
		objects = append(objects, dpi,
			group("Backup Operators", "S-1-5-32-551", dn("svc_sauvegarde")),
			group("Protected Users", sid+"-525"))
	}
	return &directory.Snapshot{Format: directory.SnapshotFormat, CollectedAt: at, Server: "dc01.chu.local:636", BaseDN: base,
		Domain: directory.Domain{DNSName: "chu.local", SID: sid, FunctionalLevel: 7, ForestLevel: 7, MachineAccountQuota: 0, SmartcardExpire: "TRUE",
			DSHeuristics: "0000000001000000000200000001130", // the KB5008383 protections enforced, as ANSSI asks
			// 12 characters, passwords expire after a year (maxPwdAge in 100-ns intervals)
			PasswordPolicy: &directory.PasswordPolicy{MinPwdLength: 12, MaxPwdAge: -365 * 864_000_000_000}},
		Objects: objects}
}
