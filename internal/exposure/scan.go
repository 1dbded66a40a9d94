package exposure

import (
	"care/internal/platform/problem"
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
	Ports       []int
	Concurrency int           // the most connect attempts at once (default 2,000)
	Timeout     time.Duration // the longest wait for one attempt (default 1.5 s)
	// MinTimeout is the shortest wait for one attempt (default 100 ms), however
	// fast the host answers.
	MinTimeout   time.Duration
	Retries      int           // the most extra attempts on a port that gave no answer (default 3)
	PerSecond    int           // connect attempts per second, 0 for no limit
	ProbeTimeout time.Duration // per identification probe (default 2 s)
	Identify     bool          // read banners and probe the open ports
	Every        bool          // report closed and filtered ports too, not only open ones
	// Progress, when set, is told how many of the ports are done.
	Progress func(done, total int)
}

// Bounds of the timing options that a person may set.
const (
	MaxConcurrency = 10000
	MaxTimeout     = 30 * time.Second
	MinTimeout     = 10 * time.Millisecond
	MaxPerSecond   = 1_000_000
)

// CheckTiming refuses timing options out of range, with what is allowed.
func CheckTiming(concurrency int, timeout time.Duration, perSecond int) error {
	var c problem.Checks
	if concurrency < 0 || concurrency > MaxConcurrency {
		c.Add("concurrency", "exposure.error.concurrency", concurrency, MaxConcurrency)
	}
	if timeout != 0 && (timeout < MinTimeout || timeout > MaxTimeout) {
		c.Add("timeout", "exposure.error.timeout", timeout.String(), MinTimeout.String(), MaxTimeout.String())
	}
	if perSecond < 0 || perSecond > MaxPerSecond {
		c.Add("rate", "exposure.error.rate", perSecond, MaxPerSecond)
	}
	return c.Err()
}

// The starting points of the adaptive timing: the first attempts on a host wait
// initialTimeout (nmap's -T4 waits 500 ms, its default 1 s), and the scan starts
// with initialWindow attempts in flight, never fewer than minWindow.
const (
	initialTimeout = time.Second
	initialWindow  = 400
	minWindow      = 50
)

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 2000
	}
	if o.Timeout <= 0 {
		o.Timeout = 1500 * time.Millisecond
	}
	if o.MinTimeout <= 0 {
		o.MinTimeout = min(100*time.Millisecond, o.Timeout)
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 3
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

// attempt is one connect attempt of a probe; try 0 is the first.
type attempt struct {
	probe
	try int
}

type outcome struct {
	attempt
	state State
	rtt   time.Duration
}

// Scan connects to every port of every address and reports the open ones, each
// identified as soon as it is found when asked. Only the given addresses are
// contacted: the caller has checked them against the inventory (Scope.Resolve).
// The timing adapts to each host as it answers (timing.go).
func Scan(ctx context.Context, addrs []netip.Addr, o Options) ([]Observation, error) {
	o.defaults()
	if err := CheckSize(len(addrs), len(o.Ports)); err != nil {
		return nil, err
	}
	queue := scanOrder(addrs, o.Ports)
	total := len(queue)
	hosts := make(map[netip.Addr]*hostTiming, len(addrs))
	for _, a := range addrs {
		hosts[a] = newHostTiming()
	}
	win := newWindow(min(initialWindow, o.Concurrency), min(minWindow, o.Concurrency), o.Concurrency)

	var pace <-chan time.Time
	if o.PerSecond > 0 {
		t := time.NewTicker(time.Second / time.Duration(o.PerSecond))
		defer t.Stop()
		pace = t.C
	}
	results := make(chan outcome)
	var retries []attempt // repeated attempts go before new ports
	// parked holds the ports that gave no answer to as many attempts as retries
	// had paid on their host when they failed; the verdict waits for the end,
	// when later answers may have shown that more attempts pay (a lossy link).
	var parked []attempt
	inFlight, done := 0, 0
	var found []*Observation
	id := newIdentifier(ctx, o)
	// settle records a port's verdict: counted, kept when open (and identified
	// at once) or when every state is asked for.
	settle := func(p probe, state State) {
		done++
		if o.Progress != nil {
			o.Progress(done, total)
		}
		if state == Open || o.Every {
			obs := &Observation{Address: p.addr, Port: p.port, State: state}
			found = append(found, obs)
			if state == Open {
				id.start(obs)
			}
		}
	}
	for {
		for ctx.Err() == nil && inFlight < win.limit() && len(retries)+len(queue) > 0 {
			var next attempt
			if len(retries) > 0 {
				next, retries = retries[0], retries[1:]
			} else {
				next, queue = attempt{probe: queue[0]}, queue[1:]
			}
			if pace != nil {
				select {
				case <-pace:
				case <-ctx.Done():
				}
			}
			timeout := hosts[next.addr].timeout(next.try, o.MinTimeout, initialTimeout, o.Timeout)
			inFlight++
			go func() {
				state, rtt := connect(ctx, next.probe, timeout)
				results <- outcome{next, state, rtt}
			}()
		}
		if inFlight == 0 {
			if retries, parked = unpark(parked, hosts, o.Retries); len(retries) > 0 && ctx.Err() == nil {
				continue
			}
			for _, a := range parked {
				settle(a.probe, Filtered)
			}
			break
		}
		r := <-results
		inFlight--
		h := hosts[r.addr]
		if r.state != Filtered {
			h.observe(r.rtt, r.try)
			if r.try > 0 {
				win.lost(time.Now(), h.srtt)
			} else {
				win.answered()
			}
		} else if r.try < h.retries(o.Retries) && ctx.Err() == nil {
			retries = append(retries, attempt{r.probe, r.try + 1})
			continue
		} else if r.try < o.Retries && ctx.Err() == nil {
			parked = append(parked, r.attempt)
			continue
		}
		settle(r.probe, r.state)
	}
	id.wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Observation, len(found))
	for i, obs := range found {
		out[i] = *obs
	}
	sortObservations(out)
	return out, nil
}

// unpark splits the parked attempts into those their host now grants another
// try, as the next attempts, and those left without an answer for good.
func unpark(parked []attempt, hosts map[netip.Addr]*hostTiming, limit int) (again, still []attempt) {
	for _, a := range parked {
		if a.try < hosts[a.addr].retries(limit) {
			again = append(again, attempt{a.probe, a.try + 1})
		} else {
			still = append(still, a)
		}
	}
	return again, still
}

// scanOrder lists the probes: each host's likeliest ports first, so that its
// first answers (and round-trip times) come early; then the rest, shuffled so that
// no host receives a burst of consecutive ports.
func scanOrder(addrs []netip.Addr, ports []int) []probe {
	var first, rest []probe
	for _, a := range addrs {
		for _, p := range ports {
			if slices.Contains(likelyPorts, p) {
				first = append(first, probe{a, p})
			} else {
				rest = append(rest, probe{a, p})
			}
		}
	}
	rand.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	rand.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append(first, rest...)
}

// likelyPorts are the ports an Internet-facing host most often answers on.
var likelyPorts = []int{80, 443, 22, 25, 21, 3389, 8080, 8443, 53, 110, 143, 993, 995, 587, 465}

// connect makes one TCP connection attempt and closes it at once with a reset, so
// that no TIME_WAIT piles up on either side; it says how long the answer took.
func connect(ctx context.Context, p probe, timeout time.Duration) (State, time.Duration) {
	d := net.Dialer{Timeout: timeout}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", hostPort(p.addr, p.port))
	rtt := time.Since(start)
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		conn.Close()
		return Open, rtt
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return Closed, rtt
	}
	return Filtered, rtt
}

func sortObservations(obs []Observation) {
	slices.SortFunc(obs, func(a, b Observation) int {
		return cmp.Or(a.Address.Compare(b.Address), cmp.Compare(a.Port, b.Port))
	})
}

// identifier identifies open ports while the scan goes on, a few at a time.
type identifier struct {
	ctx     context.Context
	o       Options
	sem     chan struct{}
	pending sync.WaitGroup
}

func newIdentifier(ctx context.Context, o Options) *identifier {
	return &identifier{ctx: ctx, o: o, sem: make(chan struct{}, 32)}
}

// start identifies obs in the background when the scan identifies.
func (id *identifier) start(obs *Observation) {
	if !id.o.Identify {
		return
	}
	id.pending.Add(1)
	go func() {
		defer id.pending.Done()
		id.sem <- struct{}{}
		defer func() { <-id.sem }()
		identify(id.ctx, obs, id.o.ProbeTimeout)
	}()
}

func (id *identifier) wait() { id.pending.Wait() }
