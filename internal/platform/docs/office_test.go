package docs_test

import (
	"archive/zip"
	"bytes"
	"context"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"care/internal/platform/docs"
	"care/internal/testkit"
)

func sample() docs.Doc {
	d := docs.Doc{Title: "Plan de continuité & reprise <PCRA>", Subtitle: "CHU de Port-Émeraude — version 3"}
	d.H(1, "1. Contexte et périmètre")
	d.P("Le plan couvre les activités critiques.\nDeuxième ligne avec « guillemets » & esperluette.")
	d.List("Urgences : DMIA 4 h", "Laboratoire : DMIA 24 h")
	d.H(2, "Écarts")
	d.Table([]string{"Application", "RTO requis", "RTO réel"}, [][]string{{"DPI", "4 h", "8 h"}, {"SIL", "24 h", "12 h"}})
	return d
}

func unzip(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
		if i == 0 {
			out["#first"] = f.Name
			if f.Method != zip.Store {
				out["#firstCompressed"] = "yes"
			}
		}
	}
	return out
}

func TestODTAndDOCXStructure(t *testing.T) {
	d := sample()
	odt, err := d.ODT()
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, odt)
	if files["#first"] != "mimetype" || files["#firstCompressed"] != "" || files["mimetype"] != "application/vnd.oasis.opendocument.text" {
		t.Errorf("ODT mimetype entry: first %q compressed %q", files["#first"], files["#firstCompressed"])
	}
	if !strings.Contains(files["content.xml"], "&amp; esperluette") || !strings.Contains(files["content.xml"], "<text:line-break/>") {
		t.Errorf("ODT content not escaped or lines lost")
	}
	docx, err := d.DOCX()
	if err != nil {
		t.Fatal(err)
	}
	files = unzip(t, docx)
	if !strings.Contains(files["word/document.xml"], "Plan de continuité &amp; reprise &lt;PCRA&gt;") || !strings.Contains(files["[Content_Types].xml"], "wordprocessingml") {
		t.Error("DOCX content")
	}
	if h := d.HTML(); !strings.Contains(h, "&lt;PCRA&gt;") || strings.Contains(h, "<PCRA>") {
		t.Error("HTML not escaped")
	}
}

// LibreOffice opens both files: converted headless to PDF, each gives a real PDF.
func TestLibreOfficeOpensTheFiles(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		testkit.Missing(t, "LibreOffice", "apt-get install libreoffice-writer-nogui")
	}
	dir := t.TempDir()
	d := sample()
	odt, _ := d.ODT()
	docx, _ := d.DOCX()
	for name, data := range map[string][]byte{"plan.odt": odt, "plan.docx": docx} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "pdf", "--outdir", filepath.Join(dir, "out"), filepath.Join(dir, "plan.odt"), filepath.Join(dir, "plan.docx"))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	for _, name := range []string{"plan.pdf"} {
		b, err := os.ReadFile(filepath.Join(dir, "out", name))
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 2000 {
			t.Errorf("%s: %d bytes, %v", name, len(b), err)
		}
	}
	// Both inputs share the base name; convert the DOCX alone to check it too.
	cmd = exec.CommandContext(ctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "odt", "--outdir", filepath.Join(dir, "out2"), filepath.Join(dir, "plan.docx"))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice docx: %v\n%s", err, out)
	}
	back, err := os.ReadFile(filepath.Join(dir, "out2", "plan.odt"))
	if err != nil {
		t.Fatal(err)
	}
	if content := unzip(t, back)["content.xml"]; !strings.Contains(content, "Écarts") || !strings.Contains(content, "DPI") {
		t.Errorf("LibreOffice lost the DOCX content")
	}
}

// Every generated document ends with the notice that CaRE is neither published nor
// endorsed by the ANS, in the document's language (issue 13, point 19).
func TestDocumentsSayTheyAreNotFromTheANS(t *testing.T) {
	for _, c := range []struct{ lang, want string }{
		{"", "ni édité ni validé par l'Agence du numérique en santé (ANS)"},
		{"fr", "ni édité ni validé par l'Agence du numérique en santé (ANS)"},
		{"en", "neither published nor endorsed by the Agence du numérique en santé (ANS)"},
	} {
		d := sample()
		d.Lang = c.lang
		want := html.EscapeString(c.want)
		if !strings.Contains(d.HTML(), want) {
			t.Errorf("lang %q: the HTML (and so the PDF) lacks the notice", c.lang)
		}
		docx, err := d.DOCX()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(unzip(t, docx)["word/document.xml"], want) {
			t.Errorf("lang %q: the DOCX lacks the notice", c.lang)
		}
		odt, err := d.ODT()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(unzip(t, odt)["content.xml"], want) {
			t.Errorf("lang %q: the ODT lacks the notice", c.lang)
		}
		if n := len(d.Blocks); n != len(sample().Blocks) {
			t.Errorf("writing the notice changed the document's blocks (%d)", n)
		}
	}
}
