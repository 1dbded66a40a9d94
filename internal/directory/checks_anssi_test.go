package directory

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// status evaluates s and returns the result of one checkpoint.
func status(t *testing.T, s *Snapshot, id string) Result {
	t.Helper()
	for _, r := range Evaluate(s).Checks {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no checkpoint %s", id)
	return Result{}
}

// ANSSI vuln_functional_level: level 1 below 2008 R2, level 3 below 2012 R2, level 4
// below 2016; a 2016 forest passes all three and can reach level 5.
func TestFunctionalLevelsFollowANSSI(t *testing.T) {
	for _, c := range []struct {
		level int
		fail  []string
	}{
		{3, []string{"vuln1_functional_level", "vuln3_functional_level", "vuln4_functional_level"}},
		{4, []string{"vuln3_functional_level", "vuln4_functional_level"}}, // 2008 R2 is not level 1
		{5, []string{"vuln3_functional_level", "vuln4_functional_level"}},
		{6, []string{"vuln4_functional_level"}},
		{7, nil}, // 2016
		{10, nil},
	} {
		s := healthy(t)
		s.Domain.FunctionalLevel, s.Domain.ForestLevel = c.level, c.level
		ev := Evaluate(s)
		for _, id := range []string{"vuln1_functional_level", "vuln3_functional_level", "vuln4_functional_level"} {
			if got := status(t, s, id).Status == Fail; got != slices.Contains(c.fail, id) {
				t.Errorf("level %d: %s failed=%v", c.level, id, got)
			}
		}
		if c.level == 7 && ev.Level != 5 {
			t.Errorf("a 2016 forest with nothing else wrong is level %d, want 5", ev.Level)
		}
	}
}

// ANSSI vuln_dont_expire: more than 10 % of the accounts.
func TestDontExpireOverTenPercent(t *testing.T) {
	s := healthy(t)
	for i := range 5 { // 10 enabled users with the five of the healthy domain
		name := "user" + strconv.Itoa(i)
		s.Objects = append(s.Objects, Object{DN: "CN=" + name + ",CN=Users," + s.BaseDN, Class: ClassUser, Name: name, SID: dom + "-" + strconv.Itoa(2000+i),
			UAC: 512, PrimaryGroup: ridDomainUsers, Created: now.AddDate(-1, 0, 0), PwdLastSet: ago(10), LastLogon: ago(1)})
	}
	find(s, "user0").UAC |= uacDontExpirePassword
	if r := status(t, s, "vuln2_dont_expire"); r.Status != Pass {
		t.Fatalf("1 account of 10 (10 %%): %s %v", r.Status, r.Objects)
	}
	find(s, "user1").UAC |= uacDontExpirePassword
	if r := status(t, s, "vuln2_dont_expire"); r.Status != Fail || len(r.Objects) != 2 {
		t.Fatalf("2 accounts of 10: %s %v", r.Status, r.Objects)
	}
}

// ANSSI vuln_privileged_members: the RID-500 administrator and the DCs are not
// counted; 50 others pass, 51 fail at levels 1 and 2.
func TestPrivilegedMembersThreshold(t *testing.T) {
	s := healthy(t)
	addAdmins(s, 50, "")
	addMember(s, "Administrators", "DC1$")
	for _, id := range []string{"vuln1_privileged_members", "vuln2_privileged_members"} {
		if r := status(t, s, id); r.Status != Pass {
			t.Fatalf("50 accounts besides RID 500 and the DC: %s %s", id, r.Status)
		}
	}
	s = healthy(t)
	addAdmins(s, 51, "")
	for _, id := range []string{"vuln1_privileged_members", "vuln2_privileged_members"} {
		if r := status(t, s, id); r.Status != Fail || len(r.Objects) != 51 {
			t.Fatalf("51 accounts: %s %s %d", id, r.Status, len(r.Objects))
		}
	}
}

// ANSSI vuln_dc_crypto: DES level 2, no AES level 3, RC4 level 4; an absent
// attribute is RC4 without AES, never DES.
func TestDCCryptoLevels(t *testing.T) {
	for _, c := range []struct {
		enc  *int
		fail []string
	}{
		{nil, []string{"vuln3_dc_crypto", "vuln4_dc_crypto"}},
		{ptr(0), []string{"vuln3_dc_crypto", "vuln4_dc_crypto"}},
		{ptr(0x7), []string{"vuln2_dc_crypto", "vuln3_dc_crypto", "vuln4_dc_crypto"}},
		{ptr(0x4), []string{"vuln3_dc_crypto", "vuln4_dc_crypto"}},
		{ptr(0x1c), []string{"vuln4_dc_crypto"}},
		{ptr(0x18), nil},
	} {
		s := healthy(t)
		find(s, "DC1$").EncTypes = c.enc
		for _, id := range []string{"vuln2_dc_crypto", "vuln3_dc_crypto", "vuln4_dc_crypto"} {
			if got := status(t, s, id).Status == Fail; got != slices.Contains(c.fail, id) {
				t.Errorf("types %v: %s failed=%v", c.enc, id, got)
			}
		}
	}
}

// dSHeuristics flags ANSSI names, at their [MS-ADTS] 6.1.1.2.4.1.2 positions.
func TestDSHeuristicsFlags(t *testing.T) {
	set := func(pos int, c byte) string {
		b := []byte("0000000001000000000200000001130")
		b[pos-1] = c
		return string(b)
	}
	for _, c := range []struct {
		value string
		level int
		flag  string
	}{
		{set(8, '1'), 1, "fAllowAnonNSPI"},
		{set(16, '4'), 1, "dwAdminSDExMask"},
		{set(7, '2'), 2, "fLDAPBlockAnonOps"},
		{set(21, '1'), 2, "DoNotVerifyUPNAndOrSPNUniqueness"},
		{set(28, '2'), 2, "AttributeAuthorizationOnLDAPAdd"},
		{set(29, '2'), 2, "BlockOwnerImplicitRights"},
		{set(31, '7'), 2, "DisableConfidentialAttributeEncryptionRequirements"},
		{"0000000001000000000200000001130", 0, ""}, // ANSSI's level-5 example
		{"0000000001000000000200000000030", 4, "AttributeAuthorizationOnLDAPAdd"},
		{"", 4, "BlockOwnerImplicitRights"}, // unset: not enforced
	} {
		s := healthy(t)
		s.Domain.DSHeuristics = c.value
		for _, lvl := range []int{1, 2, 4} {
			r := status(t, s, "vuln"+strconv.Itoa(lvl)+"_dsheuristics_bad")
			// a KB5008383 flag at 2 is also "not 1" for level 4
			want := lvl == c.level || (lvl == 4 && c.level == 2 && (c.flag == "AttributeAuthorizationOnLDAPAdd" || c.flag == "BlockOwnerImplicitRights"))
			if (r.Status == Fail) != want {
				t.Errorf("%s: level %d %s %v", c.value, lvl, r.Status, r.Objects)
			}
			if want && !strings.Contains(strings.Join(r.Objects, " "), c.flag) {
				t.Errorf("%s: %v does not name %s", c.value, r.Objects, c.flag)
			}
		}
	}
}

// Server passwords: every enabled server, even one not seen for months.
func TestServerPasswordEveryEnabledServer(t *testing.T) {
	s := healthy(t)
	srv := find(s, "SRV1$")
	srv.PwdLastSet, srv.LastLogon = ago(200), ago(150)
	if r := status(t, s, "vuln2_password_change_server_no_change_90"); r.Status != Fail {
		t.Fatalf("idle server with a 200-day password: %s", r.Status)
	}
	srv.UAC |= uacDisabled
	if r := status(t, s, "vuln2_password_change_server_no_change_90"); r.Status == Fail {
		t.Fatalf("a disabled server is not counted: %s", r.Status)
	}
}

// Dormant accounts: users and computers, a password older than three years and
// no logon for a year.
func TestDormantAccounts(t *testing.T) {
	s := healthy(t)
	// 2 of 7 enabled accounts idle for two years but with recent passwords: not dormant
	find(s, "bob").LastLogon = ago(800)
	find(s, "carol").LastLogon = ago(800)
	if r := status(t, s, "vuln1_user_accounts_dormant"); r.Status != Pass {
		t.Fatalf("idle accounts with recent passwords: %s %v", r.Status, r.Objects)
	}
	// the server counts as a dormant account too
	find(s, "bob").PwdLastSet = ago(1200)
	find(s, "carol").PwdLastSet = ago(1200)
	srv := find(s, "SRV1$")
	srv.PwdLastSet, srv.LastLogon, srv.Created = ago(1200), ago(500), now.AddDate(-5, 0, 0)
	r := status(t, s, "vuln1_user_accounts_dormant")
	if r.Status != Fail || !slices.ContainsFunc(r.Objects, func(o string) bool { return strings.HasPrefix(o, "CN=SRV1,") }) {
		t.Fatalf("bob, carol and SRV1 of 9: %s %v", r.Status, r.Objects)
	}
}

// Owners: every object older than seven days; a newer one may still belong to its
// creator.
func TestOwnerGracePeriod(t *testing.T) {
	s := healthy(t)
	a := find(s, "alice")
	a.Owner, a.Created = dom+"-1102", now.AddDate(0, 0, -3)
	if r := status(t, s, "vuln3_owner"); r.Status != Pass {
		t.Fatalf("a three-day-old object: %s %v", r.Status, r.Objects)
	}
	a.Created = now.AddDate(0, 0, -8)
	if r := status(t, s, "vuln3_owner"); r.Status != Fail {
		t.Fatalf("an eight-day-old object owned by bob: %s", r.Status)
	}
	a.Owner = "not a sid"
	if err := s.Validate(); err == nil {
		t.Fatal("a snapshot with a malformed owner was accepted")
	}
}
