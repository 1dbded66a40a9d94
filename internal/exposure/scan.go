package exposure

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"
)

// State is what a TCP connect attempt tells of a port.
type State string

const (
	Open     State = "open"
	Closed   State = "closed"   // the host answered with a reset
	Filtered State = "filtered" // no answer in time, or unreachable
)

// Options tune a scan. Zero values take the defaults.
type Options struct {
	Ports        []int
	Concurrency  int           // connect attempts at once (default 400)
	Timeout      time.Duration // per connect attempt (default 1.5 s)
	Retries      int           // extra attempts on a filtered port (default 1)
	PerSecond    int           // connect attempts per second, 0 for no limit
	ProbeTimeout time.Duration // per identification probe (default 2 s)
	Identify     bool          // read banners and probe the open ports
	Every        bool          // report closed and filtered ports too, not only open ones
	// Progress, when set, is told how many of the connect attempts are done.
	Progress func(done, total int)
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 400
	}
	if o.Timeout <= 0 {
		o.Timeout = 1500 * time.Millisecond
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 1
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 2 * time.Second
	}
}

// Observation is what the scan saw on one port.
type Observation struct {
	Address netip.Addr `json:"address"`
	Port    int        `json:"port"`
	State   State      `json:"state"`
	Service string     `json:"service,omitempty"`
	Product string     `json:"product,omitempty"` // vendor:product, as in rules.yaml
	Version string     `json:"version,omitempty"`
	Banner  string     `json:"banner,omitempty"` // the evidence, trimmed
	TLS     *TLSInfo   `json:"tls,omitempty"`
	HTTP    *HTTPInfo  `json:"http,omitempty"`
}

type probe struct {
	addr netip.Addr
	port int
}

// Scan connects to every port of every address and reports the open ones, then,
// when asked, identifies what listens there. Only the given addresses are contacted:
// the caller has checked them against the inventory (Scope.Resolve).
func Scan(ctx context.Context, addrs []netip.Addr, o Options) ([]Observation, error) {
	o.defaults()
	if err := CheckSize(len(addrs), len(o.Ports)); err != nil {
		return nil, err
	}
	probes := make([]probe, 0, len(addrs)*len(o.Ports))
	for _, a := range addrs {
		for _, p := range o.Ports {
			probes = append(probes, probe{a, p})
		}
	}
	// Shuffled, so that no host receives a burst of consecutive ports.
	rand.Shuffle(len(probes), func(i, j int) { probes[i], probes[j] = probes[j], probes[i] })

	var pace <-chan time.Time
	if o.PerSecond > 0 {
		t := time.NewTicker(time.Second / time.Duration(o.PerSecond))
		defer t.Stop()
		pace = t.C
	}
	jobs := make(chan probe)
	var mu sync.Mutex
	var open []Observation
	done := 0
	var wg sync.WaitGroup
	for range min(o.Concurrency, len(probes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				state := connect(ctx, p, o.Timeout)
				for try := 0; state == Filtered && try < o.Retries && ctx.Err() == nil; try++ {
					state = connect(ctx, p, o.Timeout)
				}
				mu.Lock()
				if state == Open || o.Every {
					open = append(open, Observation{Address: p.addr, Port: p.port, State: state})
				}
				done++
				if o.Progress != nil {
					o.Progress(done, len(probes))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range probes {
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortObservations(open)
	if o.Identify {
		identifyAll(ctx, open, o.ProbeTimeout)
	}
	return open, ctx.Err()
}

// connect makes one TCP connection attempt and closes it at once with a reset, so
// that no TIME_WAIT piles up on either side.
func connect(ctx context.Context, p probe, timeout time.Duration) State {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", hostPort(p.addr, p.port))
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
		return Open
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return Closed
	}
	return Filtered
}

func sortObservations(obs []Observation) {
	slices.SortFunc(obs, func(a, b Observation) int {
		return cmp.Or(a.Address.Compare(b.Address), cmp.Compare(a.Port, b.Port))
	})
}

// identifyAll identifies the open ports, a few at a time.
func identifyAll(ctx context.Context, obs []Observation, timeout time.Duration) {
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range obs {
		if obs[i].State != Open {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			identify(ctx, &obs[i], timeout)
		}()
	}
	wg.Wait()
}
