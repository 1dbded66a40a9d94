package directory

import (
	"math"
	"slices"
	"testing"
)

// maxPwdAge: a negative count of 100-ns intervals; 0 and the minimum int64 mean
// "never expires" ([MS-ADA2] Max-Pwd-Age).
func TestPwdAgeDays(t *testing.T) {
	threeYears := int64(3 * 36525 * day / 100) // 3 × 365.25 days
	for _, c := range []struct {
		raw   int64
		days  float64
		never bool
	}{
		{0, 0, true},
		{math.MinInt64, 0, true},
		{-42 * day, 42, false},
		{-threeYears, 1095.75, false},
	} {
		days, never := pwdAgeDays(c.raw)
		if days != c.days || never != c.never {
			t.Errorf("maxPwdAge %d: %v days, never %v; want %v, %v", c.raw, days, never, c.days, c.never)
		}
	}
	// three years exactly passes; a day more, or never, fails
	for _, c := range []struct {
		age  int64
		fail bool
	}{{-threeYears, false}, {-threeYears - day, true}, {0, true}, {math.MinInt64, true}} {
		s := healthy(t)
		addAdmins(s, 1, "")
		s.Domain.PasswordPolicy.MaxPwdAge = c.age
		if objects, _ := newIndex(s).privilegedPasswordPolicy(); (len(objects) > 0) != c.fail {
			t.Errorf("maxPwdAge %d: %v, want failing %v", c.age, objects, c.fail)
		}
	}
}

// The resultant PSO (Microsoft, "AD DS: Fine-Grained Password Policies"): a PSO
// linked to the user beats every PSO of its groups whatever their precedence;
// among several, the lowest msDS-PasswordSettingsPrecedence wins; groups count
// through nesting.
func TestResultantPSO(t *testing.T) {
	s := healthy(t)
	addAdmins(s, 1, "")
	admin := find(s, "admin0")
	s.Config = append(s.Config,
		pso("Weak", 1, 6, -42*day, find(s, "Administrators").DN), // Domain Admins is inside Administrators
		pso("Medium", 3, 10, -42*day, find(s, "Domain Admins").DN),
		pso("Direct", 5, 14, -90*day, admin.DN),
		pso("Nurses", 0, 4, 0, find(s, "Nurses").DN), // not one of admin0's groups
	)
	x := newIndex(s)
	if p := x.resultantPSO(admin, map[string]map[string]bool{}); p == nil || p.Name != "Direct" {
		t.Fatalf("resultant PSO %v, want Direct (linked to the account)", p)
	}
	if objects, _ := x.privilegedPasswordPolicy(); len(objects) != 0 {
		t.Fatalf("the direct PSO (14 characters, 90 days) applies, yet %v", objects)
	}
	// without the direct link: the lowest precedence among the groups' PSOs
	s.Config[len(s.Config)-2].AppliesTo = nil
	x = newIndex(s)
	if p := x.resultantPSO(admin, map[string]map[string]bool{}); p == nil || p.Name != "Weak" {
		t.Fatalf("resultant PSO %v, want Weak (precedence 1)", p)
	}
	objects, _ := x.privilegedPasswordPolicy()
	if !slices.Equal(objects, []string{admin.DN + " (CN=Weak,CN=Password Settings Container,CN=System,DC=care,DC=test: minPwdLength=6, maxPwdAge=42 days)"}) {
		t.Fatalf("objects %v", objects)
	}
	// the fix: the weak PSO asks for 12 characters
	s.Config[len(s.Config)-4].MinPwdLength = 12
	if objects, _ := newIndex(s).privilegedPasswordPolicy(); len(objects) != 0 {
		t.Fatalf("fixed PSO, yet %v", objects)
	}
	if got := Evaluate(s); got.Level != 5 {
		t.Fatalf("level %d after the fix", got.Level)
	}
}

// A snapshot collected before the policy was read cannot tell: n/a, not a pass.
func TestPasswordPolicyNotApplicableOnOldSnapshot(t *testing.T) {
	s := healthy(t)
	s.Domain.PasswordPolicy = nil
	for _, r := range Evaluate(s).Checks {
		if r.ID == "vuln2_privileged_members_password" && r.Status != NA {
			t.Fatalf("%s: %s", r.ID, r.Status)
		}
	}
}
