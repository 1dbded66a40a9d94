package web

import (
	"reflect"
	"strconv"
)

// The one colour scale of every badge and chart (issue 15, point 5): a state, a
// severity or a level maps to one of seven tones, defined once in care.css
// ("States, levels and charts") as custom properties --tone-*-bg and
// --tone-*-ink, text over background at a contrast of at least 4.5:1 (WCAG 2.1
// criterion 1.4.3, RGAA criterion 3.2).
//
//	critical  a critical finding, level 1, a refusal: act now
//	high      a high finding, level 2, a new weakness
//	medium    a medium finding, level 3, waiting for someone's decision
//	low       a low finding, level 4, a weakness that persists
//	good      level 5, done, validated, fixed
//	progress  in progress, a draft being written
//	neutral   not started, accepted risk, informational, closed
var tones = map[string]string{
	// severities of findings and checkpoints
	"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": "neutral",
	// where a capability stands (home.State)
	"not_started": "neutral", "in_progress": "progress", "done": "good",
	// the life of a document: an assessment, a plan, a RETEX
	"draft": "progress", "review": "medium", "validated": "good", "locked": "good",
	// findings and checkpoints followed from one audit to the next
	"open": "high", "new": "high", "persisting": "low", "accepted": "neutral", "fixed": "good",
	// a candidature or a declaration and its decision
	"submitted": "medium", "rejected": "critical", "refused": "critical",
	"control_failed": "critical", "more": "medium", "closed": "neutral",
	// a candidature to a CaRE call, from its instruction to its payment
	"funding_submitted": "medium", "funding_accepted": "good", "funding_rejected": "critical", "funding_withdrawn": "neutral",
	"funding_declared": "progress", "funding_verified": "progress", "funding_controlled": "good", "funding_control_failed": "critical", "funding_paid": "good",
	// an incident declaration
	"qualified": "progress",
	// an impact level of a BIA, 1 (low) to 4 (unacceptable), as its heat map shows it
	"impact_1": "low", "impact_2": "medium", "impact_3": "high", "impact_4": "critical",
}

// Tone is the tone of a state, a severity ("critical"…) or a level (1 to 5, as
// an int or its digits); "neutral" for anything else.
func Tone(v any) string {
	var code string
	switch x := v.(type) {
	case interface{ Code() string }:
		code = x.Code()
	case *int:
		if x != nil {
			code = strconv.Itoa(*x)
		}
	default: // a string or an int, or a type made of one (maturity.Status…)
		switch r := reflect.ValueOf(v); r.Kind() {
		case reflect.String:
			code = r.String()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			code = strconv.FormatInt(r.Int(), 10)
		}
	}
	switch code {
	case "1":
		return "critical"
	case "2":
		return "high"
	case "3":
		return "medium"
	case "4":
		return "low"
	case "5":
		return "good"
	}
	if t, ok := tones[code]; ok {
		return t
	}
	return "neutral"
}

// ToneClass is the class of a badge or a chart mark in the scale: "tone-critical"….
func ToneClass(v any) string { return "tone-" + Tone(v) }

// toneColours are the tones' fills in charts drawn in SVG, the same as the
// background of care.css's --tone-*-mark.
var toneColours = map[string]string{
	"critical": "#b3261e", "high": "#c4501a", "medium": "#a67c00", "low": "#00897b",
	"good": "#2e7d32", "progress": "#3b6fc4", "neutral": "#7d8793",
}
