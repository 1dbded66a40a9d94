package exposure

import "time"

// The scanner's timing adapts to each host the way TCP's retransmission timer
// (RFC 6298) and nmap's scan engine do (nmap's "Timing and Performance"
// documentation): the answers a host gives — an accepted connection or a reset —
// measure its round trip; the wait for an attempt is the smoothed round trip plus
// four times its variation, doubled for each repeated attempt and kept between a
// floor and a ceiling; a port that gave
// no answer is tried again only as often as retries have been seen to pay on that
// host; the number of attempts in flight grows while answers come back and is
// halved when an answer shows that an earlier attempt was lost.

// hostTiming is what the scan learned of one host's round trips.
type hostTiming struct {
	srtt, rttvar time.Duration
	sampled      bool
	// answeredTry is the highest attempt number (0 for the first) that ever got
	// an answer from the host; -1 while none did.
	answeredTry int
}

func newHostTiming() *hostTiming { return &hostTiming{answeredTry: -1} }

// observe takes the round trip of an answered attempt (try 0 is the first).
func (h *hostTiming) observe(rtt time.Duration, try int) {
	h.answeredTry = max(h.answeredTry, try)
	if !h.sampled {
		// RFC 6298 §2.2: the first measurement sets SRTT = R and RTTVAR = R/2.
		h.srtt, h.rttvar, h.sampled = rtt, rtt/2, true
		return
	}
	// RFC 6298 §2.3, with alpha = 1/8 and beta = 1/4.
	diff := h.srtt - rtt
	if diff < 0 {
		diff = -diff
	}
	h.rttvar = (3*h.rttvar + diff) / 4
	h.srtt = (7*h.srtt + rtt) / 8
}

// timeout is how long attempt try (0 for the first) on the host may wait:
// SRTT + 4·RTTVAR (RFC 6298 §2.3), initial before any answer, at least floor;
// doubled for each repeated attempt, as TCP backs its timer off (§5.5), so that
// a service too busy to answer at once is not taken for a dropped port; at most
// ceiling.
func (h *hostTiming) timeout(try int, floor, initial, ceiling time.Duration) time.Duration {
	base := initial
	if h.sampled {
		base = h.srtt + 4*h.rttvar
	}
	return min(max(base, floor)<<min(try, 8), ceiling)
}

// retries is how many more attempts a port that gave no answer deserves: one
// more than the latest attempt that ever got an answer from the host (so one
// while only first attempts were answered), at most limit.
func (h *hostTiming) retries(limit int) int {
	return min(max(h.answeredTry+1, 1), limit)
}

// window is the number of attempts the scan keeps in flight, grown and shrunk
// like a TCP congestion window (RFC 5681): by one per answer up to the slow-start
// threshold, by about one per window of answers beyond it; halved on a loss.
type window struct {
	size, threshold float64
	floor, ceiling  float64
	cut             time.Time // when the window was last halved
}

func newWindow(initial, floor, ceiling int) *window {
	return &window{size: float64(initial), threshold: float64(ceiling), floor: float64(floor), ceiling: float64(ceiling)}
}

// answered grows the window for an attempt that got an answer.
func (w *window) answered() {
	if w.size < w.threshold {
		w.size++
	} else {
		w.size += 1 / w.size
	}
	w.size = min(w.size, w.ceiling)
}

// lost shrinks the window: an answer to a repeated attempt shows that an earlier
// one was lost on the way. Losses within one round trip of the last cut belong to
// the same burst and cut once (RFC 5681 §3.1 halves once per window of data).
func (w *window) lost(now time.Time, rtt time.Duration) {
	if now.Sub(w.cut) < rtt {
		return
	}
	w.cut = now
	w.size = max(w.size/2, w.floor)
	w.threshold = w.size
}

func (w *window) limit() int { return int(w.size) }
