package directory

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"care/internal/platform/problem"
)

// sidBytes writes a SID in its binary form; false when s is not one.
func sidBytes(s string) ([]byte, bool) {
	parts := strings.Split(s, "-")
	if !validSID(s) || len(parts) > 3+15 {
		return nil, false
	}
	auth, err := strconv.ParseUint(parts[2], 10, 48)
	if err != nil {
		return nil, false
	}
	b := []byte{1, byte(len(parts) - 3), byte(auth >> 40), byte(auth >> 32), byte(auth >> 24), byte(auth >> 16), byte(auth >> 8), byte(auth)}
	for _, p := range parts[3:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, false
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return b, true
}

// guidBytes writes a GUID printed by formatGUID back in its binary form.
func guidBytes(g string) ([]byte, bool) {
	raw, err := hex.DecodeString(strings.ReplaceAll(g, "-", ""))
	if err != nil || len(raw) != 16 || len(g) != 36 {
		return nil, false
	}
	le := binary.LittleEndian
	out := le.AppendUint32(nil, binary.BigEndian.Uint32(raw[0:]))
	out = le.AppendUint16(out, binary.BigEndian.Uint16(raw[4:]))
	out = le.AppendUint16(out, binary.BigEndian.Uint16(raw[6:]))
	return append(out, raw[8:]...), true
}

// encodeSD writes what ParseSecurityDescriptor keeps of a descriptor, in the
// self-relative form: a header, the owner, the group, then the DACL (present when
// not nil, even empty).
func encodeSD(sd SecurityDescriptor) ([]byte, error) {
	le := binary.LittleEndian
	out := make([]byte, 20)
	out[0] = 1
	le.PutUint16(out[2:], 0x8004)
	for i, sid := range []string{sd.Owner, sd.Group} {
		if sid == "" {
			continue
		}
		raw, ok := sidBytes(sid)
		if !ok {
			return nil, fmt.Errorf("SID %q", sid)
		}
		le.PutUint32(out[4+4*i:], uint32(len(out)))
		out = append(out, raw...)
	}
	if sd.DACL == nil {
		return out, nil
	}
	var acl []byte
	for _, a := range sd.DACL {
		body := le.AppendUint32(nil, a.Mask)
		if a.Type == aceAccessAllowedObject || a.Type == aceAccessDeniedObject {
			flags := uint32(0)
			if a.ObjectType != "" {
				flags = aceObjectTypePresent
			}
			body = le.AppendUint32(body, flags)
			if a.ObjectType != "" {
				g, ok := guidBytes(a.ObjectType)
				if !ok {
					return nil, fmt.Errorf("GUID %q", a.ObjectType)
				}
				body = append(body, g...)
			}
		} else if a.ObjectType != "" {
			return nil, fmt.Errorf("object type %q on an ACE of type %d", a.ObjectType, a.Type)
		}
		raw, ok := sidBytes(a.SID)
		if !ok {
			return nil, fmt.Errorf("SID %q", a.SID)
		}
		body = append(body, raw...)
		if 4+len(body) > 0xffff {
			return nil, fmt.Errorf("ACE too long")
		}
		acl = append(acl, a.Type, a.Flags)
		acl = le.AppendUint16(acl, uint16(4+len(body)))
		acl = append(acl, body...)
	}
	le.PutUint32(out[16:], uint32(len(out)))
	out = append(out, 2, 0)
	out = le.AppendUint16(out, uint16(8+len(acl)))
	out = le.AppendUint16(out, uint16(len(sd.DACL)))
	out = append(out, 0, 0)
	return append(out, acl...), nil
}

// fuzzSDs are descriptors like those of a domain head and of AdminSDHolder.
func fuzzSDs() []SecurityDescriptor {
	return []SecurityDescriptor{
		{Owner: dom + "-512", Group: dom + "-513", DACL: []ACE{
			{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChangesAll, SID: sidAdministrators},
			{Type: aceAccessAllowedObject, Mask: rightControlAccess, ObjectType: rightGetChanges, SID: sidAuthenticated},
			{Type: aceAccessAllowed, Flags: 0x12, Mask: 0x20094, SID: sidAuthenticated}}},
		{Owner: dom + "-512", DACL: []ACE{
			{Type: aceAccessAllowed, Mask: rightAllDS, SID: sidSystem},
			{Type: aceAccessDenied, Mask: rightWriteDACL, SID: "S-1-1-0"},
			{Type: aceAccessAllowedObject, Mask: rightWriteProperty, ObjectType: "bf967a7f-0de6-11d0-a285-00aa003049e2", SID: "S-1-5-10"},
			{Type: aceAccessDeniedObject, Mask: rightWriteProperty, SID: "S-1-5-10"}}},
		{Group: "S-1-5-32-544", DACL: []ACE{}},
		{},
	}
}

// FuzzParseSecurityDescriptor: no panic on any bytes; what a descriptor is read
// as names SIDs in their S-1-… form and GUIDs in their registry form, and, written
// back, reads the same (parse → write → parse is stable).
func FuzzParseSecurityDescriptor(f *testing.F) {
	for _, sd := range fuzzSDs() {
		raw, err := encodeSD(sd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)*2/3])
	}
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Add([]byte{1, 0, 4, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 8, 0, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		if sid, err := SIDString(b); err == nil {
			if !validSID(sid) {
				t.Fatalf("SIDString(%x) = %q", b, sid)
			}
			if raw, ok := sidBytes(sid); !ok || !bytes.Equal(raw, b) {
				t.Fatalf("SIDString(%x) = %q, written back %x", b, sid, raw)
			}
		}
		sd, err := ParseSecurityDescriptor(b)
		if err != nil {
			return
		}
		for _, sid := range []string{sd.Owner, sd.Group} {
			if sid != "" && !validSID(sid) {
				t.Fatalf("%x: SID %q", b, sid)
			}
		}
		if len(sd.DACL) > len(b)/8 {
			t.Fatalf("%d ACEs out of %d bytes", len(sd.DACL), len(b))
		}
		for _, a := range sd.DACL {
			if !validSID(a.SID) || a.ObjectType != "" && len(a.ObjectType) != 36 {
				t.Fatalf("%x: ACE %+v", b, a)
			}
		}
		raw, err := encodeSD(sd)
		if err != nil {
			t.Fatalf("%x read as %+v, which cannot be written back: %v", b, sd, err)
		}
		again, err := ParseSecurityDescriptor(raw)
		if err != nil || !reflect.DeepEqual(again, sd) {
			t.Fatalf("%x read as %+v; written back and read again: %+v, %v", b, sd, again, err)
		}
	})
}

// fuzzKey seals the snapshot files of the fuzz tests.
var fuzzKey = []byte("clé-d-import-du-fuzz")

// sealedFile wraps payload as a snapshot file would hold it, with its digest and
// seal, so that the fuzzer reaches the JSON and the checks behind them.
func sealedFile(payload, key []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	fmt.Fprintf(zw, "%s sha256=%x seal=%x\n", SnapshotFormat, sha256.Sum256(payload), sealOf(key, payload))
	zw.Write(payload)
	zw.Close()
	return b.Bytes()
}

// FuzzReadSnapshot: a file, or (wrap) a JSON payload sealed with the right key, is
// refused with a reason or read into a snapshot that is valid, that evaluates
// without panicking, that is read alike without a key and refused with another
// one, and that written, sealed and read again gives the same snapshot, as does
// its stored (compressed) form.
func FuzzReadSnapshot(f *testing.F) {
	s := &Snapshot{Format: SnapshotFormat, CollectedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), Server: "dc1.care.test:636", BaseDN: "DC=care,DC=test",
		Domain: Domain{DNSName: "care.test", SID: dom, FunctionalLevel: 10, ForestLevel: 10, MachineAccountQuota: 10, SmartcardExpire: "TRUE"}}
	sds := fuzzSDs()
	root, _ := encodeSD(sds[0])
	holder, _ := encodeSD(sds[1])
	s.Domain.RootSD, s.Domain.AdminSDHolderSD = root, holder
	at := s.CollectedAt.AddDate(0, 0, -40)
	s.Objects = []Object{
		{DN: "CN=Administrator,CN=Users,DC=care,DC=test", Class: ClassUser, Name: "Administrator", SID: dom + "-500", UAC: 512, PrimaryGroup: 513,
			Created: at, PwdLastSet: &at, AdminCount: 1, SD: holder},
		{DN: "CN=DC1,OU=Domain Controllers,DC=care,DC=test", Class: ClassComputer, Name: "DC1$", SID: dom + "-1000", UAC: 0x82000, PrimaryGroup: 516,
			OS: "Windows Server 2025", EncTypes: ptr(28), SPNs: []string{"ldap/dc1.care.test"}, RBCD: root},
		{DN: "CN=Domain Admins,CN=Users,DC=care,DC=test", Class: ClassGroup, SID: dom + "-512", Members: []string{"CN=Administrator,CN=Users,DC=care,DC=test"}},
		{DN: "CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=care,DC=test", Class: ClassForeign, SID: sidAuthenticated},
		{DN: "CN=partner.example,CN=System,DC=care,DC=test", Class: ClassTrust, Name: "partner.example", TrustDirection: 3, TrustAttributes: 8, TrustType: 2},
	}
	payload, err := json.Marshal(s)
	if err != nil {
		f.Fatal(err)
	}
	var file bytes.Buffer
	if err := WriteSnapshot(&file, s, fuzzKey); err != nil {
		f.Fatal(err)
	}
	f.Add(file.Bytes(), false)
	f.Add(file.Bytes()[:file.Len()/2], false)
	f.Add(payload, true)
	f.Add([]byte(`{"format":"care-ad-snapshot/1","collected_at":"2026-01-01T00:00:00Z","base_dn":"DC=a","domain":{"sid":"S-1-5-21-1"},"objects":[{"dn":"DC=a","class":"user","sid":"S-1-5-21-1-500"}]}`), true)
	f.Add([]byte(`{"format":"care-ad-snapshot/1"} {}`), true)
	f.Add([]byte(`{"format":"other/1"}`), true)
	f.Add([]byte("hello"), false)
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		if len(data) > 1<<20 {
			return
		}
		file := data
		if wrap {
			file = sealedFile(data, fuzzKey)
		}
		got, err := ReadSnapshot(bytes.NewReader(file), fuzzKey)
		plain, plainErr := ReadSnapshot(bytes.NewReader(file), nil)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			if wrap && plainErr == nil {
				t.Fatalf("a well-sealed file refused with its key (%v) but read without", err)
			}
			return
		}
		if plainErr != nil {
			t.Fatalf("read with the key, not without: %v", plainErr)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("read, yet invalid: %v", err)
		}
		Evaluate(got)
		if _, err := ReadSnapshot(bytes.NewReader(file), []byte("une autre clé")); err == nil {
			t.Fatal("read with another establishment's key")
		}
		want, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("read, yet cannot be written: %v", err)
		}
		if b, _ := json.Marshal(plain); !bytes.Equal(b, want) {
			t.Fatalf("read without the key:\n%s\nwith it:\n%s", b, want)
		}
		var again bytes.Buffer
		if err := WriteSnapshot(&again, got, fuzzKey); err != nil {
			t.Fatal(err)
		}
		back, err := ReadSnapshot(bytes.NewReader(again.Bytes()), fuzzKey)
		if err != nil {
			t.Fatalf("written and sealed again, refused: %v", err)
		}
		if b, _ := json.Marshal(back); !bytes.Equal(b, want) {
			t.Fatalf("written and read again:\n%s\nwas\n%s", b, want)
		}
		stored, err := got.Compress()
		if err != nil {
			t.Fatal(err)
		}
		un, err := Decompress(stored)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(un); !bytes.Equal(b, want) {
			t.Fatalf("stored and read again:\n%s\nwas\n%s", b, want)
		}
	})
}

// dialTarget is the host and port go-ldap's DialURL connects to for rawURL
// (github.com/go-ldap/ldap/v3, DialContext.dial): when the authority does not split
// as host:port, the whole of it is taken as the host, on the scheme's port.
func dialTarget(u *url.URL) (host, port string) {
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, ""
	}
	if port == "" {
		port = map[string]string{"ldap": "389", "ldaps": "636"}[u.Scheme]
	}
	return host, port
}

// FuzzConfigValidate: a configuration is refused with reasons or accepted with an
// ldap or ldaps URL whose host, the one the address checks, the TLS name and the
// stored source use (url.URL.Hostname and Port), is the one the LDAP client dials,
// unless the client cannot dial it at all.
func FuzzConfigValidate(f *testing.F) {
	for _, u := range []string{"ldaps://dc1.care.test", "ldaps://dc1.care.test:636", "ldap://10.0.0.5:389", "ldaps://[2001:db8::5]:3269",
		"ldap://dc1.care.test/", "ldaps://dc1.care.test/?base", "ldaps://user:pass@dc1.care.test", "ldapi:///var/run/slapd/ldapi", "cldap://dc1",
		"https://dc1.care.test", "ldaps://", "ldaps://:636", "ldaps://dc1:0x27c", "ldaps://2001:db8::5:636", "ldap://[::1", "ldaps://dc1%2ecare.test",
		"ldaps://DC1.care.test.", "LDAPS://dc1.care.test", "ldaps://dc1.care.test:", "ldaps://[fe80::1%25eth0]:636", " ldaps://dc1.care.test"} {
		f.Add(u, "CN=audit,CN=Users,DC=care,DC=test", "DC=care,DC=test", uint8(0))
		f.Add(u, "audit@CARE.TEST", "", uint8(4))
	}
	f.Add("ldap://dc1.care.test", "audit", "DC=care,,DC=test", uint8(1))
	f.Add("ldap://dc1.care.test", "audit", "not a dn", uint8(2))
	f.Fuzz(func(t *testing.T, rawURL, bindDN, baseDN string, flags uint8) {
		if len(rawURL)+len(bindDN)+len(baseDN) > 4096 {
			return
		}
		c := Config{URL: rawURL, BindDN: bindDN, Password: "secret", BaseDN: baseDN,
			StartTLS: flags&1 != 0, AllowPlain: flags&2 != 0, Kerberos: flags&4 != 0, InsecureSkipVerify: flags&8 != 0}
		if c.Kerberos {
			c.KRB5Conf = "/etc/krb5.conf"
		}
		if err := c.Validate(); err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		u, err := url.Parse(rawURL)
		if err != nil || u.Scheme != "ldap" && u.Scheme != "ldaps" || u.Hostname() == "" {
			t.Fatalf("%q accepted: %v", rawURL, err)
		}
		if u.Scheme == "ldap" && !c.StartTLS && !c.AllowPlain {
			t.Fatalf("plain %q accepted", rawURL)
		}
		host, port := dialTarget(u)
		want := u.Port()
		if want == "" {
			want = map[string]string{"ldap": "389", "ldaps": "636"}[u.Scheme]
		}
		if _, _, err := net.SplitHostPort(net.JoinHostPort(host, port)); err != nil {
			return // an address the client cannot dial: "[2001:db8::5]" without a port
		}
		if host != u.Hostname() || port != want {
			t.Fatalf("%q accepted: checked as %s port %s, dialled as %s port %s", rawURL, u.Hostname(), want, host, port)
		}
	})
}
