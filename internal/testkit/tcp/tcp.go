// Package tcp gives tests services of their own on loopback addresses. It
// imports nothing of the application, so that a capability's internal tests may
// use it (testkit imports the server, hence every capability).
package tcp

import (
	"net"
	"testing"
	"time"
)

// Listen listens on addr (host:port; port 0 for any) until the test ends, and
// answers every connection with serve in a goroutine of its own, the connection
// closed after it (at once when serve is nil). Tests that need a service on a
// loopback address of their own build it with this: a banner, a protocol's first
// bytes, a trap that records what it receives.
func Listen(t testing.TB, addr string, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if serve != nil {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					serve(c)
				}
			}()
		}
	}()
	return ln
}

// Greeting answers a connection with the first bytes of a service.
func Greeting(b []byte) func(net.Conn) {
	return func(c net.Conn) { _, _ = c.Write(b) }
}

// Port is the TCP port a listener got.
func Port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }
