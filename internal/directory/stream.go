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
	"os"
)

// A streamed collection writes each object to a spool file as its LDAP page
// arrives and keeps in memory only its compact form: the fields the checkpoints
// read (evaluated), packed in a record (objectStore, compact.go). The snapshot's JSON is assembled
// from the spool once the collection is over, straight into a gzip'd temporary file:
// neither the LDAP pages nor the snapshot file are ever held whole. The file is the
// one Collect and WriteSnapshot make, byte for byte.

// evaluated lists the Object fields the checkpoints read (index.go, checks*.go,
// sd.go), each with the LDAP attributes it is made of (objectAttrs; "" is the
// entry's DN). The compact form of an object keeps these fields only
// (TestCompactRecordKeepsEvaluatedFields); TestEvaluatedFieldsAreTheOnesCheckpointsRead fails when a checkpoint reads a field
// that is not listed here.
var evaluated = map[string][]string{
	"DN": {""}, "Class": {"objectClass"}, "Managed": {"objectClass"}, "Name": {"sAMAccountName", "trustPartner"},
	"SID": {"objectSid"}, "UAC": {"userAccountControl"}, "PrimaryGroup": {"primaryGroupID"},
	"Created": {"whenCreated"}, "Changed": {"whenChanged"}, "PwdLastSet": {"pwdLastSet"}, "LastLogon": {"lastLogonTimestamp"},
	"AdminCount": {"adminCount"}, "SPNs": {"servicePrincipalName"}, "DelegateTo": {"msDS-AllowedToDelegateTo"},
	"RBCD": {"msDS-AllowedToActOnBehalfOfOtherIdentity"}, "EncTypes": {"msDS-SupportedEncryptionTypes"},
	"OS": {"operatingSystem"}, "OSVersion": {"operatingSystemVersion"}, "DNSHost": {"dNSHostName"},
	"SIDHistory": {"sIDHistory"}, "Members": {"member"}, "SD": {"nTSecurityDescriptor"}, "SDUnreadable": {"nTSecurityDescriptor"},
	"Owner": {"nTSecurityDescriptor"}, "Revealed": {"msDS-RevealedUsers"},
	"TrustDirection": {"trustDirection"}, "TrustAttributes": {"trustAttributes"}, "FlatName": {"flatName"},
}

// Collection is a streamed collection: Snapshot is its compact form, which
// evaluates to the same findings as the whole snapshot; the whole snapshot is in
// a temporary file until Close.
type Collection struct {
	Snapshot *Snapshot
	payload  *os.File // the snapshot's JSON, gzip'd (BestSpeed), as Compress makes it
	sum      [sha256.Size]byte
}

// Close removes the temporary file.
func (c *Collection) Close() error {
	if c == nil || c.payload == nil {
		return nil
	}
	c.payload.Close()
	return os.Remove(c.payload.Name())
}

// stored is the snapshot as an audit keeps it: gzip'd JSON and the hex SHA-256 of
// the JSON. A collection made in memory (an import) is compressed here.
func (c *Collection) stored() ([]byte, string, error) {
	if c.payload == nil {
		payload, err := json.Marshal(c.Snapshot)
		if err != nil {
			return nil, "", err
		}
		sum := sha256.Sum256(payload)
		z, err := gzipped(payload)
		return z, hex.EncodeToString(sum[:]), err
	}
	z, err := c.reread()
	if err != nil {
		return nil, "", err
	}
	return z, hex.EncodeToString(c.sum[:]), nil
}

func (c *Collection) reread() ([]byte, error) {
	if _, err := c.payload.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(c.payload)
}

// WriteSnapshot writes the snapshot file (WriteSnapshot's format), sealed with key
// when key is not empty. The header and the JSON are two gzip members of one
// stream: "a gzip file consists of a series of members" (RFC 1952, 2.2), which every
// gzip reader reads as one (Go's gzip.Reader in multistream mode, its default, as
// ReadSnapshot uses it in this version and the earlier ones; zcat).
func (c *Collection) WriteSnapshot(w io.Writer, key []byte) error {
	if c.payload == nil {
		return WriteSnapshot(w, c.Snapshot, key)
	}
	seal := "-"
	if len(key) > 0 {
		m := hmac.New(sha256.New, key)
		if err := c.inflate(m); err != nil {
			return err
		}
		seal = hex.EncodeToString(m.Sum(nil))
	}
	zw := gzip.NewWriter(w)
	if _, err := fmt.Fprintf(zw, "%s sha256=%x seal=%s\n", SnapshotFormat, c.sum, seal); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if _, err := c.payload.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, c.payload)
	return err
}

// inflate writes the snapshot's JSON to w.
func (c *Collection) inflate(w io.Writer) error {
	if _, err := c.payload.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(bufio.NewReader(c.payload))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, zr)
	return err
}

// spool holds the objects of a collection, one JSON line each, in arrival order.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "care-ad-objects-*")
	if err != nil {
		return nil, fmt.Errorf("directory: spool: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	return &spool{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

func (sp *spool) close() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// keep writes o to the spool and its compact form to snap's store.
func (sp *spool) keep(snap *Snapshot, o Object) error {
	if err := sp.enc.Encode(o); err != nil {
		return fmt.Errorf("directory: spool: %w", err)
	}
	if snap.store == nil {
		snap.store = newObjectStore(snap.Domain.SID)
	}
	snap.store.add(&o)
	return nil
}

// finish writes the whole snapshot's JSON from snap's head, the spool and the
// security descriptors read since (on the compact objects), into a gzip'd
// temporary file; the objects are copied from the spool as they were written,
// except the few whose descriptor was read.
func (sp *spool) finish(snap *Snapshot) (*Collection, error) {
	if err := sp.w.Flush(); err != nil {
		return nil, fmt.Errorf("directory: spool: %w", err)
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("directory: spool: %w", err)
	}
	f, err := os.CreateTemp("", "care-ad-snapshot-*")
	if err != nil {
		return nil, fmt.Errorf("directory: snapshot: %w", err)
	}
	c := &Collection{Snapshot: snap, payload: f}
	if err := sp.assemble(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("directory: snapshot: %w", err)
	}
	return c, nil
}

func (sp *spool) assemble(c *Collection) error {
	snap := c.Snapshot
	h := sha256.New()
	zw, _ := gzip.NewWriterLevel(c.payload, gzip.BestSpeed)
	w := bufio.NewWriterSize(io.MultiWriter(h, zw), 64<<10)
	head := *snap
	head.Objects, head.Config = nil, nil
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// json.Marshal(snap) writes the objects after the domain, then the config.
	b, ok := bytes.CutSuffix(b, []byte("null}"))
	if !ok {
		return errors.New("unexpected snapshot head")
	}
	w.Write(b)
	if snap.store == nil {
		w.WriteString("null")
	} else {
		w.WriteByte('[')
		r := bufio.NewReaderSize(sp.f, 64<<10)
		for i := range snap.store.len() {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return fmt.Errorf("spool cut at object %d: %w", i, err)
			}
			line = line[:len(line)-1]
			if d, ok := snap.store.sd[int32(i)]; ok {
				var whole Object
				if err := json.Unmarshal(line, &whole); err != nil {
					return err
				}
				whole.SD, whole.SDUnreadable = d.sd, d.unreadable
				if line, err = json.Marshal(whole); err != nil {
					return err
				}
			}
			if i > 0 {
				w.WriteByte(',')
			}
			w.Write(line)
		}
		w.WriteByte(']')
	}
	if len(snap.Config) > 0 {
		b, err := json.Marshal(snap.Config)
		if err != nil {
			return err
		}
		w.WriteString(`,"config":`)
		w.Write(b)
	}
	w.WriteByte('}')
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	copy(c.sum[:], h.Sum(nil))
	return nil
}
