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

var levelColours = map[int]string{1: "#c8102e", 2: "#e0642c", 3: "#d9a300", 4: "#7aa33b", 5: "#1e6b35"}

// LevelChart draws the levels as bars, in the order given (oldest first); nothing
// when there is no point.
func LevelChart(title string, points []LevelPoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d 140" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, 40+len(points)*40, template.HTMLEscapeString(title))
	for i, p := range points {
		x, h := 30+i*40, p.Level*20
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="24" height="%d" fill="%s"><title>%s : niveau %d</title></rect>`, x, 110-h, h, levelColours[p.Level], p.At.Format("02/01/2006"), p.Level)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">%d</text><text x="%d" y="128" font-size="9" text-anchor="middle">%s</text>`, x+12, 105-h, p.Level, x+12, p.At.Format("02/01"))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}
