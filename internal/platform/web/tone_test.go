package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// luminance is the relative luminance of a #rrggbb colour (WCAG 2.1, definition
// of relative luminance).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %s: %v", hex, err)
		}
		x := float64(v) / 255
		if x <= 0.03928 {
			c[i] = x / 12.92
		} else {
			c[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// contrast is the contrast ratio of two colours (WCAG 2.1, definition of
// contrast ratio).
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Every tone of the scale, as care.css defines it, writes its text at a contrast
// of at least 4.5:1 on its background (WCAG 2.1 1.4.3, RGAA 3.2), and draws
// chart marks at least 3:1 against white (WCAG 2.1 1.4.11); the tones differ.
func TestToneContrast(t *testing.T) {
	css, err := staticFiles.ReadFile("static/care.css")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, tone := range []string{"critical", "high", "medium", "low", "good", "progress", "neutral"} {
		colour := func(part string) string {
			m := regexp.MustCompile(`--tone-` + tone + `-` + part + `: (#[0-9a-f]{6});`).FindSubmatch(css)
			if m == nil {
				t.Fatalf("care.css defines no --tone-%s-%s", tone, part)
			}
			return string(m[1])
		}
		bg, ink, mark := colour("bg"), colour("ink"), colour("mark")
		if c := contrast(t, bg, ink); c < 4.5 {
			t.Errorf("%s: text %s on %s has a contrast of %.2f:1, want 4.5:1", tone, ink, bg, c)
		}
		if c := contrast(t, mark, "#ffffff"); c < 3 {
			t.Errorf("%s: mark %s on white has a contrast of %.2f:1, want 3:1", tone, mark, c)
		}
		if toneColours[tone] != mark {
			t.Errorf("%s: charts draw %s, care.css %s", tone, toneColours[tone], mark)
		}
		if other, ok := seen[bg]; ok {
			t.Errorf("%s and %s share the background %s", tone, other, bg)
		}
		seen[bg] = tone
	}
}

// Severities, levels and states people must tell apart map to different tones.
func TestToneTellsStatesApart(t *testing.T) {
	for _, set := range [][]any{
		{"critical", "high", "medium", "low"},
		{1, 2, 3, 4, 5},
		{"fixed", "persisting", "new"},
		{"draft", "validated"},
		{"not_started", "in_progress", "done"},
	} {
		seen := map[string]any{}
		for _, v := range set {
			tone := Tone(v)
			if other, ok := seen[tone]; ok {
				t.Errorf("%v and %v share the tone %s", v, other, tone)
			}
			seen[tone] = v
		}
	}
	if Tone("3") != Tone(3) || Tone("unknown") != "neutral" {
		t.Error("a level reads the same as a number and as digits; anything else is neutral")
	}
}
