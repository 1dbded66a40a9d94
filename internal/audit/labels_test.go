package audit

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"care/internal/platform/i18n"
)

// The trail stores codes ("account.login"); pages show words ("connexion"). Every
// action and object kind the code records has a label in both languages: the test
// reads the audit.Record calls of the whole tree, plus the actions built from a
// code (exercise steps, assessment statuses, org and user variants).
func TestEveryRecordedActionHasAWord(t *testing.T) {
	actions := map[string]bool{}
	objects := map[string]bool{}
	for _, a := range []string{"exercise.start", "exercise.pause", "exercise.resume", "exercise.finish", "exercise.close",
		"assessment.draft", "assessment.review", "assessment.validated", "assessment.locked",
		"org.update", "org.move", "org.archive", "org.restore", "user.enable", "user.disable"} {
		actions[a] = true
	}
	action := regexp.MustCompile(`Action:\s*"([a-z_]+\.[a-z_]+)"`)
	object := regexp.MustCompile(`ObjectType:\s*"([a-z_]+)"`)
	err := filepath.WalkDir("..", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range action.FindAllStringSubmatch(string(b), -1) {
			actions[m[1]] = true
		}
		for _, m := range object.FindAllStringSubmatch(string(b), -1) {
			objects[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !actions["account.login"] || !objects["user"] || len(actions) < 40 {
		t.Fatalf("the walk found too little: %d actions, %d objects", len(actions), len(objects))
	}
	for _, l := range i18n.Langs {
		for a := range actions {
			if got := (Entry{Action: a}).ActionLabel(l); got == a {
				t.Errorf("%s: action %s has no label (audit.act.%s)", l, a, a)
			}
		}
		for o := range objects {
			if key := "audit.obj." + o; l.T(key) == key {
				t.Errorf("%s: object %s has no label (audit.obj.%s)", l, o, o)
			}
		}
	}
	if got := (Entry{Action: "account.login"}).ActionLabel(i18n.FR); got != "connexion" {
		t.Errorf("account.login reads %q", got)
	}
	if got := (Entry{Action: "new.thing"}).ActionLabel(i18n.FR); got != "new.thing" {
		t.Errorf("an unlabelled action shows %q, not its code", got)
	}
}

// Coded values show in the words of the capability that records them, in both
// languages; a value the catalogue does not know shows as it is.
func TestCodedValuesInWords(t *testing.T) {
	e := Entry{ObjectType: "assessment", Changes: map[string]Change{"status": {Before: "draft", After: "validated"}}}
	if got := e.ChangesLabel(i18n.FR); got != "statut : brouillon → validée" {
		t.Errorf("fr: %q", got)
	}
	if got := (Entry{ObjectType: "exposure_finding", Changes: map[string]Change{"status": {Before: "open", After: "accepted"}}}).ChangesLabel(i18n.FR); got != "statut : ouvert → risque accepté" {
		t.Errorf("finding: %q", got)
	}
	if got := (Entry{ObjectType: "funding_candidature", Changes: map[string]Change{"status": {Before: "submitted", After: "accepted"}}}).ChangesLabel(i18n.FR); got != "statut : en instruction → acceptée" {
		t.Errorf("candidature: %q", got)
	}
	if got := (Entry{ObjectType: "assessment", Changes: map[string]Change{"status": {After: "inconnu"}}}).ChangesLabel(i18n.FR); got != "statut : — → inconnu" {
		t.Errorf("unknown value: %q", got)
	}
	for prefix := range valueWords {
		if !strings.Contains(prefix, ".") {
			t.Errorf("%s: want object.field", prefix)
		}
	}
}
