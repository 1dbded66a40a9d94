package exercise

import (
	"errors"
	"strings"
	"testing"
	"time"

	"care/internal/platform/problem"
)

// The invitation and the internal notice of every shipped kit come out filled
// with the exercise's date, hours and place, and the player's cell: no
// placeholder ("Le [date]", "{lieu}") survives, and the date is written as French
// writes it ("le mardi 8 décembre 2026", "9 h 30").
func TestCommunicationPartFilled(t *testing.T) {
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 8, 9, 30, 0, 0, time.Local)
	const place = "Salle du conseil, bâtiment A."
	ends := map[string]string{"debutant": "à 11 h 30", "intermediaire": "à 12 h 30", "confirme": "à 13 h 30", "regional": "à 13 h 30"}
	for _, k := range kits {
		until := ends[k.Level]
		for _, cell := range k.Cells {
			d := Details{Start: start, Place: place, Cell: cell.Name}
			subject, body := k.Invitation(d)
			notice := k.Fill(k.Communication.InternalNotice, d)
			announcement := k.Fill(k.Communication.Announcement, d)
			for name, text := range map[string]string{"subject": subject, "invitation": body, "internal notice": notice, "announcement": announcement} {
				if strings.ContainsAny(text, "[]{}") {
					t.Errorf("%s, %s: a placeholder survives: %q", k.ID, name, text)
				}
			}
			for name, text := range map[string]string{"invitation": body, "internal notice": notice} {
				if !strings.Contains(text, "le mardi 8 décembre 2026") || !strings.Contains(text, "9 h 30") || !strings.Contains(text, until) {
					t.Errorf("%s, %s: no date or hours (%s): %q", k.ID, name, until, text)
				}
			}
			if !strings.Contains(body, "Lieu : Salle du conseil, bâtiment A.") || strings.Contains(body, "A..") {
				t.Errorf("%s: the invitation does not give the place: %q", k.ID, body)
			}
			if k.Level != "debutant" && !strings.Contains(body, "« "+cell.Name+" »") {
				t.Errorf("%s: the invitation does not name the cell %q", k.ID, cell.Name)
			}
			if strings.HasPrefix(body, "Objet") || subject == "" || subject == k.Title {
				t.Errorf("%s: subject %q, body starting %.40q", k.ID, subject, body)
			}
		}
	}
}

// A kit whose communication part holds an unknown field, or the player's cell
// outside the invitation, is refused.
func TestCommunicationFieldsChecked(t *testing.T) {
	kits, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	k := kits[0]
	k.Communication.Invitation += " Le {jour} à {debut}."
	k.Communication.InternalNotice += " Cellule {cellule}."
	var p *problem.Error
	if err := k.Validate(); !errors.As(err, &p) || len(p.Fields) != 2 {
		t.Fatalf("validate: %v", err)
	}
	if p.Fields[0].Field != "communication.invitation" || p.Fields[1].Field != "communication.internal_notice" || p.Fields[0].Args[0] != "{jour}" {
		t.Errorf("faults: %+v", p.Fields)
	}
}
