// Package audit keeps the append-only trail of every change: who, when, what (the
// fields before and after), from which address. Entries are written in the same
// transaction as the change they describe, so neither exists without the other.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/web"
)

// Change is one field's value before and after.
type Change struct {
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
}

// Entry is one line of the trail.
type Entry struct {
	ID         int64
	At         time.Time
	ActorID    int64
	Actor      string
	IP         string
	Action     string // e.g. "org.create"
	ObjectType string // e.g. "org"
	ObjectID   string
	OrgPath    string // the node the object belongs to: who may read the entry
	Changes    map[string]Change
	// Names read with the entry (List): the actor's, the node's, and the object's
	// when it is a person or a structure.
	ActorName, OrgName, ObjectName string
}

// Who names the actor in language l: their name, else the label recorded (an
// address of an account since removed), "the system" for work no one asked.
func (e Entry) Who(l i18n.Lang) string {
	switch {
	case e.ActorName != "":
		return e.ActorName
	case e.ActorID == 0:
		return l.T("audit.system")
	}
	return e.Actor
}

// About names what the entry is about: the person or structure it changed and
// the structure it belongs to, without repeating one name.
func (e Entry) About() string {
	if e.ObjectType == "user" && e.ObjectID == ID(e.ActorID) {
		e.ObjectName = "" // a person's own account: their name is already the subject
	}
	if e.ObjectName != "" && e.OrgName != "" && e.ObjectName != e.OrgName {
		return e.ObjectName + ", " + e.OrgName
	}
	if e.ObjectName != "" {
		return e.ObjectName
	}
	return e.OrgName
}

// Sentence tells the entry in words, in language l: "Jean Direction a validé
// l'autoévaluation — CHU de Port-Émeraude". An action without a sentence of its
// own uses its label.
func (e Entry) Sentence(l i18n.Lang) string {
	what, key := l.T("audit.say."+e.Action), "audit.sentence"
	if what == "audit.say."+e.Action {
		what, key = e.ActionLabel(l), "audit.sentence.generic"
	}
	if about := e.About(); about != "" {
		if key == "audit.sentence" {
			return l.T("audit.sentence.about", e.Who(l), what, about)
		}
		return l.T("audit.sentence.generic_about", e.Who(l), what, about)
	}
	return l.T(key, e.Who(l), what)
}

// ActionLabel names the entry's action in words, in language l: the trail stores a
// code ("account.login"), a page shows "connexion". An action without a label shows
// its code, so that a new one is visible rather than hidden.
func (e Entry) ActionLabel(l i18n.Lang) string { return label(l, "audit.act.", e.Action) }

// ObjectLabel names the kind of object the entry is about, in language l.
func (e Entry) ObjectLabel(l i18n.Lang) string { return label(l, "audit.obj.", e.ObjectType) }

func label(l i18n.Lang, prefix, code string) string {
	if s := l.T(prefix + code); s != prefix+code {
		return s
	}
	return code
}

// Record writes e within tx, filling the actor and address from ctx.
func Record(ctx context.Context, tx *sql.Tx, e Entry) error {
	s, _ := authz.FromContext(ctx)
	ip := web.ClientIPFrom(ctx)
	if e.OrgPath == "" && len(s.Grants) > 0 {
		// Entries about a person's own account are filed where they hold their first role.
		e.OrgPath = s.Grants[0].OrgPath
	}
	if e.Changes == nil {
		e.Changes = map[string]Change{}
	}
	changes, err := json.Marshal(e.Changes)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var actorID any
	if s.UserID != 0 {
		actorID = s.UserID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor, ip, action, object_type, object_id, org_path, changes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		db.Now(), actorID, s.Label(), ip, e.Action, e.ObjectType, e.ObjectID, e.OrgPath, string(changes))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Diff lists the fields whose values differ between before and after, two maps of
// field name to value. A nil before records a creation, a nil after a deletion.
func Diff(before, after map[string]any) map[string]Change {
	out := map[string]Change{}
	for k, a := range after {
		b, ok := before[k]
		if !ok || !reflect.DeepEqual(b, a) {
			out[k] = Change{Before: b, After: a}
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			out[k] = Change{Before: b}
		}
	}
	return out
}

// ID formats a numeric object id.
func ID(id int64) string { return strconv.FormatInt(id, 10) }
