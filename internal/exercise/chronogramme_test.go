package exercise

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/problem"
)

// shippedKit returns a shipped kit by id.
func shippedKit(t *testing.T, id string) Kit {
	t.Helper()
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kits {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("no shipped kit %s", id)
	return Kit{}
}

// xlsxFile builds a workbook whose first sheet holds rows from A1; a float64 cell
// is a time of day shown as h:mm, as a spreadsheet stores a typed "1:30".
func xlsxFile(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	hm, err := f.NewStyle(&excelize.Style{NumFmt: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(float64); ok {
				if err := f.SetCellStyle("Sheet1", cell, cell, hm); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// A second sheet must be ignored.
	if _, err := f.NewSheet("Notes"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Notes", "A1", "brouillon"); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// faults lists an error's fields as "field key".
func faults(err error) []string {
	e, ok := problem.As(err)
	if !ok {
		return []string{"not a problem: " + fmt.Sprint(err)}
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+" "+f.Key)
	}
	return out
}

// A French file from a spreadsheet: ';', clock times, accents in headers and
// values, cell names, a quoted cell over two lines.
const frenchCSV = `Réf;Heure;Canal;Émetteur;Destinataires;Titre;Contenu;Réaction attendue
s01;09:00;Téléphone;Support informatique;Cellule opérationnelle et technique;Fichiers illisibles;Des fichiers ne s'ouvrent plus.;Alerter le RSSI | Isoler les postes
;9h40;Média;Journaliste;Cellule communication / decision;;"Un journaliste appelle ; il a vu une photo.";"Renvoyer vers le porte-parole
Ne rien confirmer"
s03;09:20;e-mail;Directeur général;toutes;Point de situation;Faites un point.;Tenir la main courante
s04;09:20;SMS;Cadre de garde;DECISION;;Les urgences passent au papier.;Activer le mode dégradé
`

func TestParseChronogrammeCSV(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	want := []Line{
		{Ref: "s01", Offset: 0, Channel: "telephone", Sender: "Support informatique", Recipients: []string{"operationnelle"},
			Title: "Fichiers illisibles", Content: "Des fichiers ne s'ouvrent plus.", Expected: []string{"Alerter le RSSI", "Isoler les postes"}},
		{Ref: "s03", Offset: 20 * 60, Channel: "email", Sender: "Directeur général", Recipients: []string{"all"},
			Title: "Point de situation", Content: "Faites un point.", Expected: []string{"Tenir la main courante"}},
		{Ref: "s04", Offset: 20 * 60, Channel: "sms", Sender: "Cadre de garde", Recipients: []string{"decision"},
			Content: "Les urgences passent au papier.", Expected: []string{"Activer le mode dégradé"}},
		// The multi-line cell makes this spreadsheet row 3, whatever the text lines.
		{Ref: "import-3", Offset: 40 * 60, Channel: "media", Sender: "Journaliste", Recipients: []string{"communication", "decision"},
			Content: "Un journaliste appelle ; il a vu une photo.", Expected: []string{"Renvoyer vers le porte-parole", "Ne rien confirmer"}},
	}
	comma := strings.NewReplacer(";", ",")
	tests := []struct {
		name string
		data string
		want []Line
	}{
		{"semicolon", frenchCSV, want},
		// Without stripping, the BOM glues itself to the first header and "Réf" is lost.
		{"semicolon with BOM", "\ufeff" + frenchCSV, want},
		{"BOM before a required column", "\ufeffHeure;Canal;Émetteur;Destinataires;Contenu;Réaction attendue\r\n10:15;sms;X;decision;Texte;Réagir\r\n", []Line{
			{Ref: "import-2", Channel: "sms", Sender: "X", Recipients: []string{"decision"}, Content: "Texte", Expected: []string{"Réagir"}}}},
		{"comma and CRLF", comma.Replace("\ufeffRef;Heure;Canal;Emetteur;Destinataires;Contenu;Reactions attendues\r\n" +
			"b;14:30:00;courrier;Préfecture;all;Lettre;Répondre\r\na;14:00;visite;Inspecteur;decision;Visite;Accueillir\r\n"), []Line{
			{Ref: "b", Channel: "courrier", Sender: "Préfecture", Recipients: []string{"all"}, Content: "Lettre", Expected: []string{"Répondre"}},
			// Earlier than the first row but inside the kit's length: read as past midnight.
			{Ref: "a", Offset: (23*60 + 30) * 60, Channel: "visite", Sender: "Inspecteur", Recipients: []string{"decision"}, Content: "Visite", Expected: []string{"Accueillir"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kk := k
			if tt.name == "comma and CRLF" {
				kk.Duration = 24 * 60
			}
			got, err := ParseChronogramme([]byte(tt.data), "Chronogramme.CSV", kk)
			if err != nil {
				t.Fatalf("%v: %v", err, faults(err))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseChronogrammeXLSX(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	data := xlsxFile(t, [][]any{
		{"Ref", "Offset (H:MM)", "Channel", "Sender", "Recipients", "Title", "Content", "Expected reactions", "Criteria", "Notes"},
		{"x1", "0:00", "Email", "IT support", "operationnelle", "Odd files", "Files will not open.", "Alert the CISO\nIsolate the computers", "c01, c03", "ignored"},
		{"x2", "1:05", "phone", "Duty nurse", "all", "", "The lab results no longer arrive.", "Switch to paper", "", ""},
		{},
		{"x3", 1.5 / 24, "press", "Reporter", "Cellule communication", "", "A reporter asks for a statement.", "One spokesperson", "c01", ""},
		{"x4", "00:35", "SMS", "Director", "decision / operationnelle", "", "Where are we?", "Brief the director", "", ""},
	})
	got, err := ParseChronogramme(data, "chrono.xlsx", k)
	if err != nil {
		t.Fatalf("%v: %v", err, faults(err))
	}
	want := []Line{
		{Ref: "x1", Offset: 0, Channel: "email", Sender: "IT support", Recipients: []string{"operationnelle"}, Title: "Odd files",
			Content: "Files will not open.", Expected: []string{"Alert the CISO", "Isolate the computers"}, Criteria: []string{"c01", "c03"}},
		{Ref: "x4", Offset: 35 * 60, Channel: "sms", Sender: "Director", Recipients: []string{"decision", "operationnelle"},
			Content: "Where are we?", Expected: []string{"Brief the director"}},
		{Ref: "x2", Offset: 65 * 60, Channel: "telephone", Sender: "Duty nurse", Recipients: []string{"all"},
			Content: "The lab results no longer arrive.", Expected: []string{"Switch to paper"}},
		{Ref: "x3", Offset: 90 * 60, Channel: "media", Sender: "Reporter", Recipients: []string{"communication"},
			Content: "A reporter asks for a statement.", Expected: []string{"One spokesperson"}, Criteria: []string{"c01"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseChronogrammeReportsEveryFault(t *testing.T) {
	k := shippedKit(t, "kit-debutant") // 120 minutes
	tests := []struct {
		name, filename string
		data           []byte
		want           []string // "field key" of each fault, in order
		summary        string   // key of an error about the whole file
	}{
		{name: "every bad row", filename: "c.csv", data: []byte(`ref;décalage;canal;émetteur;destinataires;contenu;réaction attendue
a1;10;email;DG;decision;Texte;Réagir
a2;dix;email;DG;decision;Texte;Réagir
a3;2:05;email;DG;decision;Texte;Réagir
a4;15;pigeon;DG;decision;Texte;Réagir
a5;20;sms;DG;decision / cellule fantôme;Texte;Réagir
a6;25;sms;DG;decision;;Réagir
a1;30;sms;DG;decision;"Texte
sur deux lignes";Réagir
a8;40;visite;;;Texte;
a9;1:60;courrier;DG;all;Texte;Réagir

a11;120;courrier;DG;all;Texte;Réagir
`), want: []string{
			"ligne 3 exercise.import.offset",
			"ligne 4 exercise.import.offset_range",
			"ligne 5 exercise.import.channel",
			"ligne 6 exercise.import.unknown_cell",
			"ligne 7 exercise.import.content",
			"ligne 8 exercise.import.duplicate",
			"ligne 9 exercise.import.sender",
			"ligne 9 exercise.import.recipients",
			"ligne 9 exercise.import.expected",
			"ligne 10 exercise.import.offset",
			"ligne 12 exercise.import.offset_range",
		}},
		{name: "missing column reported once", filename: "c.csv", data: []byte("heure,canal,émetteur,destinataires,réaction attendue\n" +
			"09:00,sms,X,decision,R\n09:10,sms,X,decision,R\n09:20,sms,X,decision,R\n"),
			want: []string{"ligne 1 exercise.import.column_missing"}},
		{name: "offset and time", filename: "c.csv", data: []byte("décalage;heure;canal;émetteur;destinataires;contenu;réaction attendue\n5;09:00;sms;X;decision;C;R\n"),
			want: []string{"ligne 1 exercise.import.both_times"}},
		{name: "neither offset nor time", filename: "c.csv", data: []byte("canal;émetteur;destinataires;contenu;réaction attendue\nsms;X;decision;C;R\n"),
			want: []string{"ligne 1 exercise.import.column_missing"}},
		{name: "column twice", filename: "c.csv", data: []byte("décalage;canal;émetteur;destinataires;contenu;Contenu;réaction attendue\n5;sms;X;decision;C;D;R\n"),
			want: []string{"ligne 1 exercise.import.column_twice"}},
		{name: "clock times", filename: "c.csv", data: []byte("heure;canal;émetteur;destinataires;contenu;réaction attendue\n" +
			"10:00;sms;X;decision;C;R\n25:00;sms;X;decision;C;R\n09:00;sms;X;decision;C;R\n11:59;sms;X;decision;C;R\n12:00;sms;X;decision;C;R\n"),
			want: []string{"ligne 3 exercise.import.time", "ligne 4 exercise.import.before_start", "ligne 6 exercise.import.offset_range"}},
		{name: "xlsx rows keep their numbers", filename: "c.xlsx", data: xlsxFile(t, [][]any{
			{},
			{"ID", "Offset", "Channel", "Sender", "Recipients", "Content", "Expected", "Criteria"},
			{"r1", "5", "email", "X", "decision", "C", "R", ""},
			{},
			{"r1", "1:10", "fax", "X", "decision", "C", "R", "c99"},
		}), want: []string{"ligne 5 exercise.import.duplicate", "ligne 5 exercise.import.channel", "ligne 5 exercise.import.criterion"}},
		{name: "empty file", filename: "c.csv", data: []byte("\ufeff\n \n"), summary: "exercise.import.empty"},
		{name: "header only", filename: "c.csv", data: []byte("décalage;canal;émetteur;destinataires;contenu;réaction attendue\n"), summary: "exercise.import.empty"},
		{name: "other format", filename: "chrono.ods", data: []byte("x"), summary: "exercise.import.format"},
		{name: "not UTF-8", filename: "c.csv", data: []byte("d\xe9calage;canal\n5;sms\n"), summary: "exercise.import.encoding"},
		{name: "not a workbook", filename: "c.xlsx", data: []byte("décalage;canal\n"), summary: "exercise.import.unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChronogramme(tt.data, tt.filename, k)
			if got != nil {
				t.Errorf("lines returned despite faults: %d", len(got))
			}
			e, ok := problem.As(err)
			if !ok || e.Kind != problem.Invalid {
				t.Fatalf("got %v, want an Invalid problem", err)
			}
			if tt.summary != "" {
				if e.Key != tt.summary || len(e.Fields) != 0 {
					t.Errorf("got %s %v, want %s", e.Key, faults(err), tt.summary)
				}
				return
			}
			if f := faults(err); !slices.Equal(f, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(f, "\n"), strings.Join(tt.want, "\n"))
			}
			// Each message carries its row number first, so it reads on its own.
			for _, f := range e.Fields {
				if len(f.Args) == 0 || "ligne "+fmt.Sprint(f.Args[0]) != f.Field {
					t.Errorf("%s %s: args %v do not start with the row number", f.Field, f.Key, f.Args)
				}
			}
		})
	}
}

func TestParseChronogrammeCellNames(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	k.Cells = append(slices.Clone(k.Cells), Cell{ID: "si", Name: "DSI / RSSI"})
	tests := []struct {
		recipients string
		want       []string
		unknown    []string
	}{
		{"Cellule décisionnelle", []string{"decision"}, nil},
		{"CELLULE DECISIONNELLE", []string{"decision"}, nil},
		{"cellule opérationnelle et technique, Cellule communication", []string{"operationnelle", "communication"}, nil},
		{"decision/communication", []string{"decision", "communication"}, nil},
		{"decision; Décision ;", []string{"decision"}, nil},
		{"DSI / RSSI", []string{"si"}, nil},
		{"Toutes", []string{"all"}, nil},
		{"communication, all", []string{"all"}, nil},
		{"Cellule juridique", nil, []string{"Cellule juridique"}},
		{"decision, juridique / presse", nil, []string{"juridique", "presse"}},
	}
	for _, tt := range tests {
		t.Run(tt.recipients, func(t *testing.T) {
			data := "décalage;canal;émetteur;destinataires;contenu;réaction attendue\n5;sms;X;\"" + tt.recipients + "\";C;R\n"
			got, err := ParseChronogramme([]byte(data), "c.csv", k)
			if tt.unknown != nil {
				e, ok := problem.As(err)
				if !ok {
					t.Fatalf("got %v, want unknown cells", err)
				}
				var names []string
				for _, f := range e.Fields {
					if f.Key == "exercise.import.unknown_cell" {
						names = append(names, f.Args[1].(string))
					}
				}
				if !slices.Equal(names, tt.unknown) || got != nil {
					t.Errorf("unknown cells %v, want %v (lines %v)", names, tt.unknown, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %v", err, faults(err))
			}
			if !slices.Equal(got[0].Recipients, tt.want) {
				t.Errorf("got %v, want %v", got[0].Recipients, tt.want)
			}
		})
	}
}

// Every shipped kit survives an export of its own chronogramme unchanged.
func TestExportKitRoundTrip(t *testing.T) {
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(kits) != 4 {
		t.Fatalf("%d shipped kits, want 4", len(kits))
	}
	for _, k := range kits {
		t.Run(k.ID, func(t *testing.T) {
			var lines []Line
			for _, st := range k.Animator.Stimuli {
				lines = append(lines, fromKit(st))
			}
			data, err := ExportKit(k, lines)
			if err != nil {
				t.Fatalf("%v: %v", err, faults(err))
			}
			got, err := ParseKit(data)
			if err != nil {
				t.Fatalf("the export does not parse: %v: %v", err, faults(err))
			}
			if !reflect.DeepEqual(got.Animator.Stimuli, k.Animator.Stimuli) {
				for i := range min(len(got.Animator.Stimuli), len(k.Animator.Stimuli)) {
					if !reflect.DeepEqual(got.Animator.Stimuli[i], k.Animator.Stimuli[i]) {
						t.Fatalf("stimulus %d:\ngot  %+v\nwant %+v", i, got.Animator.Stimuli[i], k.Animator.Stimuli[i])
					}
				}
				t.Fatalf("%d stimuli, want %d", len(got.Animator.Stimuli), len(k.Animator.Stimuli))
			}
			if !reflect.DeepEqual(got, k) {
				t.Error("the rest of the kit changed in the round trip")
			}
		})
	}
}

func TestExportKitWithImportedChronogramme(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	grid := len(k.Animator.Criteria)
	csv := strings.Replace(frenchCSV, "Réaction attendue\n", "Réaction attendue;Critères\n", 1)
	csv = strings.Replace(csv, "Isoler les postes\n", "Isoler les postes;c01 c03\n", 1)
	lines, err := ParseChronogramme([]byte(csv), "c.csv", k)
	if err != nil {
		t.Fatalf("%v: %v", err, faults(err))
	}
	lines[2].Offset += 59 // seconds are dropped, not rounded up
	data, err := ExportKit(k, lines)
	if err != nil {
		t.Fatalf("%v: %v", err, faults(err))
	}
	got, err := ParseKit(data)
	if err != nil {
		t.Fatalf("the export does not parse: %v: %v", err, faults(err))
	}
	var ids []string
	var offsets []int
	for _, st := range got.Animator.Stimuli {
		ids = append(ids, st.ID)
		offsets = append(offsets, st.Offset)
	}
	if want := []string{"s01", "s03", "s04", "import-3"}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if want := []int{0, 20, 20, 40}; !slices.Equal(offsets, want) {
		t.Errorf("offsets %v, want %v", offsets, want)
	}
	var crit []string
	for _, cr := range got.Animator.Criteria {
		crit = append(crit, cr.ID)
	}
	if !slices.Equal(crit, []string{"c01", "c03"}) {
		t.Errorf("grid %v, want only the criteria still observed", crit)
	}
	if len(k.Animator.Criteria) != grid {
		t.Error("the export changed the caller's kit")
	}
	if got.Title != k.Title || !reflect.DeepEqual(got.Cells, k.Cells) || got.Animator.Scenario != k.Animator.Scenario {
		t.Error("the export lost the kit around the chronogramme")
	}
}

func TestExportKitIDsAndFaults(t *testing.T) {
	k := shippedKit(t, "kit-debutant")
	line := func(ref string, offset int) Line {
		return Line{Ref: ref, Offset: offset, Channel: "sms", Sender: "X", Recipients: []string{"decision"}, Content: "C", Expected: []string{"R"}}
	}
	tests := []struct {
		name  string
		lines []Line
		ids   []string
		fault string
	}{
		{name: "ids made valid and unique",
			lines: []Line{line("s01", 0), line("Stimulus 7", 60), line("Éclair !", 120), line("s01", 180), line("", 240), line("---", 300)},
			ids:   []string{"s01", "stimulus-7", "eclair", "s01-2", "s05", "s06"}},
		{name: "no expected reaction", lines: []Line{{Ref: "a", Channel: "sms", Sender: "X", Recipients: []string{"decision"}, Content: "C"}},
			fault: "exercise.error.stimulus_text"},
		{name: "beyond the kit", lines: []Line{line("a", 120*60)}, fault: "exercise.error.offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ExportKit(k, tt.lines)
			if tt.fault != "" {
				if !slices.ContainsFunc(faults(err), func(f string) bool { return strings.HasSuffix(f, " "+tt.fault) }) || data != nil {
					t.Errorf("got %v, want %s and no file", faults(err), tt.fault)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %v", err, faults(err))
			}
			got, err := ParseKit(data)
			if err != nil {
				t.Fatalf("%v: %v", err, faults(err))
			}
			var ids []string
			for _, st := range got.Animator.Stimuli {
				ids = append(ids, st.ID)
			}
			if !slices.Equal(ids, tt.ids) {
				t.Errorf("ids %v, want %v", ids, tt.ids)
			}
		})
	}
}
