package db_test

import (
	"testing"

	"care/internal/testkit"
)

const seatQuery = `SELECT o.path, COALESCE(o.name, '') FROM orgs o WHERE o.id = $1`

// BenchmarkReadRow compares a statement prepared once (ReadRow) with one parsed
// at each call, on a one-row read by primary key like a live stream's checks.
func BenchmarkReadRow(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			d := testkit.SQLite(b)
			if engine == "postgres" {
				d = testkit.Postgres(b)
			}
			root, err := testkit.NewApp(b, d, testkit.WithoutLoops).Server.Orgs.EnsureRoot(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			var path, name string
			b.Run("parsed", func(b *testing.B) {
				for b.Loop() {
					if err := d.Read.QueryRowContext(b.Context(), seatQuery, root.ID).Scan(&path, &name); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("prepared", func(b *testing.B) {
				for b.Loop() {
					if err := d.ReadRow(b.Context(), seatQuery, root.ID).Scan(&path, &name); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
