package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a partner's webhook endpoint as the package doc asks it to be: it
// verifies the signature and applies each idempotency key once, answering every time.
type receiver struct {
	secret  []byte
	respond func(n int, w http.ResponseWriter) // answer to the n-th request, from 1; nil: 204

	mu      sync.Mutex
	reqs    []seenReq
	applied map[string]bool // keys whose order was applied
	effects int             // orders applied
}

type seenReq struct {
	key, event, delivery, contentType string
	at                                time.Time
	verifyErr                         error
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := Verify(rv.secret, r.Header.Get(SignatureHeader), body, time.Now(), time.Minute)
	key := r.Header.Get(IdempotencyHeader)
	rv.mu.Lock()
	rv.reqs = append(rv.reqs, seenReq{
		key: key, event: r.Header.Get(EventHeader), delivery: r.Header.Get(DeliveryHeader),
		contentType: r.Header.Get("Content-Type"), at: time.Now(), verifyErr: err,
	})
	n := len(rv.reqs)
	if err == nil && !rv.applied[key] {
		// First sight of this key: apply the order. A key seen before was applied
		// already: acknowledge it again without applying it twice.
		if rv.applied == nil {
			rv.applied = make(map[string]bool)
		}
		rv.applied[key] = true
		rv.effects++
	}
	rv.mu.Unlock()
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rv.respond != nil {
		rv.respond(n, w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rv *receiver) requests() []seenReq {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]seenReq(nil), rv.reqs...)
}

func (rv *receiver) applications() int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.effects
}

// serve starts rv on loopback and returns its Endpoint.
func serve(t *testing.T, rv *receiver) Endpoint {
	t.Helper()
	if rv.secret == nil {
		rv.secret = []byte("test-secret-" + t.Name())
	}
	srv := httptest.NewServer(rv)
	t.Cleanup(srv.Close)
	return Endpoint{URL: srv.URL + "/hooks/lanjie", Secret: rv.secret}
}

// endpoints is an Options.Endpoint whose table can change during a test.
type endpoints struct {
	mu sync.Mutex
	m  map[string]Endpoint
}

func (e *endpoints) set(org string, ep Endpoint) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[string]Endpoint)
	}
	e.m[org] = ep
}

func (e *endpoints) get(org string) (Endpoint, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ep, ok := e.m[org]
	return ep, ok
}

// results collects Options.OnResult calls.
type results struct {
	mu   sync.Mutex
	recs []Record
}

func (r *results) add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func (r *results) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, rec := range r.recs {
		s = append(s, rec.Key+" "+rec.State)
	}
	return s
}

// fast returns options with millisecond backoffs so that retries are quick.
func fast(eps *endpoints) Options {
	return Options{Endpoint: eps.get, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

// start runs d until the test ends.
func start(t *testing.T, d *Deliverer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// waitFor polls cond until it holds; it fails the test after a generous deadline,
// which guards against hangs and says nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitState waits for key's record to reach state and returns it.
func waitState(t *testing.T, d *Deliverer, key, state string) Record {
	t.Helper()
	var rec Record
	waitFor(t, key+" "+state, func() bool {
		var ok bool
		rec, ok = d.Get(key)
		return ok && rec.State == state
	})
	return rec
}

func statuses(rec Record) []int {
	var s []int
	for _, a := range rec.Attempts {
		s = append(s, a.Status)
	}
	return s
}

func order(key, org string) Delivery {
	return Delivery{Key: key, Org: org, Event: "order.pending",
		Body: []byte(`{"order_id":"` + key + `","type":"stop_payment","account":"6228480000000002"}`)}
}
