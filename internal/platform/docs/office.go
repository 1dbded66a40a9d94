package docs

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"care/internal/platform/i18n"
)

// Doc is a small document model — headings, paragraphs, bullet lists, tables — that
// plans and reports are built in, then written as DOCX, ODT (the public sector's
// standard office format) or HTML for PDF printing.
type Doc struct {
	Title    string
	Subtitle string
	Lang     string // "fr" by default
	Blocks   []Block
}

// Kind of block.
type Kind int

const (
	Heading Kind = iota
	Paragraph
	Bullets
	Table
)

// Block is one part of a document.
type Block struct {
	Kind   Kind
	Level  int // heading level, 1 to 3
	Text   string
	Items  []string   // bullets
	Header []string   // table
	Rows   [][]string // table
}

// H adds a heading.
func (d *Doc) H(level int, text string) {
	d.Blocks = append(d.Blocks, Block{Kind: Heading, Level: level, Text: text})
}

// P adds a paragraph; an empty text adds nothing.
func (d *Doc) P(text string) {
	if strings.TrimSpace(text) != "" {
		d.Blocks = append(d.Blocks, Block{Kind: Paragraph, Text: text})
	}
}

// List adds a bullet list; an empty list adds nothing.
func (d *Doc) List(items ...string) {
	if len(items) > 0 {
		d.Blocks = append(d.Blocks, Block{Kind: Bullets, Items: items})
	}
}

// Table adds a table with a header row.
func (d *Doc) Table(header []string, rows [][]string) {
	d.Blocks = append(d.Blocks, Block{Kind: Table, Header: header, Rows: rows})
}

// blocks is the document as written: its blocks, then the notice that says whose
// tool produced it (CaRE is not a tool of the ANS), in the document's language.
func (d Doc) blocks() []Block {
	notice := Block{Kind: Paragraph, Text: i18n.Lang(d.lang()).T("docs.notice")}
	return append(slices.Clip(d.Blocks), notice)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (d Doc) lang() string {
	if d.Lang == "" {
		return "fr"
	}
	return d.Lang
}

// ---- DOCX (Office Open XML) ----

// DOCX writes the document as a Word file.
func (d Doc) DOCX() ([]byte, error) {
	var body strings.Builder
	para := func(style, text string) {
		fmt.Fprintf(&body, `<w:p><w:pPr><w:pStyle w:val="%s"/></w:pPr>%s</w:p>`, style, docxRuns(text))
	}
	para("Title", d.Title)
	if d.Subtitle != "" {
		para("Subtitle", d.Subtitle)
	}
	for _, b := range d.blocks() {
		switch b.Kind {
		case Heading:
			para(fmt.Sprintf("Heading%d", min(max(b.Level, 1), 3)), b.Text)
		case Paragraph:
			para("Normal", b.Text)
		case Bullets:
			for _, it := range b.Items {
				para("ListBullet", "• "+it)
			}
		case Table:
			body.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="Grid"/><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>`)
			for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
				fmt.Fprintf(&body, `<w:%s w:val="single" w:sz="4" w:space="0" w:color="999999"/>`, side)
			}
			body.WriteString(`</w:tblBorders></w:tblPr>`)
			row := func(cells []string, header bool) {
				body.WriteString(`<w:tr>`)
				if header {
					body.WriteString(`<w:trPr><w:tblHeader/></w:trPr>`)
				}
				for _, c := range cells {
					shade := ""
					if header {
						shade = `<w:shd w:val="clear" w:color="auto" w:fill="E8EEF8"/>`
					}
					runs := docxRuns(c)
					if header {
						runs = strings.ReplaceAll(runs, "<w:r>", "<w:r><w:rPr><w:b/></w:rPr>")
					}
					fmt.Fprintf(&body, `<w:tc><w:tcPr>%s</w:tcPr><w:p>%s</w:p></w:tc>`, shade, runs)
				}
				body.WriteString(`</w:tr>`)
			}
			row(b.Header, true)
			for _, r := range b.Rows {
				row(r, false)
			}
			body.WriteString(`</w:tbl><w:p/>`)
		}
	}
	document := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>`
	files := []zipFile{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`, true},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`, true},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`, true},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>` + esc(d.Title) + `</dc:title><dc:language>` + d.lang() + `</dc:language><dcterms:created xsi:type="dcterms:W3CDTF">` + time.Now().UTC().Format(time.RFC3339) + `</dcterms:created></cp:coreProperties>`, true},
		{"word/styles.xml", docxStyles(d.lang()), true},
		{"word/document.xml", document, true},
	}
	return zipFiles(files)
}

// docxRuns turns text into runs, line breaks kept.
func docxRuns(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString(`<w:r><w:br/></w:r>`)
		}
		fmt.Fprintf(&b, `<w:r><w:t xml:space="preserve">%s</w:t></w:r>`, esc(line))
	}
	return b.String()
}

func docxStyles(lang string) string {
	style := func(id, name string, size int, bold bool, colour string, spaceBefore int) string {
		b := ""
		if bold {
			b = "<w:b/>"
		}
		return fmt.Sprintf(`<w:style w:type="paragraph" w:styleId="%s"><w:name w:val="%s"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="%d" w:after="120"/></w:pPr><w:rPr>%s<w:color w:val="%s"/><w:sz w:val="%d"/></w:rPr></w:style>`,
			id, name, spaceBefore, b, colour, size)
	}
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Liberation Sans" w:hAnsi="Liberation Sans" w:cs="Liberation Sans"/><w:sz w:val="21"/><w:lang w:val="` + lang + `-FR"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="100"/></w:pPr></w:pPrDefault></w:docDefaults>` +
		`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
		style("Title", "Title", 40, true, "0B3D91", 0) + style("Subtitle", "Subtitle", 24, false, "4F5A66", 0) +
		style("Heading1", "heading 1", 30, true, "0B3D91", 360) + style("Heading2", "heading 2", 25, true, "0B3D91", 240) +
		style("Heading3", "heading 3", 22, true, "1B1F24", 200) +
		`<w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="360"/></w:pPr></w:style>` +
		`<w:style w:type="table" w:styleId="Grid"><w:name w:val="Table Grid"/><w:tblPr><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>`
}

// ---- ODT (OpenDocument) ----

// ODT writes the document as an OpenDocument text file.
func (d Doc) ODT() ([]byte, error) {
	var body strings.Builder
	fmt.Fprintf(&body, `<text:p text:style-name="Title">%s</text:p>`, odtText(d.Title))
	if d.Subtitle != "" {
		fmt.Fprintf(&body, `<text:p text:style-name="Subtitle">%s</text:p>`, odtText(d.Subtitle))
	}
	tables := 0
	for _, b := range d.blocks() {
		switch b.Kind {
		case Heading:
			lvl := min(max(b.Level, 1), 3)
			fmt.Fprintf(&body, `<text:h text:style-name="Heading_20_%d" text:outline-level="%d">%s</text:h>`, lvl, lvl, odtText(b.Text))
		case Paragraph:
			fmt.Fprintf(&body, `<text:p text:style-name="Standard">%s</text:p>`, odtText(b.Text))
		case Bullets:
			body.WriteString(`<text:list>`)
			for _, it := range b.Items {
				fmt.Fprintf(&body, `<text:list-item><text:p text:style-name="Standard">• %s</text:p></text:list-item>`, odtText(it))
			}
			body.WriteString(`</text:list>`)
		case Table:
			tables++
			fmt.Fprintf(&body, `<table:table table:name="Tableau%d" table:style-name="Tbl"><table:table-column table:number-columns-repeated="%d"/>`, tables, max(len(b.Header), 1))
			row := func(cells []string, header bool) {
				body.WriteString(`<table:table-row>`)
				for _, c := range cells {
					style := "Cell"
					if header {
						style = "HeadCell"
					}
					fmt.Fprintf(&body, `<table:table-cell table:style-name="%s" office:value-type="string"><text:p text:style-name="Standard">%s</text:p></table:table-cell>`, style, odtText(c))
				}
				body.WriteString(`</table:table-row>`)
			}
			body.WriteString(`<table:table-header-rows>`)
			row(b.Header, true)
			body.WriteString(`</table:table-header-rows>`)
			for _, r := range b.Rows {
				row(r, false)
			}
			body.WriteString(`</table:table>`)
		}
	}
	ns := `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"`
	content := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content ` + ns + `><office:automatic-styles>` +
		`<style:style style:name="Tbl" style:family="table"><style:table-properties style:width="17cm" table:align="margins"/></style:style>` +
		`<style:style style:name="Cell" style:family="table-cell"><style:table-cell-properties fo:padding="0.08cm" fo:border="0.5pt solid #999999"/></style:style>` +
		`<style:style style:name="HeadCell" style:family="table-cell"><style:table-cell-properties fo:padding="0.08cm" fo:border="0.5pt solid #999999" fo:background-color="#e8eef8"/></style:style>` +
		`</office:automatic-styles><office:body><office:text>` + body.String() + `</office:text></office:body></office:document-content>`
	styles := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles ` + ns + `><office:styles>` +
		`<style:default-style style:family="paragraph"><style:text-properties style:font-name="Liberation Sans" fo:font-family="'Liberation Sans'" fo:font-size="10.5pt" fo:language="` + d.lang() + `" fo:country="FR"/></style:default-style>` +
		`<style:style style:name="Standard" style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.18cm"/></style:style>` +
		`<style:style style:name="Title" style:family="paragraph"><style:text-properties fo:font-size="20pt" fo:font-weight="bold" fo:color="#0b3d91"/></style:style>` +
		`<style:style style:name="Subtitle" style:family="paragraph"><style:text-properties fo:font-size="12pt" fo:color="#4f5a66"/></style:style>` +
		`<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:default-outline-level="1"><style:paragraph-properties fo:margin-top="0.5cm" fo:margin-bottom="0.2cm" fo:keep-with-next="always"/><style:text-properties fo:font-size="15pt" fo:font-weight="bold" fo:color="#0b3d91"/></style:style>` +
		`<style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:default-outline-level="2"><style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.15cm" fo:keep-with-next="always"/><style:text-properties fo:font-size="12.5pt" fo:font-weight="bold" fo:color="#0b3d91"/></style:style>` +
		`<style:style style:name="Heading_20_3" style:display-name="Heading 3" style:family="paragraph" style:default-outline-level="3"><style:paragraph-properties fo:margin-top="0.3cm" fo:keep-with-next="always"/><style:text-properties fo:font-size="11pt" fo:font-weight="bold"/></style:style>` +
		`</office:styles><office:automatic-styles><style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2cm" fo:margin-right="2cm"/></style:page-layout></office:automatic-styles>` +
		`<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="A4"/></office:master-styles></office:document-styles>`
	meta := `<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta ` + ns + `><office:meta><dc:title>` + esc(d.Title) + `</dc:title><dc:language>` + d.lang() + `</dc:language><meta:creation-date>` + time.Now().UTC().Format("2006-01-02T15:04:05") + `</meta:creation-date></office:meta></office:document-meta>`
	manifest := `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>`
	// The mimetype entry comes first and uncompressed: that is how readers recognise the format.
	return zipFiles([]zipFile{
		{"mimetype", "application/vnd.oasis.opendocument.text", false},
		{"META-INF/manifest.xml", manifest, true},
		{"content.xml", content, true},
		{"styles.xml", styles, true},
		{"meta.xml", meta, true},
	})
}

// odtText escapes text, keeping line breaks.
func odtText(s string) string {
	parts := strings.Split(s, "\n")
	for i := range parts {
		parts[i] = esc(parts[i])
	}
	return strings.Join(parts, "<text:line-break/>")
}

type zipFile struct {
	name, content string
	deflate       bool
}

func zipFiles(files []zipFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		method := zip.Store
		if f.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: method, Modified: time.Now()})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.content)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---- HTML, for PDF printing ----

// HTML writes the document as a self-contained page, styled for A4 printing.
func (d Doc) HTML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html lang="%s"><head><meta charset="utf-8"><title>%s</title><style>
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #1b1f24; line-height: 1.4; }
h1.title { font-size: 20pt; color: #0b3d91; margin: 0 0 2mm; } p.subtitle { color: #4f5a66; font-size: 12pt; margin: 0 0 6mm; }
h1 { font-size: 15pt; color: #0b3d91; margin: 7mm 0 2mm; break-after: avoid; } h2 { font-size: 12.5pt; color: #0b3d91; margin: 5mm 0 2mm; break-after: avoid; } h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
table { border-collapse: collapse; width: 100%%; margin: 2mm 0 4mm; font-size: 9pt; } th, td { border: 1px solid #999; padding: 1.2mm 2mm; text-align: left; vertical-align: top; } th { background: #e8eef8; }
tr { break-inside: avoid; }
</style></head><body>`, d.lang(), html.EscapeString(d.Title))
	fmt.Fprintf(&b, `<h1 class="title">%s</h1>`, html.EscapeString(d.Title))
	if d.Subtitle != "" {
		fmt.Fprintf(&b, `<p class="subtitle">%s</p>`, html.EscapeString(d.Subtitle))
	}
	text := func(s string) string { return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") }
	for _, bl := range d.blocks() {
		switch bl.Kind {
		case Heading:
			lvl := min(max(bl.Level, 1), 3)
			fmt.Fprintf(&b, `<h%d>%s</h%d>`, lvl, text(bl.Text), lvl)
		case Paragraph:
			fmt.Fprintf(&b, `<p>%s</p>`, text(bl.Text))
		case Bullets:
			b.WriteString(`<ul>`)
			for _, it := range bl.Items {
				fmt.Fprintf(&b, `<li>%s</li>`, text(it))
			}
			b.WriteString(`</ul>`)
		case Table:
			b.WriteString(`<table><thead><tr>`)
			for _, h := range bl.Header {
				fmt.Fprintf(&b, `<th>%s</th>`, text(h))
			}
			b.WriteString(`</tr></thead><tbody>`)
			for _, r := range bl.Rows {
				b.WriteString(`<tr>`)
				for _, c := range r {
					fmt.Fprintf(&b, `<td>%s</td>`, text(c))
				}
				b.WriteString(`</tr>`)
			}
			b.WriteString(`</tbody></table>`)
		}
	}
	b.WriteString(`</body></html>`)
	return b.String()
}
