package directory

import (
	"encoding/binary"
	"slices"
	"testing"
)

// ESC1 needs every condition at once: published, enrollee-supplied subject, an
// authentication EKU (or none), no manager approval, no authorized signature, and
// an enrollment right for a non-privileged principal.
func TestESC1Conditions(t *testing.T) {
	const id = "vuln1_adcs_template_auth_enroll_with_name"
	vulnerable := func(s *Snapshot) *ConfigObject {
		u := config(s, "CN=User,")
		u.NameFlag = ctFlagEnrolleeSuppliesSubject
		return u
	}
	s := healthy(t)
	vulnerable(s)
	if r := status(t, s, id); r.Status != Fail {
		t.Fatalf("the vulnerable template passes: %v", r)
	}
	for name, undo := range map[string]func(s *Snapshot, u *ConfigObject){
		"manager approval":      func(_ *Snapshot, u *ConfigObject) { u.EnrollFlag |= ctFlagPendAllRequests },
		"authorized signatures": func(_ *Snapshot, u *ConfigObject) { u.RASignatures = 1 },
		"server EKU only":       func(_ *Snapshot, u *ConfigObject) { u.EKUs = []string{"1.3.6.1.5.5.7.3.1"} },
		"not published":         func(s *Snapshot, _ *ConfigObject) { config(s, "CN=CA1,").Templates = []string{"WebServer"} },
		"admins only enroll": func(s *Snapshot, u *ConfigObject) {
			u.SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightEnroll, SID: dom + "-512"})
		},
	} {
		s := healthy(t)
		undo(s, vulnerable(s))
		if r := status(t, s, id); r.Status != Pass {
			t.Errorf("%s: %s %v", name, r.Status, r.Objects)
		}
	}
	s = healthy(t)
	vulnerable(s).EKUs = nil // no EKU: any purpose, logon included
	if r := status(t, s, id); r.Status != Fail {
		t.Errorf("a template without EKU passes")
	}
}

// A control entry that applies only to children (inherit-only) does not control
// the object itself.
func TestInheritOnlyEntriesDoNotControl(t *testing.T) {
	s := healthy(t)
	config(s, "CN=Schema,").SD = buildSD(t, dom+"-512", ACE{Type: aceAccessAllowed, Flags: aceInheritOnly, Mask: rightGenericAll, SID: dom + "-1101"})
	if r := status(t, s, "vuln1_permissions_schema"); r.Status != Pass {
		t.Fatalf("inherit-only entry: %s %v", r.Status, r.Objects)
	}
}

func TestZoneAllowUpdate(t *testing.T) {
	prop := func(id uint32, data byte) []byte {
		b := make([]byte, 0, 22)
		for _, v := range []uint32{1, 1, 0, 1, id} {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return append(b, data, 0)
	}
	if got := zoneAllowUpdate([][]byte{prop(1, 1), prop(2, 1)}); got == nil || *got != 1 {
		t.Fatalf("allow update: %v", got)
	}
	if got := zoneAllowUpdate([][]byte{prop(1, 1), {1, 2}}); got != nil {
		t.Fatalf("no allow-update property: %v", *got)
	}
}

func TestGPLinksAndParents(t *testing.T) {
	got := gpLinks("[LDAP://cn={A},cn=policies,cn=system,DC=care,DC=test;0][LDAP://cn={B},cn=policies,cn=system,DC=care,DC=test;1][LDAP://cn={C},cn=policies,cn=system,DC=care,DC=test;2]")
	if want := []string{"cn={A},cn=policies,cn=system,DC=care,DC=test", "cn={C},cn=policies,cn=system,DC=care,DC=test"}; !slices.Equal(got, want) {
		t.Fatalf("links %v (the disabled link {B} must be left out)", got)
	}
	if p := parentDN(`CN=Dupont\, Jean,OU=Admins,DC=care,DC=test`); p != "OU=Admins,DC=care,DC=test" {
		t.Fatalf("parent %q", p)
	}
}

// Display specifiers: the default entries (COM classes, local consoles) pass; a
// script on a share or a program path fails.
func TestDisplaySpecifierMenus(t *testing.T) {
	for v, want := range map[string]bool{
		"1,{08eb4fa6-6ffd-11d1-b0e0-00c04fd8dca6}":        false,
		"0,&Gérer...,RsAdmin.msc":                         false,
		`2,Reset Password...,\\gpaa\packages\resetpw.bat`: true,
		`3,Inventaire,C:\Outils\inv.exe`:                  true,
		"4,Ouvrir,https://intranet.example/outil":         true,
		"5,Script,powershell.exe -File x.ps1":             true,
	} {
		if got := runsProgram(v); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
}
