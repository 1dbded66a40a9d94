package directory

import (
	"fmt"
	"slices"
	"strings"
)

// Certificate services checkpoints (ANSSI vuln_adcs_*): the templates, the
// certification authorities and the containers of CN=Public Key Services in the
// configuration partition, read over LDAP like any object.

// Certificate template flags ([MS-CRTD] 2.26 and 2.28) and rights ([MS-CRTD] 2.9).
const (
	ctFlagEnrolleeSuppliesSubject = 0x1 // msPKI-Certificate-Name-Flag
	ctFlagPendAllRequests         = 0x2 // msPKI-Enrollment-Flag: a CA manager approves each request
	rightEnroll                   = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
	rightAutoEnroll               = "a05b8cc2-17bc-4802-a710-e7c15ab866a2"
)

// authEKUs are the extended key usages that let a certificate log on: client
// authentication, PKINIT client, smart-card logon, any purpose.
var authEKUs = []string{"1.3.6.1.5.5.7.3.2", "1.3.6.1.5.2.3.4", "1.3.6.1.4.1.311.20.2.2", "2.5.29.37.0"}

// authenticates reports whether certificates of the template can be used to log
// on (an authentication EKU, or no EKU at all: any purpose).
func (o *ConfigObject) authenticates() bool {
	return len(o.EKUs) == 0 || slices.ContainsFunc(o.EKUs, func(e string) bool { return slices.Contains(authEKUs, e) })
}

// published reports whether a certification authority of the forest issues the
// template (certificateTemplates of a pKIEnrollmentService).
func (x *index) published(t *ConfigObject) bool {
	for _, ca := range x.configOfKind(KindCA) {
		if slices.ContainsFunc(ca.Templates, func(n string) bool { return strings.EqualFold(n, t.Name) }) {
			return true
		}
	}
	return false
}

// enrollees lists the untrusted principals that may enroll on a template.
func (x *index) enrollees(t *ConfigObject) []string {
	sd, err := ParseSecurityDescriptor(t.SD)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range sd.DACL {
		if a.Type != aceAccessAllowed && a.Type != aceAccessAllowedObject || a.Flags&aceInheritOnly != 0 || x.trusted(a.SID) {
			continue
		}
		enroll := a.Mask&rightControlAccess != 0 && (a.ObjectType == "" || a.ObjectType == rightEnroll || a.ObjectType == rightAutoEnroll)
		if enroll || a.Mask&rightGenericAll != 0 {
			out = append(out, x.name(a.SID))
		}
	}
	return out
}

var certPublishers = 517 // RID of Cert Publishers, which write CA certificates by design

var adcsCheckpoints = []checkpoint{
	// ANSSI vuln_adcs_template_auth_enroll_with_name (ESC1): a published template
	// lets a non-privileged principal enroll, supply the subject of the certificate
	// and use it to log on, without manager approval or authorized signatures:
	// anyone in that principal can obtain a certificate as any account.
	{"vuln1_adcs_template_auth_enroll_with_name", 1, func(x *index) ([]string, bool) {
		templates := x.configOfKind(KindTemplate)
		var out []string
		for _, t := range templates {
			if t.NameFlag&ctFlagEnrolleeSuppliesSubject == 0 || t.EnrollFlag&ctFlagPendAllRequests != 0 || t.RASignatures > 0 ||
				!t.authenticates() || !x.published(t) {
				continue
			}
			for _, who := range x.enrollees(t) {
				out = append(out, fmt.Sprintf("%s ← %s", t.DN, who))
			}
		}
		return out, len(templates) > 0
	}},
	// ANSSI vuln_adcs_template_control: dangerous permissions on the templates a CA
	// publishes (level 1) and on every template (level 2).
	{"vuln1_adcs_template_control", 1, func(x *index) ([]string, bool) {
		return x.configWhere(x.published, nil, KindTemplate)
	}},
	{"vuln2_adcs_template_control", 2, func(x *index) ([]string, bool) {
		return x.configWhere(nil, nil, KindTemplate)
	}},
	// ANSSI vuln_adcs_control: dangerous permissions on the certification
	// authorities and the containers of CN=Public Key Services (NTAuthCertificates
	// among them).
	{"vuln1_adcs_control", 1, func(x *index) ([]string, bool) {
		return x.configWhere(nil, []string{domainSID(x.s.Domain.SID, certPublishers)}, KindCA, KindPKI)
	}},
}
