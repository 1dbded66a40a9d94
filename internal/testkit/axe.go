package testkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release scripts/ensure-axe.sh installs under .tmp/.
const AxeVersion = "4.14.1"

// AxeViolation is one rule axe-core found broken on a page, with the elements
// that break it.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v AxeViolation) String() string {
	return fmt.Sprintf("[%s] %s: %s (%s)", v.Impact, v.ID, v.Help, strings.Join(v.Targets, ", "))
}

var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("CARE_AXE")
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, ".tmp", "axe-core-"+AxeVersion, "axe.min.js")
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// axeRun runs every WCAG A and AA rule on the document and keeps the serious and
// critical violations, each with at most five of its elements.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}, resultTypes: ['violations']})
  .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`

// Axe runs axe-core (scripts/ensure-axe.sh, or $CARE_AXE) on the browser's
// current page and returns its serious and critical violations. Without axe-core
// the test fails in CI and is skipped elsewhere (see [Missing]).
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		Missing(t, "axe-core", "bash scripts/ensure-axe.sh (or set CARE_AXE): "+err.Error())
	}
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(actx, chromedp.Evaluate[any](`if (!window.axe) {`+src+`}; true`)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	out, err := chromedp.Run(actx, chromedp.Evaluate[[]AxeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	return out
}
