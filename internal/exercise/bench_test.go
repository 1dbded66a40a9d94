package exercise_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/mail"
	"care/internal/testkit"
)

// Live play under load: 500 players follow one exercise over SSE and the benchmarks
// measure how long a stimulus takes to reach every player's client, from the moment
// it became due to the moment the client reads it from its stream. The clients run
// in the same process as the server(s), on the same two cores: their reading is part
// of the measured delay and of the memory, which is why the client-only cost is
// measured apart.
//
// Run them with (those on PostgreSQL need TEST_DATABASE_URL, see scripts/bench-exercise.sh):
//
//	go test ./internal/exercise -run '^$' -bench Players -benchtime 1x
//
// Each benchmark reports, in milliseconds over all (player, stimulus) pairs:
//   - sched_p50_ms, sched_p95_ms, sched_p99_ms: stimuli of the kit delivered on
//     schedule, due at T0 + offset/speed;
//   - sched_claim_p50_ms, sched_claim_max_ms: how long after their due moments
//     those stimuli were recorded sent, the delivery loop's share of the delay
//     (now_claim_… likewise for the stimuli sent now);
//   - now_p50_ms, now_p95_ms, now_p99_ms: stimuli the animator sends now (POST
//     …/stimuli/{sid}/send), due when that request is sent; benchRound of them per
//     iteration, one at a time, each waited for by every player, then a random
//     pause of up to a second (not timed) before the next;
//   - idle_cores: the CPU the process (server and clients) uses while every stream
//     waits and there is nothing to deliver (Linux only);
//   - ns/op: how long benchRound stimuli sent now take to reach every player,
//     pauses between them excluded.
//
// The one-instance benchmarks also report the memory per connected player: the
// whole process's, the client side's alone, and the server's by difference. The
// logs (-v not needed) give the setup times, the allocation of idle streams, the
// delays by bucket and, for two instances, by instance.

const (
	benchPlayers = 500
	// benchSpeed plays the kit's stimuli (five exercise minutes apart) 1.07 s
	// apart: not a multiple of the 200 ms tick the delivery loop had before its
	// timer nor of the watcher's 100 ms, so that the due moments fall anywhere in
	// their cycles.
	benchSpeed = 280
	// benchScheduled bounds the scheduled stimuli measured: those of the first 70
	// exercise minutes (15 s of wall time); the exercise is paused afterwards so
	// that sends "now" do not meet scheduled deliveries.
	benchScheduled = 70 * 60
	// benchRound stimuli are sent now per iteration, from a pool of benchPool made
	// before the start (at the end of the kit, so never due before the pause).
	benchRound = 5
	benchPool  = 200
	// benchWait bounds the wait for one stimulus to reach every player.
	benchWait = 60 * time.Second
	// benchDial bounds how many streams are being opened at once.
	benchDial = 16
)

// BenchmarkPlayersOneInstance: 500 players connected to one instance on SQLite.
func BenchmarkPlayersOneInstance(b *testing.B) {
	benchOneInstance(b, testkit.SQLite(b))
}

// BenchmarkPlayersOneInstancePostgres: the same on PostgreSQL (needs
// TEST_DATABASE_URL, see scripts/bench-exercise.sh).
func BenchmarkPlayersOneInstancePostgres(b *testing.B) {
	benchLoopbackDatabase(b)
	benchOneInstance(b, testkit.Postgres(b))
}

func benchOneInstance(b *testing.B, d *db.DB) {
	client := benchClient()
	// The client side alone first, before any server of the product runs.
	clientOnly := benchClientOnly(b, client, benchPlayers)

	app := testkit.NewApp(b, d)
	rig := newBenchRig(b, client, app)

	m0 := benchMem()
	rig.connect()
	m := benchMem().per(m0, benchPlayers)
	server := m.minus(clientOnly)
	b.Logf("memory per player with %d streams, clients in the same process: heap in use %.0f B, live heap %.0f B, goroutine stacks %.0f B; client side alone (same client and reader, raw TCP stub server): %.0f B, %.0f B, %.0f B",
		benchPlayers, m.Inuse, m.Live, m.Stack, clientOnly.Inuse, clientOnly.Live, clientOnly.Stack)
	b.Logf("memory per player, server side by difference: heap in use %.0f B, live heap %.0f B, goroutine stacks %.0f B", server.Inuse, server.Live, server.Stack)

	rig.play()
	b.ReportMetric(m.Inuse, "heap_B/player")
	b.ReportMetric(clientOnly.Inuse, "client_heap_B/conn")
	b.ReportMetric(server.Inuse, "server_heap_B/player")
	b.ReportMetric(m.Stack, "stack_B/player")
	b.ReportMetric(server.Stack, "server_stack_B/player")
}

// BenchmarkPlayersTwoInstances: 500 players, 250 on each of two instances sharing
// one PostgreSQL database; either instance's loop may claim a scheduled stimulus,
// and the animator sends "now" through the first instance.
func BenchmarkPlayersTwoInstances(b *testing.B) {
	benchLoopbackDatabase(b)
	d := testkit.Postgres(b)
	client := benchClient()
	first, second := testkit.NewApp(b, d), testkit.NewApp(b, d)
	rig := newBenchRig(b, client, first, second)
	rig.connect()
	rig.play()
}

// benchClient is the HTTP client of every player and of the animator: one
// transport, never a proxy, with room for every stream.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxConnsPerHost:     2*benchPlayers + 64,
		MaxIdleConns:        2*benchPlayers + 64,
		MaxIdleConnsPerHost: 2*benchPlayers + 64,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// benchLoopbackDatabase stops the benchmark unless TEST_DATABASE_URL, when set,
// names a database on this machine.
func benchLoopbackDatabase(b *testing.B) {
	b.Helper()
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			b.Fatal(err)
		}
		if h := u.Hostname(); h != "" && h != "localhost" { // empty: a Unix socket
			benchLoopback(b, "http://"+u.Host)
		}
	}
}

// benchLoopback stops the benchmark unless base is on the loopback interface.
func benchLoopback(b *testing.B, base string) {
	b.Helper()
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		b.Fatalf("%s is not a loopback address: the benchmark only talks to this machine", base)
	}
}

// benchMemory is the heap in use (bytes of in-use spans), the live heap (bytes of
// live objects) and the goroutine stacks in use, or their share per stream.
type benchMemory struct{ Inuse, Live, Stack float64 }

// benchMem reads the memory after a collection, five times, and keeps the least
// of each: what the streams allocate during a collection survives it.
func benchMem() benchMemory {
	least := benchMemory{Inuse: math.Inf(1), Live: math.Inf(1), Stack: math.Inf(1)}
	for range 5 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		least.Inuse = min(least.Inuse, float64(m.HeapInuse))
		least.Live = min(least.Live, float64(m.HeapAlloc))
		least.Stack = min(least.Stack, float64(m.StackInuse))
		time.Sleep(50 * time.Millisecond)
	}
	return least
}

// per is the growth since before, per stream.
func (m benchMemory) per(before benchMemory, n int) benchMemory {
	return benchMemory{Inuse: (m.Inuse - before.Inuse) / float64(n), Live: (m.Live - before.Live) / float64(n), Stack: (m.Stack - before.Stack) / float64(n)}
}

func (m benchMemory) minus(o benchMemory) benchMemory {
	return benchMemory{Inuse: m.Inuse - o.Inuse, Live: m.Live - o.Live, Stack: m.Stack - o.Stack}
}

// benchCPU returns the CPU time (user and system) the process has used, from
// /proc/self/stat; false where there is no such file.
func benchCPU() (time.Duration, bool) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// After the command name, in parentheses: the state (field 3) … utime (14) and
	// stime (15), in ticks of 1/100 s (USER_HZ).
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(user+sys) * 10 * time.Millisecond, true
}

// benchBusy returns how many cores the process keeps busy over window, or -1
// where that cannot be read.
func benchBusy(window time.Duration) float64 {
	cpu0, ok := benchCPU()
	t0 := time.Now()
	time.Sleep(window)
	cpu1, _ := benchCPU()
	if !ok {
		return -1
	}
	return float64(cpu1-cpu0) / float64(time.Since(t0))
}

// benchStream opens an event stream and reads it in a goroutine until ctx ends,
// calling arrived (when not nil) with each stimulus event's id as soon as the
// event has been read whole.
func benchStream(ctx context.Context, client *http.Client, target, token string, wg *sync.WaitGroup, arrived func(id int64, at time.Time)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return fmt.Errorf("event stream: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var event string
		var data []byte
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case len(line) == 0:
				if event == "stimulus" && arrived != nil {
					at := time.Now()
					var st struct {
						ID int64 `json:"id"`
					}
					if json.Unmarshal(data, &st) == nil {
						arrived(st.ID, at)
					}
				}
				event, data = "", data[:0]
			case bytes.HasPrefix(line, []byte("event: ")):
				event = string(line[len("event: "):])
			case bytes.HasPrefix(line, []byte("data: ")):
				data = append(data[:0], line[len("data: "):]...)
			}
		}
	}()
	return nil
}

// benchClientOnly measures what n streams cost the client side: the same client
// and reader connected to a raw TCP stub that reads each request into a shared
// buffer, answers an SSE header and keeps the connection in a slice (its own share
// is a net.Conn, some hundred bytes). A few streams opened and closed first keep
// one-time allocations out of the figure.
func benchClientOnly(b *testing.B, client *http.Client, n int) benchMemory {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	const head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\nd\r\nretry: 2000\n\n\r\n"
	var mu sync.Mutex
	conns := make([]net.Conn, 0, n+benchDial)
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = "care_" + rand.Text()
	}
	target := "http://" + ln.Addr().String() + "/api/v1/exercises/1/events"
	var accepting sync.WaitGroup
	accepting.Go(func() {
		buf := make([]byte, 4096)
		var req []byte
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			// The answer must follow the request, or the client takes it for an
			// unsolicited response on an idle connection.
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			req = req[:0]
			for !bytes.Contains(req, []byte("\r\n\r\n")) {
				n, err := c.Read(buf)
				if err != nil {
					break
				}
				req = append(req, buf[:n]...)
			}
			_, _ = io.WriteString(c, head)
		}
	})
	defer func() {
		ln.Close()
		accepting.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	open := func(ctx context.Context, readers *sync.WaitGroup, n int) benchMemory {
		ctx, cancel := context.WithCancel(ctx)
		defer func() {
			cancel()
			readers.Wait()
			client.CloseIdleConnections()
		}()
		before := benchMem()
		if err := benchOpenAll(n, func(i int) error { return benchStream(ctx, client, target, tokens[i], readers, nil) }); err != nil {
			b.Fatal(err)
		}
		return benchMem().per(before, n)
	}
	var readers sync.WaitGroup
	open(b.Context(), &readers, benchDial)
	return open(b.Context(), &readers, n)
}

// benchOpenAll calls open for 0..n-1, benchDial at a time, and returns the first error.
func benchOpenAll(n int, open func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range benchDial {
		wg.Go(func() {
			for i := range next {
				if err := open(i); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// benchArrivals records when each player's client read each stimulus.
type benchArrivals struct {
	mu      sync.Mutex
	players int
	stimuli map[int64]*benchStimulus
}

type benchStimulus struct {
	at    []time.Time // per player; zero until read
	n     int
	twice int
	full  chan struct{} // closed once every player has read it
}

func (a *benchArrivals) get(id int64) *benchStimulus {
	st, ok := a.stimuli[id]
	if !ok {
		st = &benchStimulus{at: make([]time.Time, a.players), full: make(chan struct{})}
		a.stimuli[id] = st
	}
	return st
}

func (a *benchArrivals) add(id int64, player int, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.get(id)
	if !st.at[player].IsZero() {
		st.twice++
		return
	}
	st.at[player] = at
	st.n++
	if st.n == a.players {
		close(st.full)
	}
}

// wait returns once every player has read the stimulus, or how many had at the timeout.
func (a *benchArrivals) wait(id int64, timeout time.Duration) (int, bool) {
	a.mu.Lock()
	st := a.get(id)
	a.mu.Unlock()
	select {
	case <-st.full:
		return a.players, true
	case <-time.After(timeout):
		a.mu.Lock()
		defer a.mu.Unlock()
		return st.n, false
	}
}

// benchRig is one exercise of the CHU with benchPlayers players in the decision
// cell, spread over the instances (player i on instance i mod len(apps)).
type benchRig struct {
	b        *testing.B
	apps     []*testkit.App
	client   *http.Client
	animator string
	id       int64
	pool     []int64       // local stimuli for sending now
	expected map[int64]int // scheduled stimuli for the decision cell → offset (s)
	tokens   []string      // one per player
	arrivals *benchArrivals
	ctx      context.Context // ends the streams
	readers  sync.WaitGroup
	idle     float64 // cores used while the streams wait with nothing to deliver
	setup    string  // how long the setup took, logged with the streams' opening
	mail     benchMail
	metrics  map[string]float64 // reported at the end
}

// benchMail stands for the SMTP server: it counts the e-mail copies of the
// delivered stimuli (one per player of their cells) and sends nothing. The test
// kit's SMTP sink holds 100 messages, and an SMTP dialogue in the same process
// would weigh on the streams; a real server's relay lives elsewhere.
type benchMail struct{ sent atomic.Int64 }

func (m *benchMail) Send(context.Context, mail.Message) error {
	m.sent.Add(1)
	return nil
}

func newBenchRig(b *testing.B, client *http.Client, apps ...*testkit.App) *benchRig {
	b.Helper()
	for _, app := range apps {
		benchLoopback(b, app.URL)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &benchRig{b: b, apps: apps, client: client, ctx: ctx, expected: map[int64]int{}, metrics: map[string]float64{},
		arrivals: &benchArrivals{players: benchPlayers, stimuli: map[int64]*benchStimulus{}}}
	// Registered after the apps: runs before their servers close, which wait for
	// the streams to end.
	b.Cleanup(func() {
		cancel()
		r.readers.Wait()
		client.CloseIdleConnections()
	})
	for _, app := range apps {
		app.Server.Exercises.Mail = &r.mail
	}
	first := apps[0]
	chu := first.Org(b, "CHU de Port-Émeraude")
	r.animator = first.Token(b, "rssi@demo.care.test")

	// The players' accounts: Create hashes a one-time password (argon2id) for each,
	// before the timer starts.
	start := time.Now()
	admin := authz.WithSubject(context.Background(), first.Root(b))
	users := make([]int64, benchPlayers)
	r.tokens = make([]string, benchPlayers)
	if err := benchOpenAll(benchPlayers, func(i int) error {
		u, _, err := first.Server.Accounts.Create(admin, account.NewUser{Email: fmt.Sprintf("joueur%03d@bench.care.test", i),
			Name: fmt.Sprintf("Joueur %03d", i), Role: authz.Lecteur, OrgID: chu.ID})
		if err != nil {
			return fmt.Errorf("player %d: %w", i, err)
		}
		_, secret, err := first.Server.Accounts.CreateToken(context.Background(), u.ID, "bench", 4*time.Hour)
		users[i], r.tokens[i] = u.ID, secret
		return err
	}); err != nil {
		b.Fatal(err)
	}
	r.setup = fmt.Sprintf("%d players' accounts and tokens made in %v", benchPlayers, time.Since(start).Round(time.Millisecond))

	var ex struct {
		ID int64 `json:"id"`
	}
	r.call("POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu.ID, "speed": benchSpeed}, &ex)
	r.id = ex.ID
	for i := range benchPool {
		to := []string{"all"}
		if i%2 == 1 {
			to = []string{"decision"}
		}
		var saved struct {
			ID int64 `json:"id"`
		}
		r.call("POST", r.path("/stimuli"), map[string]any{"ref": fmt.Sprintf("bench-now-%02d", i), "offset_seconds": 120*60 - 1, "channel": "email",
			"sender": "Cellule d'animation", "recipients": to, "title": fmt.Sprintf("Message %d", i), "content": "Point de situation demandé à la cellule."}, &saved)
		r.pool = append(r.pool, saved.ID)
	}
	var all struct {
		Items []struct {
			ID         int64    `json:"id"`
			Offset     int      `json:"offset_seconds"`
			Recipients []string `json:"recipients"`
		} `json:"items"`
	}
	r.call("GET", r.path("/stimuli"), nil, &all)
	for _, st := range all.Items {
		if st.Offset <= benchScheduled && !slices.Contains(r.pool, st.ID) && (slices.Contains(st.Recipients, "decision") || slices.Contains(st.Recipients, "all")) {
			r.expected[st.ID] = st.Offset
		}
	}
	if len(r.expected) == 0 {
		b.Fatal("the kit has no stimulus for the decision cell in its first 70 minutes")
	}
	start = time.Now()
	for _, u := range users {
		r.call("POST", r.path("/participants"), map[string]any{"user": u, "role": "player", "cell": "decision"}, nil)
	}
	r.setup += fmt.Sprintf(", seated in %v", time.Since(start).Round(time.Millisecond))
	return r
}

func (r *benchRig) path(sub string) string { return fmt.Sprintf("/api/v1/exercises/%d%s", r.id, sub) }

// call sends an animator's request to the first instance and decodes the answer.
func (r *benchRig) call(method, path string, body, out any) {
	r.b.Helper()
	var in io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			r.b.Fatal(err)
		}
		in = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, r.apps[0].URL+path, in)
	if err != nil {
		r.b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.animator)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		r.b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		r.b.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		r.b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			r.b.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// connect opens every player's stream and measures the CPU the process uses
// with no stream and then with every stream waiting, nothing to deliver.
func (r *benchRig) connect() {
	r.b.Helper()
	const window = 5 * time.Second
	none := benchBusy(window)
	start := time.Now()
	err := benchOpenAll(benchPlayers, func(i int) error {
		app := r.apps[i%len(r.apps)]
		return benchStream(r.ctx, r.client, app.URL+r.path("/events"), r.tokens[i], &r.readers, func(id int64, at time.Time) {
			r.arrivals.add(id, i, at)
		})
	})
	if err != nil {
		r.b.Fatal(err)
	}
	r.b.Logf("%s, their streams opened in %v", r.setup, time.Since(start).Round(time.Millisecond))
	if path := os.Getenv("CARE_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			r.b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			r.b.Logf("no CPU profile: %v", err)
			f.Close()
		} else {
			r.b.Cleanup(func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	time.Sleep(time.Second) // the first polls, spread by the opening
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r.idle = benchBusy(window)
	runtime.ReadMemStats(&m1)
	perStream := float64(benchPlayers) * window.Seconds()
	r.b.Logf("nothing to deliver (clients idle): %.2f cores busy without streams, %.2f of %d with %d streams waiting, which allocate %.2f MB/s: %.0f B and %.1f objects per stream and second (one watcher per exercise and instance looks for events every 100 ms; each stream reads its feed itself every 15 s)",
		none, r.idle, runtime.GOMAXPROCS(0), benchPlayers, float64(m1.TotalAlloc-m0.TotalAlloc)/window.Seconds()/1e6,
		float64(m1.TotalAlloc-m0.TotalAlloc)/perStream, float64(m1.Mallocs-m0.Mallocs)/perStream)
}

// play starts the exercise, measures the scheduled stimuli of its first minutes,
// pauses it, then sends benchRound stimuli now per iteration.
func (r *benchRig) play() {
	b := r.b
	b.Helper()
	var started struct {
		StartedAt *time.Time `json:"started_at"`
	}
	pool := r.poolStats()
	r.call("POST", r.path("/start"), nil, &started)
	if started.StartedAt == nil {
		b.Fatal("no T0 after the start")
	}
	t0 := *started.StartedAt
	due := map[int64]time.Time{}
	ids := make([]int64, 0, len(r.expected))
	for id, offset := range r.expected {
		due[id] = t0.Add(time.Duration(offset) * time.Second / benchSpeed)
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y int64) int { return due[x].Compare(due[y]) })
	for _, id := range ids {
		if n, ok := r.arrivals.wait(id, benchWait); !ok {
			b.Fatalf("scheduled stimulus %d (due at T0+%v) reached %d of %d players", id, due[id].Sub(t0), n, benchPlayers)
		}
	}
	r.call("POST", r.path("/pause"), nil, nil)
	if late := time.Since(t0); late > (120*60-1)*time.Second/benchSpeed {
		b.Fatalf("paused at T0+%v: the stimuli kept for sending now were already due", late)
	}
	r.report("sched", due)
	pool()
	pool = r.poolStats()
	time.Sleep(time.Second) // the pause's own event, read by every stream

	sent := map[int64]time.Time{}
	next := 0
	for b.Loop() {
		for range benchRound {
			if next == len(r.pool) {
				b.Fatalf("all %d stimuli kept for sending now were sent: run fewer iterations (-benchtime %dx at most)", benchPool, benchPool/benchRound)
			}
			// A random gap, so that sends fall anywhere in the streams' poll cycle.
			b.StopTimer()
			time.Sleep(time.Duration(mrand.Int64N(int64(time.Second))))
			b.StartTimer()
			id := r.pool[next]
			next++
			sent[id] = time.Now()
			r.call("POST", r.path(fmt.Sprintf("/stimuli/%d/send", id)), nil, nil)
			if n, ok := r.arrivals.wait(id, benchWait); !ok {
				b.Fatalf("stimulus %d sent now reached %d of %d players", id, n, benchPlayers)
			}
		}
	}
	b.StopTimer()
	r.report("now", sent)
	pool()
	b.Logf("e-mail copies of the stimuli handed to the mail sender (a counter here, no SMTP): %d", r.mail.sent.Load())
	// Reported last: the timer's reset at the first b.Loop clears earlier metrics.
	if r.idle >= 0 {
		b.ReportMetric(r.idle, "idle_cores")
	}
	for unit, v := range r.metrics {
		b.ReportMetric(v, unit)
	}
}

// poolStats notes the read pools' waits now; the function it returns logs how
// many reads waited for a connection since, and how long in all: the share of
// the delays spent queueing for the pool rather than in the database.
func (r *benchRig) poolStats() func() {
	type mark struct {
		d     *db.DB
		stats sql.DBStats
	}
	var marks []mark
	for _, app := range r.apps {
		if !slices.ContainsFunc(marks, func(m mark) bool { return m.d == app.DB }) {
			marks = append(marks, mark{app.DB, app.DB.Read.Stats()})
		}
	}
	return func() {
		for i, m := range marks {
			now := m.d.Read.Stats()
			r.b.Logf("read pool %d (%d open at most): %d waits for a connection, %v waiting in all, %d open now",
				i+1, now.MaxOpenConnections, now.WaitCount-m.stats.WaitCount, (now.WaitDuration - m.stats.WaitDuration).Round(time.Millisecond), now.OpenConnections)
		}
	}
}

// report computes the delays of the stimuli from their due moments, over every
// player, and per instance when there are several; the metrics wait for the end.
func (r *benchRig) report(kind string, due map[int64]time.Time) {
	r.b.Helper()
	var all []time.Duration
	per := make([][]time.Duration, len(r.apps))
	twice := 0
	r.arrivals.mu.Lock()
	for id, d := range due {
		st := r.arrivals.stimuli[id]
		twice += st.twice
		for p, at := range st.at {
			if at.IsZero() {
				continue
			}
			delay := at.Sub(d)
			all = append(all, delay)
			per[p%len(r.apps)] = append(per[p%len(r.apps)], delay)
		}
	}
	r.arrivals.mu.Unlock()
	r.reportClaims(kind, due)
	if twice > 0 {
		r.b.Errorf("%s: %d stimulus events read twice by the same player", kind, twice)
	}
	p := benchPercentiles(all)
	r.b.Logf("%s: %d stimuli × %d players = %d delays: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; by bucket: %s",
		kind, len(due), benchPlayers, len(all), p.p50, p.p95, p.p99, p.worst, benchHistogram(all))
	r.metrics[kind+"_p50_ms"], r.metrics[kind+"_p95_ms"], r.metrics[kind+"_p99_ms"] = p.p50, p.p95, p.p99
	if len(r.apps) > 1 {
		var parts []string
		for i, ds := range per {
			p := benchPercentiles(ds)
			parts = append(parts, fmt.Sprintf("instance %d: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms", i+1, p.p50, p.p95, p.p99, p.worst))
			if kind == "now" {
				where := "same"
				if i > 0 {
					where = "other"
				}
				r.metrics[kind+"_p50_ms_"+where], r.metrics[kind+"_p95_ms_"+where], r.metrics[kind+"_p99_ms_"+where] = p.p50, p.p95, p.p99
			}
		}
		r.b.Logf("%s, by the instance the players are connected to: %s", kind, strings.Join(parts, "; "))
	}
}

// reportClaims logs how long after their due moments the stimuli were recorded
// sent (the claim's delivered_at): the delivery loop's share of the delay, before
// the streams carry them to the players.
func (r *benchRig) reportClaims(kind string, due map[int64]time.Time) {
	r.b.Helper()
	var lags []time.Duration
	for id, d := range due {
		var at time.Time
		if err := r.apps[0].DB.Read.QueryRowContext(r.ctx, "SELECT delivered_at FROM exercise_stimuli WHERE id = $1", id).Scan(&at); err != nil {
			r.b.Fatalf("delivery of stimulus %d: %v", id, err)
		}
		lags = append(lags, at.Sub(d))
	}
	p := benchPercentiles(lags)
	r.b.Logf("%s: recorded sent after their due moment: p50 %.1f ms, max %.1f ms", kind, p.p50, p.worst)
	r.metrics[kind+"_claim_p50_ms"], r.metrics[kind+"_claim_max_ms"] = p.p50, p.worst
}

// benchQuantiles are delays in ms: nearest-rank percentiles and the maximum.
type benchQuantiles struct{ p50, p95, p99, worst float64 }

// benchPercentiles returns the nearest-rank p50, p95 and p99 and the maximum.
func benchPercentiles(ds []time.Duration) benchQuantiles {
	if len(ds) == 0 {
		return benchQuantiles{}
	}
	slices.Sort(ds)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return float64(ds[min(max(i, 0), len(ds)-1)]) / float64(time.Millisecond)
	}
	return benchQuantiles{rank(0.50), rank(0.95), rank(0.99), float64(ds[len(ds)-1]) / float64(time.Millisecond)}
}

// benchHistogram counts delays by bucket, to show a tail's shape.
func benchHistogram(ds []time.Duration) string {
	limits := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond,
		400 * time.Millisecond, 500 * time.Millisecond, 600 * time.Millisecond, time.Second}
	counts := make([]int, len(limits)+1)
	for _, d := range ds {
		i, _ := slices.BinarySearch(limits, d)
		counts[i]++
	}
	var out []string
	for i, n := range counts {
		if i < len(limits) {
			out = append(out, fmt.Sprintf("<%v: %d", limits[i], n))
		} else {
			out = append(out, fmt.Sprintf("≥%v: %d", limits[len(limits)-1], n))
		}
	}
	return strings.Join(out, ", ")
}
