package exercise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// The communication part of a kit (the CaRE programme's "kit de communication",
// to "communiquer au mieux auprès des participants à l'exercice") is written with
// fields that the exercise fills: its date, hours and place, and the cell of the
// player invited. A kit writes them between braces:
//
//	L'exercice aura lieu le {date}, de {debut} à {fin}. Lieu : {lieu}.
//
// The kits are written in French, so the fields are filled in French whatever the
// page language: "le mardi 8 décembre 2026, de 9 h 30 à 11 h 30".

// CommunicationFields are the fields a communication text may hold; {cellule}
// only in the invitation, which goes to each player.
var CommunicationFields = []string{"date", "debut", "fin", "lieu", "cellule"}

var field = regexp.MustCompile(`\{([^{}]*)\}`)

// Details are what fills the communication part: when and where the exercise
// takes place, and the cell of the player invited.
type Details struct {
	Start time.Time
	Place string
	Cell  string
}

// Fill writes a communication text of kit k with the details (the date and hours
// in the local time of the platform, where the exercise was planned); a field
// without a value (the cell, for someone who is not a player) stays as it is.
func (k Kit) Fill(text string, d Details) string {
	start := d.Start.Local()
	values := map[string]string{
		"date":    i18n.FR.LongDate(start),
		"debut":   i18n.FR.Clock(start),
		"fin":     i18n.FR.Clock(start.Add(time.Duration(k.Duration) * time.Minute)),
		"lieu":    strings.TrimRight(strings.TrimSpace(d.Place), "."),
		"cellule": d.Cell,
	}
	return field.ReplaceAllStringFunc(text, func(m string) string {
		if v := values[m[1:len(m)-1]]; v != "" {
			return v
		}
		return m
	})
}

// Invitation is the kit's invitation filled for the player of cell: its subject
// (the text's first line when it reads "Objet : …", else the kit's title) and
// body.
func (k Kit) Invitation(d Details) (subject, body string) {
	text := strings.TrimSpace(k.Fill(k.Communication.Invitation, d))
	subject = k.Title
	if first, rest, ok := strings.Cut(text, "\n"); ok {
		if s, found := strings.CutPrefix(first, "Objet :"); found {
			subject, text = strings.TrimSpace(s), strings.TrimSpace(rest)
		}
	}
	return subject, text
}

// checkFields reports the unknown fields of the communication part (and a
// {cellule} outside the invitation) to c.
func (k Kit) checkFields(c *problem.Checks) {
	texts := map[string]string{"invitation": k.Communication.Invitation, "announcement": k.Communication.Announcement,
		"internal_notice": k.Communication.InternalNotice}
	for _, name := range []string{"invitation", "announcement", "internal_notice"} {
		for _, m := range field.FindAllStringSubmatch(texts[name], -1) {
			if !slices.Contains(CommunicationFields, m[1]) || (m[1] == "cellule" && name != "invitation") {
				c.Add("communication."+name, "exercise.error.field", m[0], strings.Join(CommunicationFields, ", "))
			}
		}
	}
}

// details are what fills the kit's communication part of an exercise, once it is
// planned with its place.
func (e Exercise) details() (Details, error) {
	if e.PlannedFor == nil || strings.TrimSpace(e.Place) == "" {
		return Details{}, fieldError("place", "exercise.error.not_planned")
	}
	return Details{Start: *e.PlannedFor, Place: e.Place}, nil
}

// SendInvitations e-mails the kit's invitation, filled with the exercise's date,
// hours and place and each player's cell, to the players of a planned exercise
// (animators), and returns how many were sent.
func (s *Service) SendInvitations(ctx context.Context, id int64) (int, error) {
	o, err := open(ctx, s.DB.Read, id, true, animator)
	if err != nil {
		return 0, err
	}
	if err := o.in(StatusPlanned); err != nil {
		return 0, err
	}
	d, err := o.details()
	if err != nil {
		return 0, err
	}
	players, err := listPlayers(ctx, s.DB.Read, id)
	if err != nil {
		return 0, err
	}
	if len(players) == 0 {
		return 0, problem.New(problem.Conflict, "exercise.error.no_players")
	}
	if s.Mail == nil {
		return 0, problem.New(problem.Conflict, "exercise.error.no_mail")
	}
	sent := 0
	for _, p := range players {
		d.Cell = o.Kit.cellName(p.cell)
		subject, body := o.Kit.Invitation(d)
		if err := s.Mail.Send(ctx, mail.Message{To: p.email, Subject: subject, Body: body}); err != nil {
			if errors.Is(err, mail.ErrNotConfigured) {
				return sent, problem.New(problem.Conflict, "exercise.error.no_mail")
			}
			return sent, fmt.Errorf("exercise: invite the players of %d: %w", id, err)
		}
		sent++
	}
	return sent, s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.invitations", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"sent": {After: sent}}})
	})
}

// communication is the exercise's communication part as seat reads it: filled
// with the date, hours and place once the exercise is planned, and with the cell
// of a player.
func (e Exercise) communication(seat Seat) Communication {
	c := e.Kit.Communication
	if d, err := e.details(); err == nil {
		d.Cell = e.Kit.cellName(seat.Cell)
		c.Invitation, c.Announcement, c.InternalNotice = e.Kit.Fill(c.Invitation, d), e.Kit.Fill(c.Announcement, d), e.Kit.Fill(c.InternalNotice, d)
	}
	return c
}

// cellName is the name of the kit's cell id ("" for none).
func (k Kit) cellName(id string) string {
	if i := slices.IndexFunc(k.Cells, func(c Cell) bool { return c.ID == id }); i >= 0 {
		return k.Cells[i].Name
	}
	return ""
}

// Notice is the kit's announcement and internal notice filled for an exercise;
// Ready is false until the exercise is planned with its place.
type Notice struct {
	Exercise       Exercise
	Announcement   string
	InternalNotice string
	Ready          bool
}

// Notice returns the announcement and the internal notice of exercise id, to its
// participants (the communication part is theirs).
func (s *Service) Notice(ctx context.Context, id int64) (Notice, error) {
	o, err := open(ctx, s.DB.Read, id, true, participant)
	if err != nil {
		return Notice{}, err
	}
	_, err = o.details()
	c := o.communication(o.Seat)
	return Notice{Exercise: o.Exercise, Ready: err == nil, Announcement: c.Announcement, InternalNotice: c.InternalNotice}, nil
}
