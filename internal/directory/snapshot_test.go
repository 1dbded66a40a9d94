package directory

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"care/internal/platform/problem"
)

func TestSnapshotFile(t *testing.T) {
	s := healthy(t)
	key := []byte("clé-d-import-de-l-établissement")
	var file bytes.Buffer
	if err := WriteSnapshot(&file, s, key); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(bytes.NewReader(file.Bytes()), key)
	if err != nil {
		t.Fatal(err)
	}
	if back.Domain.SID != s.Domain.SID || len(back.Objects) != len(s.Objects) || Evaluate(back).Level != 5 {
		t.Fatalf("round trip lost data: %+v", back.Domain)
	}

	refused := func(name string, data []byte, key []byte, want string) {
		t.Helper()
		_, err := ReadSnapshot(bytes.NewReader(data), key)
		if e, ok := problem.As(err); !ok || len(e.Fields) == 0 || e.Fields[0].Key != want {
			t.Fatalf("%s: %v, want %s", name, err, want)
		}
	}
	refused("truncated", file.Bytes()[:file.Len()/2], key, "directory.error.snapshot_truncated")
	refused("not gzip", []byte("hello"), key, "directory.error.snapshot_not_gzip")
	refused("other establishment's key", file.Bytes(), []byte("autre clé"), "directory.error.snapshot_seal")

	// A forged file: the JSON edited (the admin made compliant) and the digest
	// recomputed — only the seal gives it away.
	forged := func(edit func(string) string, key []byte) []byte {
		var plain bytes.Buffer
		zr, _ := gzip.NewReader(bytes.NewReader(file.Bytes()))
		plain.ReadFrom(zr)
		_, payload, _ := strings.Cut(plain.String(), "\n")
		var s2 Snapshot
		if err := json.Unmarshal([]byte(edit(payload)), &s2); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteSnapshot(&out, &s2, key); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	makeAdminsSafe := func(p string) string { return strings.Replace(p, `"uac":512`, `"uac":514`, 1) }
	refused("resealed without the key", forged(makeAdminsSafe, nil), key, "directory.error.snapshot_seal")
	refused("resealed with another key", forged(makeAdminsSafe, []byte("devinée")), key, "directory.error.snapshot_seal")

	// A sealed file whose content is not a domain snapshot.
	bad := *s
	bad.Objects = append([]Object{}, s.Objects...)
	bad.Objects[0].DN = "CN=x,DC=other,DC=org"
	var badFile bytes.Buffer
	WriteSnapshot(&badFile, &bad, key)
	refused("object outside the domain", badFile.Bytes(), key, "directory.error.snapshot_object")
	bad.Format = "other/9"
	badFile.Reset()
	WriteSnapshot(&badFile, &bad, key)
	refused("unknown format", badFile.Bytes(), key, "directory.error.snapshot_format")

	// A decompression bomb: a valid header, then more than the allowed size.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(SnapshotFormat + " sha256=00 seal=-\n"))
	zeros := make([]byte, 1<<20)
	for range maxSnapshot>>20 + 1 {
		zw.Write(zeros)
	}
	zw.Close()
	refused("bomb", bomb.Bytes(), nil, "directory.error.snapshot_too_big")

	// The database copy.
	z, err := s.Compress()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := Decompress(z); err != nil || len(back.Objects) != len(s.Objects) {
		t.Fatalf("decompress: %v", err)
	}
}
