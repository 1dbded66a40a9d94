package directory

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"strconv"
	"strings"
	"time"
)

// objectStore holds the objects of a streamed collection in their compact form:
// each object the fields the checkpoints read (evaluated, stream.go) packed in a
// record of bytes (varints, strings inline, repeated strings by number, a group's
// members by the number of their object), about a hundred bytes for an account
// instead of a 450-byte Object and its strings. The checkpoints read the objects
// one at a time (Snapshot.objects), decoded into the same Object; the strings of a
// decoded object are substrings of the records and cost nothing. Objects are found
// by DN and by SID through tables of record numbers (table).
type objectStore struct {
	domain string   // the domain SID: an account's SID is kept as its RID
	chunks []string // records back to back; a chunk never changes once written past
	fill   strings.Builder
	at     []uint64          // record i: chunk<<32 | offset
	dns    table             // lower-case DN → record
	sids   table             // SID → record
	words  []string          // repeated strings: classes, owners, operating systems
	number map[string]uint64 // word → its number
	sd     map[int32]descriptor
	buf    []byte
}

// descriptor is a security descriptor read after the objects (securityDescriptors).
type descriptor struct {
	sd         []byte
	unreadable bool
}

const chunkSize = 256 << 10

func newObjectStore(domain string) *objectStore {
	seed := maphash.MakeSeed()
	return &objectStore{domain: domain, dns: table{seed: seed}, sids: table{seed: seed}, number: map[string]uint64{}, sd: map[int32]descriptor{}}
}

func (st *objectStore) len() int { return len(st.at) }

// Flags of a record.
const (
	recManaged = 1 << iota
	recDomainSID
	recEncTypes
)

// add appends o's compact form.
func (st *objectStore) add(o *Object) {
	b := st.buf[:0]
	b = appendString(b, o.DN)
	flags := uint64(0)
	if o.Managed {
		flags |= recManaged
	}
	r, domain := uint64(0), false
	if rest, ok := strings.CutPrefix(o.SID, st.domain); ok && st.domain != "" && strings.HasPrefix(rest, "-") {
		if n, err := strconv.ParseUint(rest[1:], 10, 32); err == nil && strconv.FormatUint(n, 10) == rest[1:] {
			r, domain = n, true
			flags |= recDomainSID
		}
	}
	if o.EncTypes != nil {
		flags |= recEncTypes
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, st.word(o.Class))
	b = appendString(b, o.Name)
	if domain {
		b = binary.AppendUvarint(b, r)
	} else {
		b = appendString(b, o.SID)
	}
	for _, n := range []int{o.UAC, o.PrimaryGroup, o.AdminCount, o.TrustDirection, o.TrustAttributes} {
		b = binary.AppendVarint(b, int64(n))
	}
	if o.EncTypes != nil {
		b = binary.AppendVarint(b, int64(*o.EncTypes))
	}
	b = appendTime(b, &o.Created)
	b = appendTime(b, &o.Changed)
	b = appendTime(b, o.PwdLastSet)
	b = appendTime(b, o.LastLogon)
	b = binary.AppendUvarint(b, st.word(o.OS))
	b = binary.AppendUvarint(b, st.word(o.OSVersion))
	b = binary.AppendUvarint(b, st.word(o.Owner))
	b = appendString(b, o.DNSHost)
	b = appendString(b, o.FlatName)
	b = appendString(b, string(o.RBCD))
	for _, list := range [][]string{o.SPNs, o.DelegateTo, o.SIDHistory, o.Revealed} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendString(b, s)
		}
	}
	// A member that is an object already stored is its record number (odd), else
	// its DN (even: twice the length, then the bytes).
	b = binary.AppendUvarint(b, uint64(len(o.Members)))
	for _, m := range o.Members {
		if i := st.find(m); i >= 0 && st.dn(i) == m {
			b = binary.AppendUvarint(b, uint64(i)<<1|1)
		} else {
			b = binary.AppendUvarint(b, uint64(len(m))<<1)
			b = append(b, m...)
		}
	}
	st.buf = b
	st.write(b)
	i := len(st.at) - 1
	st.dns.put(strings.ToLower(o.DN), i, st.lowerDN)
	if o.SID != "" {
		st.sids.put(o.SID, i, st.sid)
	}
}

// write appends a record to the chunk being filled, or to a new one.
func (st *objectStore) write(b []byte) {
	if st.fill.Cap()-st.fill.Len() < len(b) {
		st.fill = strings.Builder{}
		st.fill.Grow(max(chunkSize, len(b)))
		st.chunks = append(st.chunks, "")
	}
	last := len(st.chunks) - 1
	st.at = append(st.at, uint64(last)<<32|uint64(st.fill.Len()))
	st.fill.Write(b)
	// The builder never moves what it holds within its capacity: the earlier
	// strings of this chunk stay valid, this one covers the new record too.
	st.chunks[last] = st.fill.String()
}

func (st *objectStore) lowerDN(i int) string { return strings.ToLower(st.dn(i)) }

func (st *objectStore) sid(i int) string {
	_, sid := st.head(i)
	return sid
}

// find returns the record whose DN is dn (in any case), or -1.
func (st *objectStore) find(dn string) int { return st.dns.get(strings.ToLower(dn), st.lowerDN) }

// findSID returns the record whose SID is sid, or -1.
func (st *objectStore) findSID(sid string) int { return st.sids.get(sid, st.sid) }

// table finds records by a key (a lower-case DN, a SID) with 8 bytes a slot, a
// third of a Go map's: open addressing on 32 bits of the key's hash, which also
// place the slot, beside the record's number + 1 (0: an empty slot). Records whose
// keys share those bits are told apart by their key (keyOf).
type table struct {
	seed  maphash.Seed
	slots []uint64
	n     int
}

func (t *table) hash(key string) uint64 { return maphash.String(t.seed, key) >> 32 }

// put points key to record i; a later record with the same key takes its place,
// as in a map.
func (t *table) put(key string, i int, keyOf func(int) string) {
	if 4*(t.n+1) > 3*len(t.slots) {
		old := t.slots
		t.slots = make([]uint64, max(1024, 2*len(old)))
		for _, s := range old {
			if s != 0 {
				t.place(s)
			}
		}
	}
	h := t.hash(key)
	mask := uint64(len(t.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := t.slots[p]
		if s == 0 {
			t.slots[p] = h<<32 | uint64(i+1)
			t.n++
			return
		}
		if s>>32 == h && keyOf(int(s&(1<<32-1))-1) == key {
			t.slots[p] = h<<32 | uint64(i+1)
			return
		}
	}
}

func (t *table) place(s uint64) {
	mask := uint64(len(t.slots) - 1)
	p := (s >> 32) & mask
	for t.slots[p] != 0 {
		p = (p + 1) & mask
	}
	t.slots[p] = s
}

// get returns the record of key, or -1.
func (t *table) get(key string, keyOf func(int) string) int {
	if len(t.slots) == 0 {
		return -1
	}
	h := t.hash(key)
	mask := uint64(len(t.slots) - 1)
	for p := h & mask; t.slots[p] != 0; p = (p + 1) & mask {
		if s := t.slots[p]; s>>32 == h {
			if i := int(s&(1<<32-1)) - 1; keyOf(i) == key {
				return i
			}
		}
	}
	return -1
}

func (st *objectStore) word(s string) uint64 {
	if n, ok := st.number[s]; ok {
		return n
	}
	n := uint64(len(st.words))
	st.words = append(st.words, s)
	st.number[s] = n
	return n
}

func (st *objectStore) record(i int) record {
	at := st.at[i]
	c := st.chunks[at>>32]
	return record{s: c[at&(1<<32-1):]}
}

// dn is the DN of record i.
func (st *objectStore) dn(i int) string {
	r := st.record(i)
	return r.string()
}

// head reads the DN and the SID of record i.
func (st *objectStore) head(i int) (dn, sid string) {
	r := st.record(i)
	dn = r.string()
	flags := r.uvarint()
	r.uvarint() // class
	r.string()  // name
	if flags&recDomainSID != 0 {
		return dn, st.domain + "-" + strconv.FormatUint(r.uvarint(), 10)
	}
	return dn, r.string()
}

// decode sets o to record i, with its descriptor. The lists are new, the strings
// are the record's; the times pwdLastSet and lastLogonTimestamp point to times[0]
// and times[1] when given.
func (st *objectStore) decode(i int, o *Object, times *[2]time.Time) {
	r := st.record(i)
	*o = Object{DN: r.string()}
	flags := r.uvarint()
	o.Managed = flags&recManaged != 0
	o.Class = st.words[r.uvarint()]
	o.Name = r.string()
	if flags&recDomainSID != 0 {
		o.SID = st.domain + "-" + strconv.FormatUint(r.uvarint(), 10)
	} else {
		o.SID = r.string()
	}
	for _, n := range []*int{&o.UAC, &o.PrimaryGroup, &o.AdminCount, &o.TrustDirection, &o.TrustAttributes} {
		*n = int(r.varint())
	}
	if flags&recEncTypes != 0 {
		n := int(r.varint())
		o.EncTypes = &n
	}
	if times == nil {
		times = new([2]time.Time)
	}
	var created, changed time.Time
	r.time(&created)
	r.time(&changed)
	o.Created, o.Changed = created, changed
	if r.time(&times[0]) {
		o.PwdLastSet = &times[0]
	}
	if r.time(&times[1]) {
		o.LastLogon = &times[1]
	}
	o.OS = st.words[r.uvarint()]
	o.OSVersion = st.words[r.uvarint()]
	o.Owner = st.words[r.uvarint()]
	o.DNSHost = r.string()
	o.FlatName = r.string()
	if rbcd := r.string(); rbcd != "" {
		o.RBCD = []byte(rbcd)
	}
	for _, list := range []*[]string{&o.SPNs, &o.DelegateTo, &o.SIDHistory, &o.Revealed} {
		if n := r.uvarint(); n > 0 {
			*list = make([]string, n)
			for k := range *list {
				(*list)[k] = r.string()
			}
		}
	}
	if n := r.uvarint(); n > 0 {
		o.Members = make([]string, n)
		for k := range o.Members {
			v := r.uvarint()
			if v&1 == 1 {
				o.Members[k] = st.dn(int(v >> 1))
			} else {
				o.Members[k] = r.take(int(v >> 1))
			}
		}
	}
	if d, ok := st.sd[int32(i)]; ok {
		o.SD, o.SDUnreadable = d.sd, d.unreadable
	}
}

// all yields every object in order, decoded into the same Object and times: take
// a copy (Snapshot.object) to keep one past the next.
func (st *objectStore) all() iter.Seq2[int, *Object] {
	return func(yield func(int, *Object) bool) {
		var o Object
		var times [2]time.Time
		for i := range st.at {
			st.decode(i, &o, &times)
			if !yield(i, &o) {
				return
			}
		}
	}
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// A time is 0 when absent, 1 when the zero time, else its nanoseconds + 2 and its
// Unix seconds.
func appendTime(b []byte, t *time.Time) []byte {
	switch {
	case t == nil:
		return append(b, 0)
	case t.IsZero():
		return append(b, 1)
	}
	b = binary.AppendUvarint(b, uint64(t.Nanosecond())+2)
	return binary.AppendVarint(b, t.Unix())
}

// record reads a record from its start.
type record struct{ s string }

func (r *record) uvarint() uint64 {
	var x uint64
	for shift := 0; ; shift += 7 {
		c := r.s[0]
		r.s = r.s[1:]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x
		}
	}
}

func (r *record) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *record) take(n int) string {
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *record) string() string { return r.take(int(r.uvarint())) }

// time reads a time into t and says whether it was present.
func (r *record) time(t *time.Time) bool {
	tag := r.uvarint()
	switch tag {
	case 0:
		*t = time.Time{}
		return false
	case 1:
		*t = time.Time{}
		return true
	}
	*t = time.Unix(r.varint(), int64(tag-2)).UTC()
	return true
}

// Len is the number of objects of s.
func (s *Snapshot) Len() int {
	if s.store != nil {
		return s.store.len()
	}
	return len(s.Objects)
}

// objects yields each object of s with its number. From a streamed collection
// the objects are decoded one after the other into the same Object: copy it to
// keep it.
func (s *Snapshot) objects() iter.Seq2[int, *Object] {
	if s.store != nil {
		return s.store.all()
	}
	return func(yield func(int, *Object) bool) {
		for i := range s.Objects {
			if !yield(i, &s.Objects[i]) {
				return
			}
		}
	}
}

// object returns object i of s (its own copy from a streamed collection).
func (s *Snapshot) object(i int) *Object {
	if s.store == nil {
		return &s.Objects[i]
	}
	o := &Object{}
	s.store.decode(i, o, nil)
	return o
}

// setDescriptor gives object i the security descriptor read for it (none:
// unreadable).
func (s *Snapshot) setDescriptor(i int, sd []byte) {
	if s.store != nil {
		s.store.sd[int32(i)] = descriptor{sd: sd, unreadable: len(sd) == 0}
		return
	}
	s.Objects[i].SD, s.Objects[i].SDUnreadable = sd, len(sd) == 0
}
