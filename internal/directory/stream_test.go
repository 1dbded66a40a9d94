package directory

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// objectFieldsRead lists the Object fields that the Go files read, by name: every
// selector x.F where F is a field of Object. Conservative: a field of another type
// with the same name counts too.
func objectFieldsRead(t *testing.T, files map[string]string) []string {
	t.Helper()
	fields := map[string]bool{}
	ot := reflect.TypeFor[Object]()
	for i := range ot.NumField() {
		fields[ot.Field(i).Name] = true
	}
	read := map[string]bool{}
	fset := token.NewFileSet()
	for name, src := range files {
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && fields[sel.Sel.Name] {
				read[sel.Sel.Name] = true
			}
			return true
		})
	}
	out := make([]string, 0, len(read))
	for f := range read {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// checkpointSources are the files of the checkpoints: the index they read the
// snapshot through, the catalogue files, the security descriptors.
func checkpointSources(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("checks*.go")
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, "index.go", "sd.go")
	files := map[string]string{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	return files
}

// The compact form keeps exactly the fields the checkpoints read: a checkpoint that
// reads another field fails here (and would see it empty in a streamed collection).
// Each field comes from attributes the collector asks for.
func TestEvaluatedFieldsAreTheOnesCheckpointsRead(t *testing.T) {
	missing := func(files map[string]string) []string {
		var out []string
		for _, f := range objectFieldsRead(t, files) {
			if _, ok := evaluated[f]; !ok {
				out = append(out, f)
			}
		}
		return out
	}
	if m := missing(checkpointSources(t)); len(m) > 0 {
		t.Fatalf("checkpoints read %v, not in evaluated (stream.go)", m)
	}
	// The scan sees a new read: TrustType is in snapshots but no checkpoint reads it.
	if m := missing(map[string]string{"new.go": "package directory\nfunc f(o *Object) bool { return o.TrustType == 2 }\n"}); !slices.Equal(m, []string{"TrustType"}) {
		t.Fatalf("a checkpoint reading TrustType is not caught: %v", m)
	}
	for f, attrs := range evaluated {
		if _, ok := reflect.TypeFor[Object]().FieldByName(f); !ok {
			t.Errorf("evaluated names %s, not a field of Object", f)
		}
		for _, a := range attrs {
			if a != "" && !slices.Contains(objectAttrs, a) {
				t.Errorf("%s comes from %s, which the collector does not ask for", f, a)
			}
		}
	}
	if len(unevaluated) == 0 || reflect.TypeFor[Object]().Field(unevaluated[0]).Name != "TrustType" {
		t.Fatalf("the compact form should leave out TrustType: %v", unevaluated)
	}
}

// sick is the healthy domain with failures: dormant and old-password accounts, a
// trust without SID filtering, a member of Domain Admins outside Protected Users.
func sick(t *testing.T) *Snapshot {
	s := healthy(t)
	for i := range s.Objects {
		o := &s.Objects[i]
		switch {
		case o.Name == "alice" || o.Name == "bob":
			o.LastLogon = ago(900)
			o.PwdLastSet = ago(2000)
			o.UAC |= uacDontExpirePassword
		case o.Class == ClassTrust:
			o.TrustAttributes = 0
		case o.Name == "Domain Admins":
			o.Members = append(o.Members, s.Objects[3].DN)
		}
	}
	return s
}

// spooled runs a snapshot through the streamed collection's path: objects spooled
// one by one as they would arrive, the compact forms kept, the descriptors set on
// them afterwards, the file assembled.
func spooled(t *testing.T, s *Snapshot) *Collection {
	t.Helper()
	sp, err := newSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	head := *s
	head.Objects = nil
	for i, o := range s.Objects {
		sd, unreadable := o.SD, o.SDUnreadable
		o.SD, o.SDUnreadable = nil, false // read after the objects (securityDescriptors)
		if err := sp.keep(&head, o); err != nil {
			t.Fatal(err)
		}
		if sd != nil || unreadable {
			head.store.sd[int32(i)] = descriptor{sd, unreadable}
		}
	}
	coll, err := sp.finish(&head)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}

// The streamed path gives the findings and the file of the in-memory one: the
// evaluation of the compact form equals the whole snapshot's, the payload is
// json.Marshal's byte for byte, and the file reads back (sealed) to the snapshot.
func TestStreamedCollectionMatchesInMemory(t *testing.T) {
	key := []byte("clé-d-import")
	for name, s := range map[string]*Snapshot{"healthy": healthy(t), "sick": sick(t)} {
		t.Run(name, func(t *testing.T) {
			coll := spooled(t, s)
			whole, compact := Evaluate(s), Evaluate(coll.Snapshot)
			if !reflect.DeepEqual(whole, compact) {
				t.Fatalf("findings differ:\nwhole   %+v\ncompact %+v", whole, compact)
			}
			if name == "sick" && len(failedIDs(whole)) < 3 {
				t.Fatalf("the sick domain should fail several checkpoints: %v", failedIDs(whole))
			}
			if coll.Snapshot.Objects != nil || coll.Snapshot.Len() != len(s.Objects) {
				t.Fatalf("the compact form holds %d objects in Objects, %d in all", len(coll.Snapshot.Objects), coll.Snapshot.Len())
			}
			for _, o := range coll.Snapshot.objects() {
				if o.TrustType != 0 {
					t.Fatalf("compact form kept TrustType of %s", o.DN)
				}
			}

			want, _ := json.Marshal(s)
			z, sum, err := coll.stored()
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(zr)
			if !bytes.Equal(got, want) {
				t.Fatalf("payload differs from json.Marshal:\n%s\n%s", got, want)
			}
			if back, err := Decompress(z); err != nil || !reflect.DeepEqual(back.Objects[len(back.Objects)-1], s.Objects[len(s.Objects)-1]) {
				t.Fatalf("stored form does not decompress: %v", err)
			}

			var file, old bytes.Buffer
			if err := coll.WriteSnapshot(&file, key); err != nil {
				t.Fatal(err)
			}
			WriteSnapshot(&old, s, key)
			back, err := ReadSnapshot(bytes.NewReader(file.Bytes()), key)
			if err != nil {
				t.Fatal(err)
			}
			oldBack, _ := ReadSnapshot(bytes.NewReader(old.Bytes()), key)
			if !reflect.DeepEqual(back, oldBack) {
				t.Fatal("the streamed file reads back to another snapshot than WriteSnapshot's")
			}
			if _, err := ReadSnapshot(bytes.NewReader(file.Bytes()), []byte("autre clé")); err == nil {
				t.Fatal("the streamed file's seal accepted another key")
			}
			if strings.Contains(sum, " ") || len(sum) != 64 {
				t.Fatalf("sum %q", sum)
			}
		})
	}
}

// unevaluated are the indexes of the Object fields the compact form leaves out.
var unevaluated = func() []int {
	var out []int
	t := reflect.TypeFor[Object]()
	for i := range t.NumField() {
		if _, ok := evaluated[t.Field(i).Name]; !ok {
			out = append(out, i)
		}
	}
	return out
}()

func failedIDs(ev Evaluation) []string {
	var ids []string
	for _, r := range ev.Checks {
		if r.Status == Fail {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// A snapshot file written by the version before streamed collections
// (testdata/snapshot-v1.care-ad, one gzip member, sealed with "clé-v1") still
// imports, and evaluates as it did.
func TestSnapshotOfEarlierVersionStillReads(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "snapshot-v1.care-ad"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadSnapshot(f, []byte("clé-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Objects) != len(sick(t).Objects) || !slices.Equal(failedIDs(Evaluate(s)), failedIDs(Evaluate(sick(t)))) {
		t.Fatalf("earlier file evaluates otherwise: %d objects, %v", len(s.Objects), failedIDs(Evaluate(s)))
	}
}
