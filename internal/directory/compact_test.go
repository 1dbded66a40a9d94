package directory

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// filled is an object with every field set, each to a value of its own.
func filled(t *testing.T, dn, sid string) Object {
	t.Helper()
	var o Object
	v := reflect.ValueOf(&o).Elem()
	at := time.Date(2024, 3, 5, 7, 9, 11, 123456789, time.UTC)
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = "v-" + name
		case *int:
			*p = -1000 - i // userAccountControl and friends may read negative
		case *bool:
			*p = true
		case *time.Time:
			*p = at.AddDate(0, 0, i)
		case **time.Time:
			tm := at.AddDate(0, i, 0)
			*p = &tm
		case **int:
			n := 24 + i
			*p = &n
		case *[]string:
			*p = []string{"a-" + name, "b-" + name}
		case *[]byte:
			*p = []byte{1, 0, byte(i), 255}
		default:
			t.Fatalf("field %s of a type the test does not fill: %s", name, f.Type())
		}
	}
	o.DN, o.SID = dn, sid
	return o
}

// The compact record gives back every field the checkpoints read (evaluated), and
// none of the others: a field added to evaluated without its place in the record
// fails here.
func TestCompactRecordKeepsEvaluatedFields(t *testing.T) {
	st := newObjectStore(dom)
	first := filled(t, "CN=First,DC=care,DC=test", dom+"-1105")
	first.EncTypes, first.PwdLastSet, first.Created = nil, nil, time.Time{}
	second := filled(t, "CN=Second,DC=care,DC=test", "S-1-5-32-544")
	second.Members = []string{first.DN, "cn=first,dc=care,dc=test", "CN=Unknown,DC=care,DC=test"}
	st.add(&first)
	st.add(&second)
	for i, want := range []Object{first, second} {
		var got Object
		st.decode(i, &got, nil)
		wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
		for k := range wv.NumField() {
			name := wv.Type().Field(k).Name
			w, g := wv.Field(k).Interface(), gv.Field(k).Interface()
			_, kept := evaluated[name]
			switch {
			case name == "SD" || name == "SDUnreadable":
				if !gv.Field(k).IsZero() {
					t.Errorf("%s is read after the objects, not in the record: %v", name, g)
				}
			case !kept:
				if !gv.Field(k).IsZero() {
					t.Errorf("the record kept %s, which no checkpoint reads", name)
				}
			case !reflect.DeepEqual(w, g):
				t.Errorf("object %d: %s = %#v, want %#v", i, name, g, w)
			}
		}
	}
	// Members: the first is the stored object's DN (a reference), the others as written.
	var got Object
	st.decode(1, &got, nil)
	if !slices.Equal(got.Members, second.Members) {
		t.Fatalf("members %q", got.Members)
	}
	(&Snapshot{store: st}).setDescriptor(1, nil)
	if st.decode(1, &got, nil); !got.SDUnreadable || got.SD != nil {
		t.Fatal("an unreadable descriptor does not read back")
	}
}

// Lookups by DN (any case) and SID find the record; a later object with the same
// SID takes the place of the earlier, as in a map; two keys sharing their hash
// bits both stay found.
func TestCompactStoreFinds(t *testing.T) {
	st := newObjectStore(dom)
	a := Object{DN: "CN=A,DC=care,DC=test", Class: ClassUser, SID: dom + "-1101"}
	b := Object{DN: "CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=care,DC=test", Class: ClassForeign, SID: sidAuthenticated}
	c := Object{DN: "CN=Authenticated Users,CN=WellKnown Security Principals,CN=Configuration,DC=care,DC=test", Class: ClassForeign, SID: sidAuthenticated}
	d := Object{DN: "CN=D,DC=care,DC=test", Class: ClassGroup, SID: dom + "-1102"}
	for _, o := range []*Object{&a, &b, &c} {
		st.add(o)
	}
	for i := range 3000 { // the tables grow
		st.add(&Object{DN: fmt.Sprintf("CN=U%d,DC=care,DC=test", i), Class: ClassUser, SID: fmt.Sprintf("%s-%d", dom, 5000+i)})
	}
	// a's DN and SID as if their hashes were d's: d's slots come after.
	st.dns.place(st.dns.hash(strings.ToLower(d.DN))<<32 | 1)
	st.sids.place(st.sids.hash(d.SID)<<32 | 1)
	st.add(&d)
	for dn, want := range map[string]int{"cn=a,dc=care,dc=test": 0, "CN=D,DC=CARE,DC=TEST": 3003, "cn=u2999,dc=care,dc=test": 3002, "CN=Z,DC=care,DC=test": -1, b.DN: 1} {
		if got := st.find(dn); got != want {
			t.Errorf("find(%q) = %d, want %d", dn, got, want)
		}
	}
	for sid, want := range map[string]int{a.SID: 0, sidAuthenticated: 2, d.SID: 3003, dom + "-5000": 3, dom + "-9999": -1} {
		if got := st.findSID(sid); got != want {
			t.Errorf("findSID(%q) = %d, want %d", sid, got, want)
		}
	}
}

// A synthetic domain (the benchmark's shape) evaluates the same streamed as held
// whole, and its compact form stays near a hundred bytes per object.
func TestSyntheticStreamMatchesWhole(t *testing.T) {
	whole := &Snapshot{Format: SnapshotFormat, CollectedAt: time.Now().UTC().Truncate(time.Microsecond), Server: "127.0.0.1", BaseDN: "DC=care,DC=test",
		Domain: Domain{DNSName: "care.test", SID: dom, FunctionalLevel: 7, ForestLevel: 7, PasswordPolicy: &PasswordPolicy{MinPwdLength: 12}}}
	syntheticEntries(t, 2800, func(e *ldap.Entry) { whole.Objects = append(whole.Objects, toObject(e)) })
	coll := spooled(t, whole)
	want, got := Evaluate(whole), Evaluate(coll.Snapshot)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("findings differ:\nwhole    %+v\nstreamed %+v", want, got)
	}
	if ids := failedIDs(want); len(ids) < 3 {
		t.Fatalf("the synthetic domain should fail several checkpoints: %v", ids)
	}
	st := coll.Snapshot.store
	size := 0
	for _, c := range st.chunks {
		size += len(c)
	}
	if per := size / st.len(); per > 128 {
		t.Fatalf("compact records take %d bytes per object", per)
	}
}
