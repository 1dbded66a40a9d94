package directory

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed content/checks.yaml
var contentFile embed.FS

// Content is the text of the checkpoints: titles, why they matter and how to fix,
// in French and English. The file may be adapted by an administrator; the code
// decides pass or fail.
type Content struct {
	Notice   string         `yaml:"notice"`
	NoticeEN string         `yaml:"notice_en"`
	Checks   []CheckText    `yaml:"checks"`
	byID     map[string]int `yaml:"-"`
}

// CheckText describes one checkpoint.
type CheckText struct {
	ID            string `yaml:"id"`
	ANSSI         string `yaml:"anssi"`
	Level         int    `yaml:"level"`
	Title         string `yaml:"title"`
	TitleEN       string `yaml:"title_en"`
	Why           string `yaml:"why"`
	Remediation   string `yaml:"remediation"`
	WhyEN         string `yaml:"why_en"`
	RemediationEN string `yaml:"remediation_en"`
}

// Localized picks the text of a language ("en" or French).
func (t CheckText) Localized(lang string) (title, why, remediation string) {
	if lang == "en" {
		return t.TitleEN, t.WhyEN, t.RemediationEN
	}
	return t.Title, t.Why, t.Remediation
}

var (
	contentOnce sync.Once
	content     Content
	contentErr  error
)

// LoadContent parses the shipped checkpoint texts once.
func LoadContent() (Content, error) {
	contentOnce.Do(func() {
		data, err := contentFile.ReadFile("content/checks.yaml")
		if err == nil {
			content, err = ParseContent(data)
		}
		contentErr = err
	})
	return content, contentErr
}

// ParseContent reads a checkpoint text file and checks that it describes exactly
// the implemented checkpoints, with their levels.
func ParseContent(data []byte) (Content, error) {
	var c Content
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("directory: content: %w", err)
	}
	c.byID = map[string]int{}
	for i, t := range c.Checks {
		if _, dup := c.byID[t.ID]; dup {
			return c, fmt.Errorf("directory: content: %s twice", t.ID)
		}
		if t.Title == "" || t.TitleEN == "" || t.Why == "" || t.Remediation == "" || t.WhyEN == "" || t.RemediationEN == "" || t.ANSSI == "" {
			return c, fmt.Errorf("directory: content: %s has an empty text", t.ID)
		}
		c.byID[t.ID] = i
	}
	for _, cp := range checkpoints {
		i, ok := c.byID[cp.id]
		if !ok {
			return c, fmt.Errorf("directory: content: checkpoint %s is not described", cp.id)
		}
		if c.Checks[i].Level != cp.level {
			return c, fmt.Errorf("directory: content: %s has level %d, the code %d", cp.id, c.Checks[i].Level, cp.level)
		}
	}
	if len(c.Checks) != len(checkpoints) {
		return c, fmt.Errorf("directory: content: %d texts for %d checkpoints", len(c.Checks), len(checkpoints))
	}
	return c, nil
}

// Text returns the description of a checkpoint.
func (c Content) Text(id string) CheckText {
	if i, ok := c.byID[id]; ok {
		return c.Checks[i]
	}
	return CheckText{ID: id, Title: id, TitleEN: id}
}
