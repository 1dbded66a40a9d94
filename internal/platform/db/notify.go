package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Notifications between the instances sharing one PostgreSQL database: a
// transaction announces a change on a channel (NOTIFY, sent when it commits,
// never if it rolls back) and every instance listening on the channel hears it.
// "NOTIFY interacts with SQL transactions in some important ways. Firstly, if a
// NOTIFY is executed inside a transaction, the notify events are not delivered
// until and unless the transaction is committed" (PostgreSQL documentation,
// SQL Commands, NOTIFY). SQLite serves one process: there is nothing to
// announce, and both functions do nothing.

// Notify announces payload on channel when tx commits, on PostgreSQL.
func (d *DB) Notify(ctx context.Context, tx *sql.Tx, channel, payload string) error {
	if d.Engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("db: notify %s: %w", channel, err)
	}
	return nil
}

// Listen backoff: the first retry after listenRetry, doubled after each failure
// up to listenRetryMax; a connection that listened resets it.
const (
	listenRetry    = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// Listen calls heard with the payload of each notification on channel until ctx
// ends, on PostgreSQL; on SQLite it returns at once. It holds one connection of
// the pool for itself. When that connection fails it takes another, after a
// growing pause, and calls listening each time LISTEN has taken effect (first
// time included): notifications sent while no connection listened are lost, so
// the caller looks again at what it watches.
func (d *DB) Listen(ctx context.Context, channel string, listening func(), heard func(payload string)) {
	if d.Engine != Postgres {
		return
	}
	wait := listenRetry
	for {
		err := d.listen(ctx, channel, func() {
			wait = listenRetry
			listening()
		}, heard)
		if ctx.Err() != nil {
			return
		}
		// The error names no secret: pgx's connection errors give the host,
		// user and database, never the password.
		slog.Warn("db: listening stopped, listening again", "channel", channel, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listen listens on one connection of the pool until it fails or ctx ends. The
// connection is closed afterwards, never given back to the pool: it would still
// be listening.
func (d *DB) listen(ctx context.Context, channel string, listening func(), heard func(string)) error {
	conn, err := d.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: listen needs the pgx driver, not %T", dc)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		listening()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// ErrBadConn: database/sql closes the connection.
				return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
			}
			heard(n.Payload)
		}
	})
}
