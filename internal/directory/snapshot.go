package directory

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"care/internal/platform/problem"
)

// SnapshotFormat names the snapshot layout; a reader refuses any other.
const SnapshotFormat = "care-ad-snapshot/1"

// Snapshot is what the collector read from a domain: enough to evaluate every
// checkpoint again later, without the directory. It holds no secret.
type Snapshot struct {
	Format      string    `json:"format"`
	CollectedAt time.Time `json:"collected_at"`
	Server      string    `json:"server"`
	BaseDN      string    `json:"base_dn"`
	Domain      Domain    `json:"domain"`
	Objects     []Object  `json:"objects"`
	// Config holds the other objects some checkpoints read: certificate services,
	// display specifiers, DNS zones, GPOs, keys, the schema head.
	Config []ConfigObject `json:"config,omitempty"`
	// store holds the objects of a streamed collection instead of Objects.
	store *objectStore
}

// Kinds of configuration objects.
const (
	KindTemplate     = "template"           // pKICertificateTemplate
	KindCA           = "enrollment_service" // pKIEnrollmentService: a certification authority
	KindPKI          = "pki_container"      // Public Key Services and its containers, NTAuthCertificates
	KindDisplay      = "display_specifier"  // a display specifier with a context menu that runs a program
	KindDNSZone      = "dns_zone"
	KindDNSContainer = "dns_container" // a MicrosoftDNS container
	KindSchema       = "schema"        // the schema head
	KindConfigHead   = "configuration" // the configuration partition's head
	KindKDSKey       = "kds_root_key"  // msKds-ProvRootKey: the gMSA root keys
	KindDPAPI        = "dpapi_key"     // BCKUPKEY_* secrets: the DPAPI domain backup keys
	KindGPO          = "gpo"           // a group policy linked above a privileged object
	KindContainer    = "container"     // an OU or container above a privileged object
	KindSysvol       = "sysvol"        // the SYSVOL replication settings
	KindDFSR         = "dfsr"          // DFSR settings of SYSVOL (global and per-DC)
	KindPSO          = "pso"           // msDS-PasswordSettings: a fine-grained password policy
)

// ConfigObject is one object of the configuration partition, or of the domain
// outside its accounts, with the attributes its checkpoint reads.
type ConfigObject struct {
	DN   string `json:"dn"`
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	// Certificate templates: msPKI-Certificate-Name-Flag, msPKI-Enrollment-Flag,
	// msPKI-RA-Signature, pKIExtendedKeyUsage.
	NameFlag     int      `json:"name_flag,omitempty"`
	EnrollFlag   int      `json:"enroll_flag,omitempty"`
	RASignatures int      `json:"ra_signatures,omitempty"`
	EKUs         []string `json:"ekus,omitempty"`
	// Templates is certificateTemplates of a certification authority.
	Templates []string `json:"templates,omitempty"`
	// Certs are the cACertificate values (DER) of a CA or PKI container.
	Certs [][]byte `json:"certs,omitempty"`
	// Menus are the context-menu values of a display specifier.
	Menus []string `json:"menus,omitempty"`
	// AllowUpdate is DSPROPERTY_ZONE_ALLOW_UPDATE of a DNS zone ([MS-DNSP] 2.3.2.1.1).
	AllowUpdate *int `json:"allow_update,omitempty"`
	// LinkedOn names the containers a GPO is linked on.
	LinkedOn []string `json:"linked_on,omitempty"`
	// SYSVOL: FRS says the FRS replica set of SYSVOL exists; DFSRFlags is msDFSR-Flags
	// of DFSR-GlobalSettings (-1 when absent).
	FRS       bool   `json:"frs,omitempty"`
	DFSRFlags int    `json:"dfsr_flags,omitempty"`
	SD        []byte `json:"sd,omitempty"`
	// Password settings objects: msDS-PasswordSettingsPrecedence,
	// msDS-MinimumPasswordLength, msDS-MaximumPasswordAge (as maxPwdAge) and
	// msDS-PSOAppliesTo (the users and groups it applies to).
	Precedence   int      `json:"precedence,omitempty"`
	MinPwdLength int      `json:"min_pwd_length,omitempty"`
	MaxPwdAge    int64    `json:"max_pwd_age,omitempty"`
	AppliesTo    []string `json:"applies_to,omitempty"`
}

// PasswordPolicy is the domain's own password policy (attributes of the domain
// head), the one that applies to an account no password settings object covers.
type PasswordPolicy struct {
	MinPwdLength int `json:"min_pwd_length"`
	// MaxPwdAge is maxPwdAge as stored: a negative count of 100-ns intervals, 0 or
	// the minimum int64 when passwords never expire.
	MaxPwdAge int64 `json:"max_pwd_age"`
}

// Domain holds the settings of the domain head and of the configuration partition.
type Domain struct {
	DNSName             string `json:"dns_name"`
	ConfigDN            string `json:"config_dn,omitempty"`
	SID                 string `json:"sid"`
	FunctionalLevel     int    `json:"functional_level"`
	ForestLevel         int    `json:"forest_level"`
	MachineAccountQuota int    `json:"machine_account_quota"`
	PwdProperties       int    `json:"pwd_properties"`
	DSHeuristics        string `json:"ds_heuristics,omitempty"`
	// SmartcardExpire is msDS-ExpirePasswordsOnSmartCardOnlyAccounts ("" when unset).
	SmartcardExpire string `json:"smartcard_expire,omitempty"`
	// RootSD and AdminSDHolderSD are the raw security descriptors (owner, group, DACL).
	RootSD          []byte `json:"root_sd,omitempty"`
	AdminSDHolderSD []byte `json:"adminsdholder_sd,omitempty"`
	// PasswordPolicy is nil in a snapshot collected before it was read.
	PasswordPolicy *PasswordPolicy `json:"password_policy,omitempty"`
}

var configKinds = []string{KindTemplate, KindCA, KindPKI, KindDisplay, KindDNSZone, KindDNSContainer, KindSchema, KindConfigHead, KindKDSKey, KindDPAPI, KindGPO, KindContainer, KindSysvol, KindDFSR, KindPSO}

// Object classes kept in a snapshot.
const (
	ClassUser     = "user"
	ClassComputer = "computer"
	ClassGroup    = "group"
	ClassTrust    = "trust"
	ClassForeign  = "foreign" // foreignSecurityPrincipal: well-known SIDs as group members
)

// Object is one directory object, with the attributes the checkpoints read.
type Object struct {
	DN           string     `json:"dn"`
	Class        string     `json:"class"`
	Name         string     `json:"name,omitempty"` // sAMAccountName, or the trust partner
	SID          string     `json:"sid,omitempty"`
	UAC          int        `json:"uac,omitempty"`
	PrimaryGroup int        `json:"primary_group,omitempty"`
	Created      time.Time  `json:"created"`
	Changed      time.Time  `json:"changed"`
	PwdLastSet   *time.Time `json:"pwd_last_set,omitempty"`
	LastLogon    *time.Time `json:"last_logon,omitempty"`
	AdminCount   int        `json:"admin_count,omitempty"`
	SPNs         []string   `json:"spns,omitempty"`
	DelegateTo   []string   `json:"delegate_to,omitempty"`
	// RBCD is msDS-AllowedToActOnBehalfOfOtherIdentity (a security descriptor).
	RBCD       []byte   `json:"rbcd,omitempty"`
	EncTypes   *int     `json:"enc_types,omitempty"`
	OS         string   `json:"os,omitempty"`
	OSVersion  string   `json:"os_version,omitempty"`
	DNSHost    string   `json:"dns_host,omitempty"`
	SIDHistory []string `json:"sid_history,omitempty"`
	Members    []string `json:"members,omitempty"`
	// SD is the object's security descriptor, read for sensitive objects only;
	// SDUnreadable says the collector asked and the server gave nothing.
	SD           []byte `json:"sd,omitempty"`
	SDUnreadable bool   `json:"sd_unreadable,omitempty"`
	// Owner is the owner SID of the object's descriptor, read for every object.
	Owner string `json:"owner,omitempty"`
	// Managed says a (group) managed service account.
	Managed bool `json:"managed,omitempty"`
	// Revealed are the accounts whose secrets a read-only DC holds
	// (msDS-RevealedUsers, the DN part of each value).
	Revealed []string `json:"revealed,omitempty"`
	// Trust attributes (trustedDomain objects).
	TrustDirection  int    `json:"trust_direction,omitempty"`
	TrustAttributes int    `json:"trust_attributes,omitempty"`
	TrustType       int    `json:"trust_type,omitempty"`
	FlatName        string `json:"flat_name,omitempty"` // the trusted domain's NetBIOS name
}

// userAccountControl flags (MS-ADTS 2.2.16).
const (
	uacDisabled              = 0x2
	uacPasswdNotRequired     = 0x20
	uacEncryptedTextPwd      = 0x80
	uacInterdomainTrust      = 0x800
	uacServerTrust           = 0x2000
	uacDontExpirePassword    = 0x10000
	uacTrustedForDelegation  = 0x80000
	uacNotDelegated          = 0x100000
	uacUseDESKeyOnly         = 0x200000
	uacDontRequirePreauth    = 0x400000
	uacTrustedToAuthForDeleg = 0x1000000
	uacPartialSecretsAccount = 0x4000000
)

// Enabled reports whether the account can log on.
func (o Object) Enabled() bool { return o.UAC&uacDisabled == 0 }

// IsDC reports whether the object is a domain controller (writable or read-only).
func (o Object) IsDC() bool {
	return o.Class == ClassComputer && (o.PrimaryGroup == 516 || o.PrimaryGroup == 521 || o.UAC&(uacServerTrust|uacPartialSecretsAccount) != 0)
}

// Validate checks that a snapshot is whole and self-consistent: the evaluation may
// then trust it. A hand-edited or foreign file fails here with the reason.
func (s *Snapshot) Validate() error {
	var c problem.Checks
	if s.Format != SnapshotFormat {
		c.Add("snapshot", "directory.error.snapshot_format", s.Format)
		return c.Err()
	}
	if s.CollectedAt.IsZero() || s.CollectedAt.After(time.Now().Add(10*time.Minute)) {
		c.Add("snapshot", "directory.error.snapshot_date")
	}
	base := strings.ToLower(s.BaseDN)
	if !strings.HasPrefix(base, "dc=") {
		c.Add("snapshot", "directory.error.snapshot_base")
	}
	if !validSID(s.Domain.SID) {
		c.Add("snapshot", "directory.error.snapshot_sid", s.Domain.SID)
	}
	config := strings.ToLower(s.Domain.ConfigDN)
	seen := make(map[string]bool, len(s.Objects))
	for _, o := range s.Objects {
		dn := strings.ToLower(o.DN)
		inConfig := config != "" && strings.HasSuffix(dn, ","+config) && o.Class == ClassForeign
		switch {
		case !strings.HasSuffix(dn, ","+base) && dn != base && !inConfig:
			c.Add("snapshot", "directory.error.snapshot_object", o.DN)
		case seen[dn]:
			c.Add("snapshot", "directory.error.snapshot_duplicate", o.DN)
		case o.Class != ClassUser && o.Class != ClassComputer && o.Class != ClassGroup && o.Class != ClassTrust && o.Class != ClassForeign:
			c.Add("snapshot", "directory.error.snapshot_class", o.DN)
		case o.SID != "" && !validSID(o.SID):
			c.Add("snapshot", "directory.error.snapshot_sid", o.SID)
		case o.Owner != "" && !validSID(o.Owner):
			c.Add("snapshot", "directory.error.snapshot_sid", o.Owner)
		}
		seen[dn] = true
		if len(c.Fields()) > 20 { // enough to tell a broken file
			break
		}
	}
	for _, o := range s.Config {
		dn := strings.ToLower(o.DN)
		switch {
		case !strings.HasSuffix(dn, ","+base) && !(config != "" && strings.HasSuffix(dn, ","+config)) && !strings.Contains(dn, "dnszones,"):
			c.Add("snapshot", "directory.error.snapshot_object", o.DN)
		case !slices.Contains(configKinds, o.Kind):
			c.Add("snapshot", "directory.error.snapshot_class", o.DN)
		}
		if len(c.Fields()) > 20 {
			break
		}
	}
	return c.Err()
}

// Snapshot files: a gzip stream holding one header line, then the JSON snapshot.
//
//	care-ad-snapshot/1 sha256=<hex of the JSON> seal=<HMAC-SHA256 of the JSON, or ->
//
// The digest tells a truncated or damaged file; the seal, made with the
// establishment's import key, tells a file that was edited or made for someone else.

// maxSnapshot bounds what an import may inflate to, against decompression bombs:
// the benchmark's 14,000-object domain inflates to a few megabytes.
const maxSnapshot = 128 << 20

// WriteSnapshot writes s as a snapshot file, sealed with key when key is not empty.
func WriteSnapshot(w io.Writer, s *Snapshot, key []byte) error {
	payload, err := json.Marshal(s)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	seal := "-"
	if len(key) > 0 {
		seal = hex.EncodeToString(sealOf(key, payload))
	}
	zw := gzip.NewWriter(w)
	if _, err := fmt.Fprintf(zw, "%s sha256=%x seal=%s\n", SnapshotFormat, sum, seal); err != nil {
		return err
	}
	if _, err := zw.Write(payload); err != nil {
		return err
	}
	return zw.Close()
}

func sealOf(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)
}

// ReadSnapshot reads a snapshot file. With a key, the file must carry a seal made
// with it. Every refusal is a problem with a translated reason.
func ReadSnapshot(r io.Reader, key []byte) (*Snapshot, error) {
	bad := func(k string, args ...any) error {
		var c problem.Checks
		c.Add("file", k, args...)
		return c.Err()
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, bad("directory.error.snapshot_not_gzip")
	}
	br := bufio.NewReader(io.LimitReader(zr, maxSnapshot+1))
	header, err := br.ReadString('\n')
	if err != nil {
		return nil, bad("directory.error.snapshot_truncated")
	}
	fields := strings.Fields(header)
	if len(fields) != 3 || fields[0] != SnapshotFormat || !strings.HasPrefix(fields[1], "sha256=") || !strings.HasPrefix(fields[2], "seal=") {
		return nil, bad("directory.error.snapshot_format", strings.TrimSpace(header))
	}
	payload, err := io.ReadAll(br)
	if err != nil {
		// gzip reports a cut stream as unexpected EOF, and a damaged one by its checksum.
		return nil, bad("directory.error.snapshot_truncated")
	}
	if len(header)+len(payload) > maxSnapshot {
		return nil, bad("directory.error.snapshot_too_big")
	}
	sum := sha256.Sum256(payload)
	if want, _ := hex.DecodeString(strings.TrimPrefix(fields[1], "sha256=")); !bytes.Equal(want, sum[:]) {
		return nil, bad("directory.error.snapshot_truncated")
	}
	if key != nil {
		seal, err := hex.DecodeString(strings.TrimPrefix(fields[2], "seal="))
		if err != nil || !hmac.Equal(seal, sealOf(key, payload)) {
			return nil, bad("directory.error.snapshot_seal")
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, bad("directory.error.snapshot_json", err.Error())
	}
	if dec.More() {
		return nil, bad("directory.error.snapshot_json", "trailing data")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Compress and Decompress store a snapshot in the database (gzip'd JSON).
func (s *Snapshot) Compress() ([]byte, error) {
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return gzipped(payload)
}

func gzipped(payload []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(payload); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decompress reads a snapshot stored by Compress.
func Decompress(b []byte) (*Snapshot, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		return nil, err
	}
	if s.Format != SnapshotFormat {
		return nil, errors.New("directory: stored snapshot has an unknown format")
	}
	return &s, nil
}
