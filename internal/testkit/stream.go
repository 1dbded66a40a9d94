package testkit

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// Follow opens a server-sent event stream and sends the data of each event on
// the returned channel, which closes when the server ends the stream. The
// request's context bounds the stream.
func Follow(t *testing.T, c *http.Client, req *http.Request) <-chan string {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream %s: %d", req.URL.Path, resp.StatusCode)
	}
	out := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- data
			}
		}
	}()
	return out
}
