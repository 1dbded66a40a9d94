package demo

import (
	"context"
	"fmt"
	"time"

	"care/internal/account"
	"care/internal/incident"
	"care/internal/platform/db"
)

// Demo incidents, so that a newcomer sees the pages: the CHU's ransomware on
// its imaging servers, declared by its RSSI and qualified by CERT Santé; the
// CH's incident at its appointment-booking provider, declared by its DSI and
// waiting for CERT Santé.
func seedIncidents(ctx context.Context, d *db.DB, accounts *account.Service, ids map[string]int64) error {
	as := func(email string) (context.Context, error) { return actingAs(ctx, accounts, email) }
	at := func(month time.Month, day, hour int) *time.Time {
		t := time.Date(2025, month, day, hour, 0, 0, 0, time.UTC)
		return &t
	}
	list := []struct {
		key, by string
		on      *time.Time
		d       incident.Declaration
		qualify bool
	}{
		{"chu", "rssi@demo.care.test", at(time.October, 14, 9), incident.Declaration{
			Categories: []string{"care_safety", "normal_functioning"}, Type: "ransomware", Origin: "malicious",
			OccurredAt: at(time.October, 13, 23), DetectedAt: at(time.October, 14, 6),
			Perimeter:    "Serveurs d'imagerie (PACS) et deux postes du service de radiologie.",
			Summary:      "Fichiers chiffrés sur les serveurs d'imagerie, note de rançon découverte par l'équipe de nuit.",
			DegradedMode: true, PCAActivated: true, PatientImpact: true, PatientImpactDetail: "Examens d'imagerie non urgents reportés de 48 heures.",
			ActionsTaken: "Serveurs isolés du réseau, comptes à privilèges réinitialisés, plainte en cours.", SupportRequested: true, ContactPhone: "02 00 00 00 01"}, true},
		{"ch", "dsi@demo.care.test", at(time.November, 3, 15), incident.Declaration{
			Categories: []string{"normal_functioning"}, Type: "provider", Origin: "unknown",
			OccurredAt: at(time.November, 3, 8), DetectedAt: at(time.November, 3, 10),
			Perimeter:    "Prise de rendez-vous en ligne (service d'un prestataire).",
			Summary:      "Le service de prise de rendez-vous du prestataire est indisponible depuis le matin.",
			DegradedMode: true, ActionsTaken: "Prise de rendez-vous par téléphone, prestataire relancé.", ContactPhone: "02 00 00 00 02"}, false},
	}
	for _, l := range list {
		now := *l.on
		s := &incident.Service{DB: d, Now: func() time.Time { return now }}
		by, err := as(l.by)
		if err != nil {
			return err
		}
		i, err := s.Create(by, ids[l.key], l.d)
		if err == nil {
			i, err = s.Submit(by, i.ID)
		}
		if err != nil {
			return fmt.Errorf("demo: incident of %s: %w", l.key, err)
		}
		if !l.qualify {
			continue
		}
		now = now.Add(3 * time.Hour)
		cert, err := as("cert@demo.care.test")
		if err != nil {
			return err
		}
		if _, err := s.AddEntry(cert, i.ID, "Prise en charge par CERT Santé : premiers indicateurs de compromission transmis, point téléphonique à 14 h."); err != nil {
			return fmt.Errorf("demo: follow-up of %s: %w", l.key, err)
		}
		if _, err := s.Qualify(cert, i.ID, "high", "care_safety"); err != nil {
			return fmt.Errorf("demo: qualification of %s: %w", l.key, err)
		}
	}
	return nil
}
