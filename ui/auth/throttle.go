package auth

import (
	"container/list"
	"sync"
	"time"
)

// Throttle defaults and bound.
const (
	DefaultThrottleMax    = 5
	DefaultThrottleWindow = 15 * time.Minute
	// MaxThrottleKeys bounds the keys a Throttle tracks; past it the oldest is dropped.
	MaxThrottleKeys = 100_000
)

// Throttle counts failed logins per key (a user name, a client IP). After max
// failures within window, the key is refused until window has passed since its
// first counted failure. Memory is bounded: at most MaxThrottleKeys keys are
// tracked, the oldest dropped first. Safe for concurrent use.
type Throttle struct {
	max    int
	window time.Duration
	now    func() time.Time
	limit  int

	mu      sync.Mutex
	entries map[string]*list.Element // of *throttleEntry
	order   *list.List               // oldest first failure at the front
}

// throttleEntry is one key's failures in its current window.
type throttleEntry struct {
	key   string
	first time.Time
	count int
}

// NewThrottle returns a throttle allowing maxFailures failures per window. maxFailures or window
// <= 0 take DefaultThrottleMax and DefaultThrottleWindow; now nil means time.Now.
func NewThrottle(maxFailures int, window time.Duration, now func() time.Time) *Throttle {
	if maxFailures <= 0 {
		maxFailures = DefaultThrottleMax
	}
	if window <= 0 {
		window = DefaultThrottleWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Throttle{max: maxFailures, window: window, now: now, limit: MaxThrottleKeys,
		entries: map[string]*list.Element{}, order: list.New()}
}

// Check reports whether key may try now; when not, retryAfter says how long until it may.
func (t *Throttle) Check(key string) (retryAfter time.Duration, ok bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	el := t.entries[key]
	if el == nil {
		return 0, true
	}
	e := el.Value.(*throttleEntry)
	if now.Sub(e.first) >= t.window {
		t.remove(el)
		return 0, true
	}
	if e.count >= t.max {
		return e.first.Add(t.window).Sub(now), false
	}
	return 0, true
}

// Fail counts a failed attempt for key.
func (t *Throttle) Fail(key string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if el := t.entries[key]; el != nil {
		e := el.Value.(*throttleEntry)
		if now.Sub(e.first) < t.window {
			e.count++
			return
		}
		e.first, e.count = now, 1 // a new window starts
		t.order.MoveToBack(el)
		return
	}
	for len(t.entries) >= t.limit {
		t.remove(t.order.Front())
	}
	t.entries[key] = t.order.PushBack(&throttleEntry{key: key, first: now, count: 1})
}

// Reset forgets key's failures, as after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el := t.entries[key]; el != nil {
		t.remove(el)
	}
}

// Len returns the number of keys tracked.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// remove drops one entry; the caller holds t.mu.
func (t *Throttle) remove(el *list.Element) {
	delete(t.entries, el.Value.(*throttleEntry).key)
	t.order.Remove(el)
}
