package directory

import (
	"crypto/rsa"
	"crypto/x509"
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

// certProblem is a weakness of a certificate stored in the directory, at the level
// ANSSI's vuln_certificates_vuln gives it.
type certProblem struct {
	level int
	why   string
}

// certProblems reads a DER certificate as ANSSI's vuln_certificates_vuln does:
// level 1 for a DSA key, an RSA modulus under 1,024 bits or one with the ROCA
// fingerprint (roca.go); level 2 for a certificate that cannot be decoded; level
// 3 for an RSA modulus under 2,048 bits (the RGS minimum), a public exponent
// under 65,537 or a signature that is not SHA-2 or SHA-3 based.
func certProblems(der []byte) []certProblem {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return []certProblem{{2, "certificat illisible"}}
	}
	var out []certProblem
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		switch bits := k.N.BitLen(); {
		case bits < 1024:
			out = append(out, certProblem{1, fmt.Sprintf("RSA %d bits", bits)})
			fallthrough
		case bits < 2048:
			out = append(out, certProblem{3, fmt.Sprintf("RSA %d bits", bits)})
		}
		if k.E < 65537 {
			out = append(out, certProblem{3, fmt.Sprintf("exposant RSA %d", k.E)})
		}
		if rocaVulnerable(k.N) {
			out = append(out, certProblem{1, "clé RSA vulnérable à ROCA (CVE-2017-15361)"})
		}
	}
	if c.PublicKeyAlgorithm == x509.DSA {
		out = append(out, certProblem{1, "clé DSA"})
	}
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.UnknownSignatureAlgorithm:
		out = append(out, certProblem{3, "signature " + c.SignatureAlgorithm.String()})
	}
	for i := range out {
		out[i].why += " (" + c.Subject.String() + ")"
	}
	return out
}

// weakCertificates lists the certificates of the CAs and PKI containers with a
// problem of the given level; applicable when the directory holds certificates.
func (x *index) weakCertificates(level int) ([]string, bool) {
	var out []string
	seen := false
	for i := range x.s.Config {
		o := &x.s.Config[i]
		if o.Kind != KindCA && o.Kind != KindPKI {
			continue
		}
		for _, der := range o.Certs {
			seen = true
			for _, p := range certProblems(der) {
				if p.level == level {
					out = append(out, fmt.Sprintf("%s: %s", o.DN, p.why))
				}
			}
		}
	}
	return out, seen
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
	// ANSSI vuln_certificates_vuln: weak or vulnerable certificates of the CAs and
	// PKI containers (NTAuthCertificates, Certification Authorities, AIA).
	{"vuln1_certificates_vuln", 1, func(x *index) ([]string, bool) { return x.weakCertificates(1) }},
	{"vuln2_certificates_vuln", 2, func(x *index) ([]string, bool) { return x.weakCertificates(2) }},
	{"vuln3_certificates_vuln", 3, func(x *index) ([]string, bool) { return x.weakCertificates(3) }},
}
