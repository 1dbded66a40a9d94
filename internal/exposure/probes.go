package exposure

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// The questions sent to a service that waits to be asked. Each reads what the
// server is and nothing else: no payload that changes anything, no login. The
// answer is turned into a text for the fingerprints of its protocol
// (content/fingerprints/<protocol>.yaml, whose probe field says the same).
type question struct {
	service  string // the service an answer shows
	protocol string // the fingerprint file of its text
	ask      func(ctx context.Context, addr string, timeout time.Duration) (string, bool)
}

var probes = map[string]question{
	"rdp":        {"rdp", "rdp", askRDP},
	"smb":        {"smb", "smb", askSMB},
	"ldap":       {"ldap", "ldap", askLDAP},
	"postgresql": {"postgresql", "postgresql", askPostgreSQL},
	"redis":      {"redis", "redis", askRedis},
	"memcached":  {"memcached", "memcached", askMemcached},
}

var (
	// RDP: X.224 Connection Request with an RDP negotiation request (TLS | CredSSP)
	// ([MS-RDPBCGR] 2.2.1.1).
	rdpRequest = []byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00}
	// SMB2 NEGOTIATE offering dialects 2.0.2 to 3.1.1, without preauth context.
	smbNegotiate = func() []byte {
		hdr := make([]byte, 64)
		copy(hdr, []byte{0xfe, 'S', 'M', 'B', 64, 0})
		body := []byte{36, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0}
		body = append(body, make([]byte, 16)...) // client GUID
		body = append(body, make([]byte, 8)...)  // client start time
		for _, d := range []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311} {
			body = append(body, byte(d), byte(d>>8))
		}
		msg := append(hdr, body...)
		n := len(msg)
		return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
	}()
	// LDAP: an anonymous, read-only search of the root DSE (RFC 4512 §5.1) for
	// the attributes that name the server: its object classes (OpenLDAP writes
	// OpenLDAProotDSE), vendorName and vendorVersion (RFC 3045), and the
	// supported capabilities (Active Directory lists its OIDs there).
	ldapRootDSE = ber(0x30, ber(0x02, []byte{1}), ber(0x63,
		ber(0x04, nil), ber(0x0a, []byte{0}), ber(0x0a, []byte{0}), ber(0x02, []byte{0}), ber(0x02, []byte{0}), ber(0x01, []byte{0}),
		ber(0x87, []byte("objectClass")),
		ber(0x30, ber(0x04, []byte("objectClass")), ber(0x04, []byte("vendorName")), ber(0x04, []byte("vendorVersion")),
			ber(0x04, []byte("supportedCapabilities")))))
	// PostgreSQL: a startup message asking for protocol 9.0, which no
	// server speaks; the server answers with an ErrorResponse that says which
	// versions of the protocol it supports ("server supports 3.0 to 3.2"), and
	// closes (PostgreSQL documentation, "Frontend/Backend Protocol", message
	// flow and ErrorResponse fields).
	pgStartup = []byte{0, 0, 0, 8, 0, 9, 0, 0}
)

// ber encodes one BER element of short length (under 128 bytes).
func ber(tag byte, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append([]byte{tag, byte(len(body))}, body...)
}

// askRDP reads the X.224 Connection Confirm and its RDP negotiation response
// ([MS-RDPBCGR] 2.2.1.2): the flags a server sets tell Windows versions apart.
func askRDP(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	r := read(ctx, addr, rdpRequest, timeout)
	if len(r) < 11 || r[0] != 0x03 || r[1] != 0x00 || r[5] != 0xd0 {
		return "", false
	}
	text := "X.224 Connection Confirm"
	if len(r) >= 19 {
		value := binary.LittleEndian.Uint32(r[15:19])
		switch r[11] {
		case 0x02: // RDP_NEG_RSP
			text += " RDP_NEG_RSP"
			for i, name := range []string{"EXTENDED_CLIENT_DATA", "DYNVC_GFX", "RESERVED", "RESTRICTED_ADMIN", "REDIRECTED_AUTH"} {
				if r[12]&(1<<i) != 0 {
					text += " " + name
				}
			}
			text += fmt.Sprintf(" protocol=%d", value)
		case 0x03: // RDP_NEG_FAILURE
			text += fmt.Sprintf(" RDP_NEG_FAILURE code=%d", value)
		}
	}
	return text, true
}

func askSMB(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	if r := read(ctx, addr, smbNegotiate, timeout); len(r) > 8 && bytes.Contains(r[:min(len(r), 12)], []byte{0xfe, 'S', 'M', 'B'}) {
		return "SMB2 Negotiate response", true
	}
	return "", false
}

// askLDAP reads the root DSE; its text is the printable strings of the answer.
func askLDAP(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	r := readUpTo(ctx, addr, ldapRootDSE, timeout, 8192)
	if len(r) <= 2 || r[0] != 0x30 {
		return "", false
	}
	return "LDAP rootDSE: " + printableRuns(r, 3), true
}

// askPostgreSQL reads the ErrorResponse to an unsupported protocol version; its
// text is the error's fields as "S=FATAL C=0A000 M=… F=postmaster.c R=…".
func askPostgreSQL(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	r := readUpTo(ctx, addr, pgStartup, timeout, 4096)
	if len(r) < 6 || r[0] != 'E' {
		return "", false
	}
	var fields []string
	for _, f := range bytes.Split(r[5:], []byte{0}) {
		if len(f) > 1 {
			fields = append(fields, string(f[0])+"="+string(bytes.ToValidUTF8(f[1:], nil)))
		}
	}
	if len(fields) == 0 {
		return "", false
	}
	return "PostgreSQL ErrorResponse " + strings.Join(fields, " "), true
}

// askRedis sends INFO server, which reads the server's description (redis.io,
// "INFO" command); a server that wants a password answers -NOAUTH.
func askRedis(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	r := readUpTo(ctx, addr, []byte("INFO server\r\n"), timeout, 8192)
	if len(r) == 0 || (r[0] != '$' && r[0] != '-') {
		return "", false
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8(r, nil))), true
}

// askMemcached sends version, which answers "VERSION x.y.z" (memcached
// protocol.txt, "General-purpose commands").
func askMemcached(ctx context.Context, addr string, timeout time.Duration) (string, bool) {
	r := read(ctx, addr, []byte("version\r\n"), timeout)
	if !bytes.HasPrefix(r, []byte("VERSION ")) {
		return "", false
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8(r, nil))), true
}

// printableRuns joins the runs of at least n printable ASCII bytes of b.
func printableRuns(b []byte, n int) string {
	var runs []string
	start := -1
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= n {
			runs = append(runs, string(b[start:i]))
		}
		start = -1
	}
	return strings.Join(runs, " ")
}
