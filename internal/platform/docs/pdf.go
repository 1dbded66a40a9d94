// Package docs produces documents: PDF reports printed by Chromium from the same
// HTML templates as the pages, spreadsheets for exports.
package docs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNoBrowser is returned when no Chromium is installed: PDF export needs one.
var ErrNoBrowser = errors.New("docs: no Chromium found for PDF export (install the chromium package or set CARE_CHROMIUM)")

// PDF prints self-contained HTML documents (styles inline, images as data) to PDF.
// One headless Chromium is started on first use and reused; documents never load
// anything from the network: the page is set from the HTML directly.
type PDF struct {
	Path string // Chromium binary; found on first use when empty

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

// chromiumPath finds the browser: CARE_CHROMIUM, then the usual names on the PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("CARE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// HeadlessOptions start Chromium headless, without sandbox (the server may run as
// root) and without any of its background traffic: it talks to no one.
func HeadlessOptions(path string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
}

func (p *PDF) browser() (context.Context, error) {
	if p.ctx != nil {
		return p.ctx, nil
	}
	path := p.Path
	if path == "" {
		var err error
		if path, err = chromiumPath(); err != nil {
			return nil, err
		}
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), HeadlessOptions(path)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		return nil, err
	}
	p.ctx, p.cancel = ctx, func() { cancelCtx(); cancelAlloc() }
	return ctx, nil
}

// Render prints html as an A4 PDF with page numbers.
func (p *PDF) Render(ctx context.Context, html string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	browser, err := p.browser()
	if err != nil {
		return nil, err
	}
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, 30*time.Second)
	defer cancelTimeout()
	stop := context.AfterFunc(ctx, cancelTimeout)
	defer stop()
	var out []byte
	err = chromedp.Do(tab,
		chromedp.Navigate("about:blank"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			_, err = chromedp.Call(ctx, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
			return err
		}),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{
				PrintBackground: &yes, PreferCSSPageSize: &yes, DisplayHeaderFooter: &yes,
				HeaderTemplate:    `<span></span>`,
				FooterTemplate:    `<div style="font-size:8px;width:100%;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>`,
				GenerateTaggedPDF: &yes,
			})
			out = res.Data
			return err
		}),
	)
	return out, err
}

// Close stops the browser.
func (p *PDF) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.ctx, p.cancel = nil, nil
	}
}
