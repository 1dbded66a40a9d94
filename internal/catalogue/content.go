package catalogue

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"

	"care/internal/platform/problem"
)

//go:embed content/catalogue.yaml
var shippedYAML []byte

// Content is what the binary ships: the starting set of offers, the campaign
// material of the awareness library, and the names of the region codes.
type Content struct {
	Regions   map[string]string `yaml:"regions"`
	Offers    []contentOffer    `yaml:"offers"`
	Campaigns []Campaign        `yaml:"campaigns"`
}

type contentOffer struct {
	Ref          string   `yaml:"ref"`
	Title        string   `yaml:"title"`
	Provider     string   `yaml:"provider"`
	ProviderType string   `yaml:"provider_type"`
	Themes       []string `yaml:"themes"`
	Audience     []string `yaml:"audience"`
	Region       string   `yaml:"region"`
	Cost         string   `yaml:"cost"`
	URL          string   `yaml:"url"`
	Contact      string   `yaml:"contact"`
	Description  string   `yaml:"description"`
}

// Campaign is one item of the awareness library: a link to public material.
type Campaign struct {
	Ref         string `yaml:"ref"`
	Title       string `yaml:"title"`
	By          string `yaml:"by"`
	URL         string `yaml:"url"`
	Description string `yaml:"description"`
}

var shipped = sync.OnceValues(func() (Content, error) { return parseContent(shippedYAML) })

// Shipped is the content shipped in the binary, checked whole.
func Shipped() (Content, error) { return shipped() }

// ShippedOffers are the starting set of offers.
func (c Content) ShippedOffers() []Offer {
	out := make([]Offer, 0, len(c.Offers))
	for _, o := range c.Offers {
		out = append(out, Offer{Ref: o.Ref, Title: o.Title, Provider: o.Provider, ProviderType: o.ProviderType, Themes: o.Themes, Audience: o.Audience,
			Region: o.Region, Cost: o.Cost, URL: o.URL, Contact: o.Contact, Description: o.Description, Shipped: true})
	}
	return out
}

// parseContent reads and checks the shipped content: every offer valid, every
// ref once, every region known, every campaign with its link.
func parseContent(data []byte) (Content, error) {
	var c Content
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("catalogue: content: %w", err)
	}
	var checks problem.Checks
	refs := map[string]bool{}
	for i, o := range c.ShippedOffers() {
		field := func(f string) string { return fmt.Sprintf("offers[%d].%s", i, f) }
		o.Check(&checks, field)
		if o.Ref == "" || refs[o.Ref] {
			checks.Add(field("ref"), "catalogue.error.ref", o.Ref)
		}
		refs[o.Ref] = true
		if _, ok := c.Regions[o.Region]; o.Region != "" && !ok {
			checks.Add(field("region"), "catalogue.error.region", o.Region)
		}
	}
	for i, cp := range c.Campaigns {
		if cp.Ref == "" || cp.Title == "" || cp.URL == "" || cp.By == "" {
			checks.Add(fmt.Sprintf("campaigns[%d]", i), "catalogue.error.required")
		}
	}
	if err := checks.Err(); err != nil {
		return c, fmt.Errorf("catalogue: content: %w", err)
	}
	return c, nil
}
