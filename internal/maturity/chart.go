package maturity

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn on the server as SVG: no script, printable, readable by screen
// readers through their title and description. Colours are presentation attributes,
// which the content security policy allows (style attributes it would block).

// RadarPoint is one axis of a radar chart.
type RadarPoint struct {
	Label   string
	Percent *float64 // nil when the theme has no score
}

// Radar draws scores per theme on a radar of 0–100 %.
func Radar(title string, points []RadarPoint) template.HTML {
	const width, height, cx, cy, radius = 800.0, 560.0, 400.0, 280.0, 150.0
	n := len(points)
	if n < 3 {
		return bars(title, points)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart radar" viewBox="0 0 %g %g" role="img" aria-labelledby="radar-t radar-d" xmlns="http://www.w3.org/2000/svg">`, width, height)
	fmt.Fprintf(&b, `<title id="radar-t">%s</title><desc id="radar-d">%s</desc>`, html.EscapeString(title), html.EscapeString(describe(points)))
	angle := func(i int) float64 { return -math.Pi/2 + 2*math.Pi*float64(i)/float64(n) }
	at := func(i int, pct float64) (float64, float64) {
		r := radius * pct / 100
		return cx + r*math.Cos(angle(i)), cy + r*math.Sin(angle(i))
	}
	for _, ring := range []float64{25, 50, 75, 100} {
		var pts []string
		for i := range n {
			x, y := at(i, ring)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="none" stroke="#c9d1db" stroke-width="1"/>`, strings.Join(pts, " "))
		x, y := at(0, ring)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#4f5a66">%g %%</text>`, x+4, y+4, ring)
	}
	var pts []string
	for i, p := range points {
		x, y := at(i, 100)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%.1f" y2="%.1f" stroke="#c9d1db"/>`, cx, cy, x, y)
		lx, ly := at(i, 118)
		anchor := "middle"
		if lx < cx-10 {
			anchor = "end"
		} else if lx > cx+10 {
			anchor = "start"
		}
		// The whole label, on lines of at most 22 characters, and its value: never
		// cut. Labels above the centre grow upwards, away from the chart.
		lines := wrap(p.Label, 22)
		value := "non évalué"
		if p.Percent != nil {
			value = fmt.Sprintf("%.0f %%", *p.Percent)
		}
		ty := ly + 4
		if ly < cy-10 {
			ty -= float64(len(lines)) * 15
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="%s" fill="#1b1f24">`, lx, ty, anchor)
		for j, line := range lines {
			dy := 0
			if j > 0 {
				dy = 15
			}
			fmt.Fprintf(&b, `<tspan x="%.1f" dy="%d">%s</tspan>`, lx, dy, html.EscapeString(line))
		}
		fmt.Fprintf(&b, `<tspan x="%.1f" dy="15" font-weight="bold">%s</tspan></text>`, lx, value)
		v := 0.0
		if p.Percent != nil {
			v = *p.Percent
		}
		px, py := at(i, v)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
	}
	fmt.Fprintf(&b, `<polygon points="%s" fill="#0b3d91" fill-opacity="0.25" stroke="#0b3d91" stroke-width="2.5"/>`, strings.Join(pts, " "))
	for i, p := range points {
		if p.Percent == nil {
			continue
		}
		x, y := at(i, *p.Percent)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#0b3d91"/>`, x, y)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// bars draws scores as horizontal bars, for fewer than three themes: each
// label whole (on lines of at most 26 characters), its bar and its value.
func bars(title string, points []RadarPoint) template.HTML {
	var rows strings.Builder
	y := 30
	for _, p := range points {
		lines := wrap(p.Label, 26)
		v, value := 0.0, "non évalué"
		if p.Percent != nil {
			v, value = *p.Percent, fmt.Sprintf("%.0f %%", *p.Percent)
		}
		fmt.Fprintf(&rows, `<text x="0" y="%d" font-size="13">`, y+13)
		for j, line := range lines {
			fmt.Fprintf(&rows, `<tspan x="0" dy="%d">%s</tspan>`, min(j, 1)*15, html.EscapeString(line))
		}
		fmt.Fprintf(&rows, `</text><rect x="200" y="%d" width="%.1f" height="18" fill="#0b3d91"/><text x="%.1f" y="%d" font-size="12" font-weight="bold">%s</text>`, y, v*2.4, 206+v*2.4, y+13, value)
		y += max(34, 15*len(lines)+12)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 520 %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><desc>%s</desc>`, y, html.EscapeString(title), html.EscapeString(describe(points)))
	fmt.Fprintf(&b, `<text class="chart-title" x="0" y="14" font-size="13" font-weight="bold">%s</text>`, html.EscapeString(title))
	b.WriteString(rows.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// DeltaChart draws each theme before and after, with the difference.
func DeltaChart(title string, deltas []ThemeDelta) template.HTML {
	const labelW, barW = 230.0, 260.0
	// Each row holds its whole title, on lines of at most 30 characters.
	ys, h := make([]float64, len(deltas)), 30.0
	for i, d := range deltas {
		ys[i] = h
		h += max(46, 15*float64(len(wrap(d.Title, 30)))+16)
	}
	var b strings.Builder
	var desc []string
	for _, d := range deltas {
		if v, ok := d.Delta(); ok {
			desc = append(desc, fmt.Sprintf("%s : %+.0f points", d.Title, v))
		}
	}
	fmt.Fprintf(&b, `<svg class="chart delta" viewBox="0 0 600 %.0f" role="img" aria-labelledby="delta-t delta-d" xmlns="http://www.w3.org/2000/svg">`, h)
	fmt.Fprintf(&b, `<title id="delta-t">%s</title><desc id="delta-d">%s</desc>`, html.EscapeString(title), html.EscapeString(strings.Join(desc, " ; ")))
	fmt.Fprintf(&b, `<rect x="%g" y="6" width="12" height="10" fill="#9fb3d1"/><text x="%g" y="15" font-size="12">avant</text>`, labelW, labelW+16)
	fmt.Fprintf(&b, `<rect x="%g" y="6" width="12" height="10" fill="#0b3d91"/><text x="%g" y="15" font-size="12">après</text>`, labelW+70, labelW+86)
	for i, d := range deltas {
		y := ys[i]
		fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="13">`, y+12)
		for j, line := range wrap(d.Title, 30) {
			fmt.Fprintf(&b, `<tspan x="0" dy="%d">%s</tspan>`, min(j, 1)*15, html.EscapeString(line))
		}
		b.WriteString(`</text>`)
		for j, v := range []*float64{d.Before, d.After} {
			w := 0.0
			if v != nil {
				w = *v / 100 * barW
			}
			fill := "#9fb3d1"
			if j == 1 {
				fill = "#0b3d91"
			}
			fmt.Fprintf(&b, `<rect x="%g" y="%.0f" width="%.1f" height="16" fill="%s"/>`, labelW, y+float64(j)*18, w, fill)
		}
		if v, ok := d.Delta(); ok {
			colour := "#2e7d32" // the tones "good" and "critical" of web.Tone
			if v < 0 {
				colour = "#b3261e"
			}
			fmt.Fprintf(&b, `<text x="%g" y="%.0f" font-size="14" font-weight="bold" fill="%s">%+.0f</text>`, labelW+barW+12, y+24, colour, v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

func describe(points []RadarPoint) string {
	var parts []string
	for _, p := range points {
		if p.Percent == nil {
			parts = append(parts, p.Label+" : non évalué")
		} else {
			parts = append(parts, fmt.Sprintf("%s : %.0f %%", p.Label, *p.Percent))
		}
	}
	return strings.Join(parts, " ; ")
}

// wrap splits s into lines of at most n characters at spaces (a longer word
// stands on its own line, whole).
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
