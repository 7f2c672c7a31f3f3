package webhook

import (
	"bytes"
	"container/list"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Endpoint is where one organisation receives its deliveries, and the secret they are
// signed with.
type Endpoint struct {
	URL    string
	Secret []byte
}

// Delivery is one message to send. Key is the idempotency key, stable across retries
// and restarts (e.g. "<order id>:<status>"); Event names it (e.g. "order.pending").
// Body is JSON and must not be modified after Enqueue.
type Delivery struct {
	Key     string    `json:"key"`
	Org     string    `json:"org"`
	Event   string    `json:"event"`
	Body    []byte    `json:"-"` // the message, not repeated in the log
	Created time.Time `json:"created"`
}

// Attempt is one POST of a delivery. N counts from 1 over the life of the record; ID
// is the DeliveryHeader value sent; Status is 0 when no response came back.
type Attempt struct {
	N      int           `json:"n"`
	ID     string        `json:"id"`
	At     time.Time     `json:"at"`
	Status int           `json:"status"`
	Error  string        `json:"error,omitempty"`
	Took   time.Duration `json:"took_ns"`
}

// States of a Record.
const (
	// StatePending: queued or being sent.
	StatePending = "pending"
	// StateDelivered: the receiver answered 2xx.
	StateDelivered = "delivered"
	// StateFailed: the receiver refused it (4xx other than 408 and 429), the endpoint
	// is misconfigured, or MaxAttempts were spent.
	StateFailed = "failed"
	// StateNoEndpoint: the organisation has no webhook; its liaison works the order in
	// the console. Not retried until Redeliver.
	StateNoEndpoint = "no_endpoint"
)

// Record is a delivery with its state and history, as kept in the delivery log.
// NextAt is when the next attempt is due while State is StatePending.
type Record struct {
	Delivery
	State    string    `json:"state"`
	Attempts []Attempt `json:"attempts"`
	NextAt   time.Time `json:"next_at,omitzero"`
}

// Options configure a Deliverer; zero values take the defaults shown.
type Options struct {
	// Endpoint returns an organisation's endpoint; false (or an empty URL) means it has
	// none. It is asked on Enqueue and before every attempt, so a changed URL or
	// secret applies to the next attempt. Nil means no organisation has one.
	Endpoint func(org string) (Endpoint, bool)
	// Client sends the requests (nil: 10 s timeout, redirects not followed).
	Client *http.Client
	// MaxAttempts per delivery before it fails (default 10).
	MaxAttempts int
	// BaseBackoff is the wait after the first failed attempt (default 2s); it doubles
	// on each further failure, up to MaxBackoff (default 10m), with ±20% jitter.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Workers is the number of concurrent requests (default 4).
	Workers int
	// LogSize is how many finished records the delivery log keeps (default 10000).
	// Pending records are always kept; the oldest finished ones are forgotten first.
	LogSize int
	// MaxPending bounds the pending deliveries (default 100000): beyond it Enqueue
	// refuses with intercept.ErrUnavailable rather than grow without limit.
	MaxPending int
	// Log receives the delivery log lines (nil: discarded).
	Log *slog.Logger
	// OnResult is called after every attempt that ends in StateDelivered or
	// StateFailed, for the journal. It runs on a worker: keep it short.
	OnResult func(Record)
}

// Deliverer queues deliveries and sends them from Run's workers. Its methods are safe
// for concurrent use.
type Deliverer struct {
	opt     Options
	log     *slog.Logger
	client  *http.Client
	wake    chan struct{} // a new delivery is due: the dispatcher looks again
	running atomic.Bool

	mu       sync.Mutex
	entries  map[string]*entry
	all      list.List // every entry, oldest first: the delivery log
	finished list.List // entries not pending, in the order they finished: evicted first
	queue    schedule  // pending entries not being sent, by due time
	seq      uint64
	pending  int
}

// entry is a Record with its bookkeeping, guarded by Deliverer.mu.
type entry struct {
	rec      Record
	tries    int // attempts since it was last queued, checked against MaxAttempts
	allEl    *list.Element
	finishEl *list.Element
}

// New returns a Deliverer; call Run to start sending.
func New(opt Options) *Deliverer {
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.BaseBackoff <= 0 {
		opt.BaseBackoff = 2 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 10 * time.Minute
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.LogSize <= 0 {
		opt.LogSize = 10000
	}
	if opt.MaxPending <= 0 {
		opt.MaxPending = 100000
	}
	d := &Deliverer{
		opt:     opt,
		log:     opt.Log,
		client:  opt.Client,
		wake:    make(chan struct{}, 1),
		entries: make(map[string]*entry),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.client == nil {
		d.client = &http.Client{
			Timeout: 10 * time.Second,
			// A redirected POST would turn into a GET or leave the agreed host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return d
}

// Enqueue queues d for delivery without blocking. A second Enqueue of a Key whose
// record is pending or delivered does nothing (as long as the log holds the record:
// see LogSize); one whose record failed or had no endpoint queues it again with the
// new Delivery. An organisation without an endpoint gets a StateNoEndpoint record and
// no attempt. Enqueue returns an error matching intercept.ErrInvalid for a delivery
// without Key, Org or Event, with a header-unsafe Key or Event, or with a body that is
// not JSON, and intercept.ErrUnavailable when MaxPending deliveries are waiting.
func (d *Deliverer) Enqueue(dl Delivery) error {
	if err := check(dl); err != nil {
		return err
	}
	if dl.Created.IsZero() {
		dl.Created = time.Now()
	}
	dl.Body = bytes.Clone(dl.Body)
	_, hasEndpoint := d.endpoint(dl.Org) // user code: not under the lock

	d.mu.Lock()
	state, full := d.add(dl, hasEndpoint)
	pending := d.pending
	d.mu.Unlock()
	switch {
	case full:
		d.log.Warn("webhook_queue_full", "key", dl.Key, "org", dl.Org, "pending", pending)
		return fmt.Errorf("enqueue webhook %s: %d deliveries pending: %w", dl.Key, pending, intercept.ErrUnavailable)
	case state == StateNoEndpoint:
		d.log.Info("webhook_no_endpoint", "key", dl.Key, "org", dl.Org)
	}
	return nil
}

// add records dl and returns the state it was given, "" when its key is already
// pending or delivered, or full when the queue has no room. Caller holds d.mu.
func (d *Deliverer) add(dl Delivery, hasEndpoint bool) (state string, full bool) {
	e := d.entries[dl.Key]
	if e != nil && (e.rec.State == StatePending || e.rec.State == StateDelivered) {
		return "", false
	}
	if hasEndpoint && d.pending >= d.opt.MaxPending {
		return "", true
	}
	if e == nil {
		e = &entry{}
		e.allEl = d.all.PushBack(e)
		d.entries[dl.Key] = e
	} else {
		d.all.MoveToBack(e.allEl)
		d.unfinish(e)
	}
	e.rec.Delivery = dl
	if !hasEndpoint {
		e.rec.State = StateNoEndpoint
		d.finish(e)
		return StateNoEndpoint, false
	}
	d.requeue(e)
	return StatePending, false
}

// Redeliver queues again the org's records that failed or had no endpoint, for when
// its endpoint has been configured or fixed, and returns how many it queued. It does
// nothing while the org still has no endpoint.
func (d *Deliverer) Redeliver(org string) int {
	if _, ok := d.endpoint(org); !ok {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for el := d.all.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if e.rec.Org == org && (e.rec.State == StateFailed || e.rec.State == StateNoEndpoint) {
			d.unfinish(e)
			d.requeue(e)
			n++
		}
	}
	if n > 0 {
		d.log.Info("webhook_redeliver", "org", org, "count", n)
	}
	return n
}

// requeue makes e pending with a fresh attempt budget, due now. Caller holds d.mu.
func (d *Deliverer) requeue(e *entry) {
	e.rec.State = StatePending
	e.tries = 0
	d.pending++
	d.schedule(e, time.Now())
}

// endpoint asks Options.Endpoint, treating an empty URL as no endpoint.
func (d *Deliverer) endpoint(org string) (Endpoint, bool) {
	if d.opt.Endpoint == nil {
		return Endpoint{}, false
	}
	ep, ok := d.opt.Endpoint(org)
	return ep, ok && ep.URL != ""
}

// check refuses deliveries that could never be sent: the key and event travel in
// headers, the body is declared as JSON.
func check(dl Delivery) error {
	switch {
	case dl.Key == "" || dl.Org == "" || dl.Event == "":
		return fmt.Errorf("enqueue webhook %q: key, org and event are required: %w", dl.Key, intercept.ErrInvalid)
	case !headerSafe(dl.Key) || !headerSafe(dl.Event):
		return fmt.Errorf("enqueue webhook %q: key and event must be printable ASCII up to 200 bytes: %w", dl.Key, intercept.ErrInvalid)
	case !json.Valid(dl.Body):
		return fmt.Errorf("enqueue webhook %s: body is not JSON: %w", dl.Key, intercept.ErrInvalid)
	}
	return nil
}

func headerSafe(s string) bool {
	if len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
