package directory

import (
	"fmt"
	"math"
	"strings"
)

// Thresholds of vuln_privileged_members_password (ANSSI AD checklist; PingCastle
// A-MinPwdLen): a privileged account's effective policy must ask for at least 8
// characters and make the password expire within three years.
const (
	privMinPwdLength = 8
	privMaxPwdDays   = 3 * 365.25
)

// pwdAgeDays reads a maxPwdAge (or msDS-MaximumPasswordAge) value: a negative count
// of 100-ns intervals; 0 and the minimum int64 mean that passwords never expire
// ([MS-ADA2] Max-Pwd-Age; [MS-SAMR] 2.2.4.1, DOMAIN_PASSWORD_INFORMATION).
func pwdAgeDays(v int64) (days float64, never bool) {
	if v == 0 || v == math.MinInt64 {
		return 0, true
	}
	if v < 0 {
		v = -v
	}
	return float64(v) / (864e9), false // 864e9 intervals of 100 ns in a day
}

// effectivePolicy is the password policy that applies to an account.
type effectivePolicy struct {
	source       string // "domain" or the PSO's DN
	minPwdLength int
	maxPwdAge    int64
}

// resultantPSO picks the password settings object that applies to o, as the
// domain controller computes msDS-ResultantPSO (Microsoft, "AD DS: Fine-Grained
// Password Policies", PSO precedence): the PSOs linked to the account itself win
// over those it gets through its groups (nested groups and primary group
// included); among several, the lowest msDS-PasswordSettingsPrecedence wins. nil
// when none applies: the domain's policy does. (Windows breaks a tie of
// precedence by the lowest objectGUID, which a snapshot does not hold: the first
// PSO read wins then.)
func (x *index) resultantPSO(o *Object, members map[string]map[string]bool) *ConfigObject {
	var direct, viaGroup *ConfigObject
	dn := strings.ToLower(o.DN)
	better := func(cur, p *ConfigObject) *ConfigObject {
		if cur == nil || p.Precedence < cur.Precedence {
			return p
		}
		return cur
	}
	for i := range x.s.Config {
		p := &x.s.Config[i]
		if p.Kind != KindPSO {
			continue
		}
		for _, target := range p.AppliesTo {
			t := strings.ToLower(target)
			if t == dn {
				direct = better(direct, p)
				continue
			}
			in, ok := members[t]
			if !ok {
				in = map[string]bool{}
				if g := x.byDN(t); g != nil && g.Class == ClassGroup {
					in = x.closure(g.SID)
				}
				members[t] = in
			}
			if in[dn] {
				viaGroup = better(viaGroup, p)
			}
		}
	}
	if direct != nil {
		return direct
	}
	return viaGroup
}

// privilegedPasswordPolicy lists the privileged user accounts (those
// privilegedMembers counts) whose effective password policy asks for fewer than 8
// characters, or lets a password live more than three years or forever
// (vuln_privileged_members_password). Not applicable to a snapshot without the
// domain's policy.
func (x *index) privilegedPasswordPolicy() ([]string, bool) {
	d := x.s.Domain.PasswordPolicy
	if d == nil {
		return nil, false
	}
	members := map[string]map[string]bool{}
	var out []string
	for _, o := range x.s.objects() {
		if o.Class != ClassUser || !x.countedPrivileged(o) {
			continue
		}
		p := effectivePolicy{source: "domain", minPwdLength: d.MinPwdLength, maxPwdAge: d.MaxPwdAge}
		if pso := x.resultantPSO(o, members); pso != nil {
			p = effectivePolicy{source: pso.DN, minPwdLength: pso.MinPwdLength, maxPwdAge: pso.MaxPwdAge}
		}
		days, never := pwdAgeDays(p.maxPwdAge)
		if p.minPwdLength >= privMinPwdLength && !never && days <= privMaxPwdDays {
			continue
		}
		age := "never"
		if !never {
			age = fmt.Sprintf("%.0f days", days)
		}
		out = append(out, fmt.Sprintf("%s (%s: minPwdLength=%d, maxPwdAge=%s)", o.DN, p.source, p.minPwdLength, age))
	}
	return out, true
}
