package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// LevelPoint is a 1–5 level measured at a date (an exposure scan, a directory audit).
type LevelPoint struct {
	At    time.Time
	Level int
}

// LevelChart draws the levels as bars, in the order given (oldest first), with
// its title written above, a vertical axis of the levels 1 to 5, the date under
// each bar and its value over it, each bar in the tone of its level (tone.go);
// nothing when there is no point.
func LevelChart(title string, points []LevelPoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	const left, top, step, bottom = 44, 34, 20, 134 // the axes meet at (left, bottom); level l is at bottom - l*step
	width := left + 16 + len(points)*40
	t := template.HTMLEscapeString(title)
	var b strings.Builder
	// Wide enough for the whole title (about 7 units a character at 13 px).
	fmt.Fprintf(&b, `<svg class="chart levels" viewBox="0 0 %d 172" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, max(width, 220, 7*len([]rune(title))+8), t)
	fmt.Fprintf(&b, `<text class="chart-title" x="0" y="14" font-size="13" font-weight="bold">%s</text>`, t)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d" stroke="#4f5a66"/><line class="axis" x1="%d" y1="%d" x2="%d" y2="%d" stroke="#4f5a66"/>`,
		left, top-8, left, bottom, left, bottom, width-8, bottom)
	fmt.Fprintf(&b, `<text x="0" y="%d" font-size="10">niveau</text>`, top-12)
	for l := 1; l <= 5; l++ {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="end">%d</text>`, left-6, bottom-l*step+4, l)
	}
	for i, p := range points {
		x, h := left+12+i*40, p.Level*step
		tone := Tone(p.Level)
		fmt.Fprintf(&b, `<rect class="tone-%s" x="%d" y="%d" width="24" height="%d" fill="%s"><title>%s : niveau %d</title></rect>`, tone, x, bottom-h, h, toneColours[tone], p.At.Format("02/01/2006"), p.Level)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold" text-anchor="middle">%d</text><text x="%d" y="%d" font-size="10" text-anchor="middle">%s</text>`,
			x+12, bottom-h-4, p.Level, x+12, bottom+14, p.At.Format("02/01"))
	}
	fmt.Fprintf(&b, `<text x="%d" y="168" font-size="10" text-anchor="end">date</text>`, width-8)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}
