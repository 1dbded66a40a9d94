package exercise

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

// maxFuzzInput bounds a fuzz input: kits are tens of kilobytes, chronogrammes less.
const maxFuzzInput = 256 << 10

// shippedFiles returns the shipped kit files, the best seeds there are.
func shippedFiles(f *testing.F) [][]byte {
	names, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil || len(names) == 0 {
		f.Fatal("no shipped kit", err)
	}
	var out [][]byte
	for _, n := range names {
		data, err := shipped.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzParseKit: a kit file is refused with reasons or read into a valid kit that,
// written again (yaml, or ExportKit with its own chronogramme), reads back the
// same; what players see of it holds no animator part.
func FuzzParseKit(f *testing.F) {
	for _, data := range shippedFiles(f) {
		f.Add(data)
		f.Add(data[:len(data)/3])
	}
	f.Add([]byte("id: k\nversion: 1\nlevel: debutant\nduration_minutes: 10\ntitle: T\nnotice: N\nanimator:\n  scenario: S\n"))
	f.Add([]byte("id: k\nversion: 1\nunknown: x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("id: k\n---\nid: l\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		k, err := ParseKit(data)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("read, yet invalid: %v", err)
		}
		out, err := yaml.Marshal(k)
		if err != nil {
			t.Fatalf("read, yet cannot be written: %v", err)
		}
		k2, err := ParseKit(out)
		if err != nil {
			t.Fatalf("written, then refused: %v\n%s", err, out)
		}
		if out2, _ := yaml.Marshal(k2); !bytes.Equal(out, out2) {
			t.Fatalf("written and read again:\n%s\nwas\n%s", out2, out)
		}
		exported, err := ExportKit(k, linesOf(k))
		if err != nil {
			t.Fatalf("ExportKit refuses a valid kit's own chronogramme: %v", err)
		}
		k3, err := ParseKit(exported)
		if err != nil {
			t.Fatalf("exported, then refused: %v\n%s", err, exported)
		}
		if out3, _ := yaml.Marshal(k3); !bytes.Equal(out, out3) {
			t.Fatalf("exported and read again:\n%s\nwas\n%s", out3, out)
		}
		if p := k.ForPlayers(); p.Animator.Scenario != "" || len(p.Animator.Stimuli) != 0 || len(p.Animator.Criteria) != 0 {
			t.Fatal("the players' kit holds the animator part")
		}
	})
}

// linesOf is a kit's own chronogramme as lines.
func linesOf(k Kit) []Line {
	var out []Line
	for _, s := range k.Animator.Stimuli {
		out = append(out, Line{Ref: s.ID, Offset: s.Offset * 60, Channel: s.Channel, Sender: s.Sender, Recipients: s.Recipients,
			Title: s.Title, Content: s.Content, Attachments: s.Attachments, Expected: s.ExpectedReactions, Criteria: s.Criteria})
	}
	return out
}

// chronogrammeCSV writes a kit's chronogramme as an animator's CSV would.
func chronogrammeCSV(k Kit, sep rune) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = sep
	w.Write([]string{"Réf", "Décalage (min)", "Canal", "Émetteur", "Destinataires", "Titre", "Contenu", "Réaction attendue", "Critères"})
	for _, s := range k.Animator.Stimuli {
		w.Write([]string{s.ID, strconv.Itoa(s.Offset), s.Channel, s.Sender, strings.Join(s.Recipients, ", "), s.Title, s.Content,
			strings.Join(s.ExpectedReactions, "\n"), strings.Join(s.Criteria, " ")})
	}
	w.Flush()
	return b.Bytes()
}

// fuzzXLSX writes rows into the first sheet of a workbook.
func fuzzXLSX(f *testing.F, rows [][]any) []byte {
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := x.SetCellValue("Sheet1", cell, v); err != nil {
				f.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}

// FuzzParseChronogramme: a CSV or XLSX chronogramme is refused with reasons or read
// into lines that are sorted, within the kit's length, on known channels and cells,
// with a content and an expected reaction, unique refs and the kit's criteria; the
// lines make a kit that ExportKit writes and ParseKit reads back, stimulus for line.
// The kit is a shipped one, so that the fuzzer meets real cells and criteria.
func FuzzParseChronogramme(f *testing.F) {
	kits, err := Shipped()
	if err != nil {
		f.Fatal(err)
	}
	k := kits[slices.IndexFunc(kits, func(k Kit) bool { return k.ID == "kit-debutant" })]
	f.Add(chronogrammeCSV(k, ';'), false)
	f.Add(chronogrammeCSV(k, ','), false)
	f.Add([]byte("\ufeffRéf;Heure;Canal;Émetteur;Destinataires;Titre;Contenu;Réaction attendue\r\n"+
		"s01;09:00;Téléphone;Support;Cellule opérationnelle et technique;T;Texte;Alerter | Isoler\r\n"+
		";9h40;Média;Journaliste;communication / decision;;\"Un appel ; une photo.\";\"Renvoyer\nNe rien confirmer\"\r\n"), false)
	f.Add([]byte("heure,canal,émetteur,destinataires,contenu,réaction attendue\n23:50,sms,X,all,C,R\n00:10,sms,X,all,C,R\n"), false)
	f.Add([]byte("décalage;canal\n5;sms\n"), false)
	f.Add([]byte("d\xe9calage;canal\n5;sms\n"), false)
	f.Add([]byte("a\"b;c\n\"d\n"), false)
	f.Add(fuzzXLSX(f, [][]any{
		{"Réf", "Heure", "Canal", "Émetteur", "Destinataires", "Contenu", "Réaction attendue", "Critères"},
		{"s01", "09:00", "sms", "DSI", "decision", "Texte", "Réagir", k.Animator.Criteria[0].ID},
		{},
		{"s02", 0.40625, "email", "ARS", "toutes", "Texte", "Réagir"},
	}), true)
	f.Add([]byte("PK\x03\x04"), true)
	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		if len(data) > maxFuzzInput {
			return
		}
		name := "chronogramme.csv"
		if xlsx {
			name = "chronogramme.xlsx"
		}
		lines, err := ParseChronogramme(data, name, k)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		if len(lines) == 0 || len(lines) > MaxChronogrammeRows {
			t.Fatalf("%d lines", len(lines))
		}
		if !slices.IsSortedFunc(lines, func(a, b Line) int { return cmp.Compare(a.Offset, b.Offset) }) {
			t.Fatal("lines out of order")
		}
		refs := map[string]bool{}
		criteria := map[string]bool{}
		for _, cr := range k.Animator.Criteria {
			criteria[cr.ID] = true
		}
		for _, l := range lines {
			switch {
			case l.Ref == "" || refs[l.Ref]:
				t.Fatalf("ref %q empty or twice", l.Ref)
			case l.Offset < 0 || l.Offset >= k.Duration*60:
				t.Fatalf("%s at %d s, outside the kit's %d min", l.Ref, l.Offset, k.Duration)
			case !slices.Contains(Channels, l.Channel):
				t.Fatalf("%s on channel %q", l.Ref, l.Channel)
			case l.Content == "" || len(l.Expected) == 0 || len(l.Recipients) == 0:
				t.Fatalf("%s without content, reaction or recipient: %+v", l.Ref, l)
			}
			refs[l.Ref] = true
			for _, r := range l.Recipients {
				if _, ok := k.cellRef(r); !ok {
					t.Fatalf("%s to unknown cell %q", l.Ref, r)
				}
			}
			for _, cr := range l.Criteria {
				if !criteria[cr] {
					t.Fatalf("%s observes unknown criterion %q", l.Ref, cr)
				}
			}
		}
		exported, err := ExportKit(k, lines)
		if err != nil {
			t.Fatalf("imported lines make no kit: %v", err)
		}
		back, err := ParseKit(exported)
		if err != nil {
			t.Fatalf("exported kit refused: %v\n%s", err, exported)
		}
		if len(back.Animator.Stimuli) != len(lines) {
			t.Fatalf("%d lines exported as %d stimuli", len(lines), len(back.Animator.Stimuli))
		}
		for i, s := range back.Animator.Stimuli {
			l := lines[i]
			if s.Offset != l.Offset/60 || s.Channel != l.Channel || s.Content != l.Content || s.Sender != l.Sender || s.Title != l.Title ||
				!slices.Equal(s.Recipients, l.Recipients) || !slices.Equal(s.ExpectedReactions, l.Expected) || !slices.Equal(s.Criteria, l.Criteria) {
				t.Fatalf("line %+v exported as %+v", l, s)
			}
		}
	})
}
