package testkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/platform/docs"
)

// browserStart bounds how long Chromium may take to start and open its first tab.
const browserStart = 30 * time.Second

// NewBrowser starts a headless Chromium of the test's own, with a fresh profile
// and French as its language (Accept-Language: fr-FR), and returns the chromedp context of its first tab. The browser has already run
// once, so a caller may derive timeouts from the context without closing it.
//
// The binary is $CARE_CHROMIUM, else chromium on the PATH; without one the test
// fails in CI and is skipped elsewhere (see [Missing]). The browser is closed when
// the test ends; if the test failed, a screenshot of the page is saved first (see
// [Screenshot]).
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last in, first out)

	opts := append(docs.HeadlessOptions(path),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		// A French user's browser: the app picks its language from
		// Accept-Language, and Chromium's default is the system's (often en-US).
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
	)
	// The browser lives as long as the context of its first run, so it hangs off
	// Background and not t.Context(), which ends before the cleanups run and would
	// close the browser before a failure screenshot.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close gracefully so that no Chromium process still writes into the
		// profile when t.TempDir removes it, then free everything.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("closing Chromium: %v", err)
		}
		cancel()
		cancelCtx()
		cancelAlloc()
	})

	// Start the browser and open its tab, within a bound: a timeout on the
	// context of this first run would stop the browser with it.
	timer := time.AfterFunc(browserStart, cancelCtx)
	err := chromedp.Do(ctx)
	if !timer.Stop() {
		t.Fatalf("Chromium (%s) did not start within %s", path, browserStart)
	}
	if err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}

	// Registered after the browser cleanup, so it runs before it.
	t.Cleanup(func() {
		if t.Failed() {
			Screenshot(t, ctx)
		}
	})
	return ctx
}

// chromiumPath finds the Chromium binary, or stops the test.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CARE_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("CARE_CHROMIUM=%s is not an executable: %v", p, err)
		}
		return found
	}
	found, err := exec.LookPath("chromium")
	if err != nil {
		Missing(t, "Chromium", "apt-get install chromium (or run scripts/test.sh)")
	}
	return found
}

// Screenshot saves a full-page PNG of the browser's current page as
// <artifacts>/<test name>.png and returns its path ("" when it could not). The
// directory is $CARE_ARTIFACTS (relative to the repository root unless absolute),
// else artifacts/ at the repository root.
func Screenshot(t testing.TB, ctx context.Context) string {
	t.Helper()
	dir, err := artifactsDir()
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return ""
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("no screenshot: %v", err)
		return ""
	}
	path := filepath.Join(dir, sanitize(t.Name())+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("no screenshot: %v", err)
		return ""
	}
	t.Logf("screenshot of the page: %s", path)
	return path
}

// artifactsDir is where failure artifacts go.
func artifactsDir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := os.Getenv("CARE_ARTIFACTS")
	switch {
	case dir == "":
		return filepath.Join(root, "artifacts"), nil
	case filepath.IsAbs(dir):
		return dir, nil
	default:
		return filepath.Join(root, dir), nil
	}
}

// repoRoot walks up from the working directory (the test's package directory) to
// the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// sanitize makes a test name (subtests hold slashes) a safe file name.
func sanitize(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	s = strings.Trim(s, ".")
	if s == "" {
		s = "test"
	}
	return s
}
