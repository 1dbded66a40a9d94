package directory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A security descriptor in self-relative form (MS-DTYP 2.4.6), reduced to what the
// checkpoints read: the owner and the DACL's allow entries.
type SecurityDescriptor struct {
	Owner string
	Group string
	DACL  []ACE
}

// ACE is one access-control entry. ObjectType is the GUID of an extended right,
// property or property set for object ACEs ("" when the entry covers everything).
type ACE struct {
	Type       byte
	Flags      byte
	Mask       uint32
	ObjectType string
	SID        string
}

// ACE types (MS-DTYP 2.4.4.1).
const (
	aceAccessAllowed       = 0x00
	aceAccessDenied        = 0x01
	aceAccessAllowedObject = 0x05
	aceAccessDeniedObject  = 0x06
)

// Access rights of directory objects (MS-ADTS 5.1.3.2).
const (
	rightControlAccess = 0x00000100 // extended right (DCSync is one)
	rightWriteProperty = 0x00000020
	rightWriteDACL     = 0x00040000
	rightWriteOwner    = 0x00080000
	rightGenericAll    = 0x10000000
	rightGenericWrite  = 0x40000000
	rightReadControl   = 0x00020000
	// what the server expands GENERIC_ALL and GENERIC_WRITE into
	rightAllDS = 0x000F01FF
)

const aceObjectTypePresent = 0x1

var errShortSD = errors.New("security descriptor truncated")

// ParseSecurityDescriptor decodes a self-relative security descriptor.
func ParseSecurityDescriptor(b []byte) (SecurityDescriptor, error) {
	var sd SecurityDescriptor
	if len(b) < 20 || b[0] != 1 {
		return sd, errShortSD
	}
	le := binary.LittleEndian
	owner, group, dacl := le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[16:])
	var err error
	if owner != 0 {
		if sd.Owner, _, err = parseSID(b, int(owner)); err != nil {
			return sd, err
		}
	}
	if group != 0 {
		if sd.Group, _, err = parseSID(b, int(group)); err != nil {
			return sd, err
		}
	}
	if dacl != 0 {
		if sd.DACL, err = parseACL(b, int(dacl)); err != nil {
			return sd, err
		}
	}
	return sd, nil
}

func parseACL(b []byte, off int) ([]ACE, error) {
	if off+8 > len(b) {
		return nil, errShortSD
	}
	le := binary.LittleEndian
	count := int(le.Uint16(b[off+4:]))
	p := off + 8
	// The count is the file's word: each ACE takes 8 bytes at least, so no more
	// room is made than the descriptor can hold (a 28-byte one may claim 65,535).
	aces := make([]ACE, 0, min(count, (len(b)-p)/8))
	for range count {
		if p+4 > len(b) {
			return nil, errShortSD
		}
		size := int(le.Uint16(b[p+2:]))
		if size < 8 || p+size > len(b) {
			return nil, errShortSD
		}
		body := b[p : p+size]
		a := ACE{Type: body[0], Flags: body[1], Mask: le.Uint32(body[4:])}
		sidAt := 8
		if a.Type == aceAccessAllowedObject || a.Type == aceAccessDeniedObject {
			if len(body) < 12 {
				return nil, errShortSD
			}
			flags := le.Uint32(body[8:])
			sidAt = 12
			if flags&aceObjectTypePresent != 0 {
				if len(body) < sidAt+16 {
					return nil, errShortSD
				}
				a.ObjectType = formatGUID(body[sidAt : sidAt+16])
				sidAt += 16
			}
			if flags&0x2 != 0 { // inherited object type: who inherits, not what is granted
				sidAt += 16
			}
		}
		switch a.Type {
		case aceAccessAllowed, aceAccessDenied, aceAccessAllowedObject, aceAccessDeniedObject:
			sid, _, err := parseSID(body, sidAt)
			if err != nil {
				return nil, err
			}
			a.SID = sid
			aces = append(aces, a)
		}
		p += size
	}
	return aces, nil
}

// parseSID reads a binary SID at off and returns its S-1-… form and length.
func parseSID(b []byte, off int) (string, int, error) {
	if off < 0 || off+8 > len(b) {
		return "", 0, errShortSD
	}
	n := int(b[off+1])
	end := off + 8 + 4*n
	if b[off] != 1 || n > 15 || end > len(b) {
		return "", 0, errShortSD
	}
	var auth uint64
	for _, c := range b[off+2 : off+8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-1-")
	s.WriteString(strconv.FormatUint(auth, 10))
	for i := range n {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[off+8+4*i:])), 10))
	}
	return s.String(), end - off, nil
}

// SIDString converts an objectSid value to its S-1-… form.
func SIDString(b []byte) (string, error) {
	s, n, err := parseSID(b, 0)
	if err == nil && n != len(b) {
		err = errShortSD
	}
	return s, err
}

// formatGUID prints a GUID in its registry form (the first three fields little-endian).
func formatGUID(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(b[0:]), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// validSID tells whether s has the S-1-… form of a SID.
func validSID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 18 || parts[0] != "S" || parts[1] != "1" {
		return false
	}
	for _, p := range parts[2:] {
		if _, err := strconv.ParseUint(p, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// rid is the last sub-authority of a SID (0 when absent).
func rid(sid string) int {
	i := strings.LastIndexByte(sid, '-')
	n, _ := strconv.Atoi(sid[i+1:])
	return n
}

// sidDomain is the SID without its RID.
func sidDomain(sid string) string {
	i := strings.LastIndexByte(sid, '-')
	if i < 0 {
		return ""
	}
	return sid[:i]
}
