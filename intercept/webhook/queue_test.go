package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNoEndpointThenRedeliver(t *testing.T) {
	rv := &receiver{}
	ep := serve(t, rv)
	eps := &endpoints{}
	d := New(fast(eps))
	start(t, d)

	for _, dl := range []Delivery{order("o-1:pending", "ABC"), order("o-2:pending", "CMCC")} {
		if err := d.Enqueue(dl); err != nil {
			t.Fatal(err)
		}
	}
	rec, ok := d.Get("o-1:pending")
	if !ok || rec.State != StateNoEndpoint || len(rec.Attempts) != 0 {
		t.Fatalf("Get = %+v, %v; want no_endpoint without attempts", rec, ok)
	}
	if d.Pending() != 0 {
		t.Errorf("Pending = %d: a no_endpoint record was queued", d.Pending())
	}
	if n := d.Redeliver("ABC"); n != 0 {
		t.Errorf("Redeliver without endpoint = %d, want 0", n)
	}

	eps.set("ABC", ep)
	if n := d.Redeliver("ABC"); n != 1 {
		t.Fatalf("Redeliver = %d, want 1", n)
	}
	rec = waitState(t, d, "o-1:pending", StateDelivered)
	if len(rec.Attempts) != 1 {
		t.Errorf("attempts = %+v, want 1", rec.Attempts)
	}
	if other, _ := d.Get("o-2:pending"); other.State != StateNoEndpoint {
		t.Errorf("other org's record is %q, want no_endpoint", other.State)
	}
	if got := len(rv.requests()); got != 1 {
		t.Errorf("receiver saw %d requests, want 1", got)
	}
}

func TestSameKeyDeliveredOnce(t *testing.T) {
	rv := &receiver{}
	eps := &endpoints{}
	eps.set("ABC", serve(t, rv))
	d := New(fast(eps))

	// Queued twice before Run starts, e.g. an order re-issued during a restart.
	for range 2 {
		if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil {
			t.Fatal(err)
		}
	}
	if d.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", d.Pending())
	}
	start(t, d)
	waitState(t, d, "o-1:pending", StateDelivered)
	if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil { // once delivered
		t.Fatal(err)
	}
	if d.Pending() != 0 {
		t.Errorf("Pending = %d: a delivered key was queued again", d.Pending())
	}
	if got := len(rv.requests()); got != 1 {
		t.Errorf("receiver saw %d requests, want 1", got)
	}
	if got := d.Log("", 0); len(got) != 1 {
		t.Errorf("log holds %d records, want 1", len(got))
	}
}

func TestLog(t *testing.T) {
	d := New(Options{LogSize: 3}) // no endpoints: every record is finished at once
	for i, org := range []string{"ABC", "ICBC", "ABC", "ICBC", "ABC"} {
		if err := d.Enqueue(order(fmt.Sprintf("o-%d:pending", i), org)); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(recs []Record) []string {
		var k []string
		for _, r := range recs {
			k = append(k, r.Key)
		}
		return k
	}
	tests := []struct {
		org   string
		limit int
		want  []string
	}{
		{"", 0, []string{"o-4:pending", "o-3:pending", "o-2:pending"}},
		{"", 2, []string{"o-4:pending", "o-3:pending"}},
		{"ABC", 0, []string{"o-4:pending", "o-2:pending"}},
		{"ICBC", 5, []string{"o-3:pending"}},
		{"CT", 0, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%d", tt.org, tt.limit), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, keys(d.Log(tt.org, tt.limit))); diff != "" {
				t.Errorf("Log (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := d.Get("o-0:pending"); ok {
		t.Error("the oldest record outlived LogSize")
	}
}

func TestLogKeepsPending(t *testing.T) {
	eps := &endpoints{}
	eps.set("ABC", Endpoint{URL: "http://127.0.0.1:1/hook", Secret: []byte("s")})
	opt := fast(eps)
	opt.LogSize = 2
	d := New(opt) // not running: every record stays pending
	for i := range 4 {
		if err := d.Enqueue(order(fmt.Sprintf("o-%d:pending", i), "ABC")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Enqueue(order("o-9:pending", "CMCC")); err != nil { // finished at once
		t.Fatal(err)
	}
	if got := len(d.Log("", 0)); got != 4 || d.Pending() != 4 {
		t.Errorf("log holds %d records, %d pending; want the 4 pending only", got, d.Pending())
	}
}

func TestCancelStopsRun(t *testing.T) {
	rv := &receiver{}
	ep := serve(t, rv)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a client going away only after the body
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // never answers: the client's cancellation ends it
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	eps := &endpoints{}
	eps.set("ABC", Endpoint{URL: hang.URL, Secret: ep.Secret})
	d := New(fast(eps))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(done)
	}()
	if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	<-arrived
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	rec, _ := d.Get("o-1:pending")
	if rec.State != StatePending || len(rec.Attempts) != 0 || d.Pending() != 1 {
		t.Fatalf("after cancel: state %q, %d attempts, %d pending; want pending, 0, 1",
			rec.State, len(rec.Attempts), d.Pending())
	}

	// The queue survives in memory: the next Run delivers it.
	eps.set("ABC", ep)
	start(t, d)
	rec = waitState(t, d, "o-1:pending", StateDelivered)
	if len(rec.Attempts) != 1 {
		t.Errorf("attempts = %+v, want 1", rec.Attempts)
	}
}

func TestConcurrentEnqueue(t *testing.T) {
	rv := &receiver{}
	ep := serve(t, rv)
	eps := &endpoints{}
	eps.set("ABC", ep)
	eps.set("ICBC", ep)
	opt := fast(eps)
	opt.Workers = 8
	d := New(opt)
	start(t, d)

	const goroutines, each, keys = 16, 50, 300
	orgs := []string{"ABC", "ICBC", "CT"} // CT has no endpoint
	want := map[string]bool{}
	for g := range goroutines {
		for i := range each {
			want[fmt.Sprintf("o-%d:pending", (g*each+i*7)%keys)] = true
		}
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				k := (g*each + i*7) % keys
				if err := d.Enqueue(order(fmt.Sprintf("o-%d:pending", k), orgs[k%3])); err != nil {
					t.Error(err)
				}
				if i%10 == 0 {
					d.Log("ABC", 5)
					d.Get(fmt.Sprintf("o-%d:pending", k))
					d.Redeliver("ICBC")
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "queue to drain", func() bool { return d.Pending() == 0 })

	perKey := map[string]int{}
	for _, r := range rv.requests() {
		perKey[r.key]++
	}
	for _, rec := range d.Log("", 0) {
		want, state := 1, StateDelivered
		if rec.Org == "CT" {
			want, state = 0, StateNoEndpoint
		}
		if rec.State != state || perKey[rec.Key] != want {
			t.Errorf("%s (%s): state %q, delivered %d times; want %q, %d", rec.Key, rec.Org, rec.State, perKey[rec.Key], state, want)
		}
	}
	if n := len(d.Log("", 0)); n != len(want) {
		t.Errorf("log holds %d records, want %d", n, len(want))
	}
}

func TestEnqueueAfterFailureSendsAgain(t *testing.T) {
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		if n == 1 {
			http.Error(w, "unknown account", http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusOK)
	}}
	eps := &endpoints{}
	eps.set("ABC", serve(t, rv))
	d := New(fast(eps))
	start(t, d)

	if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	waitState(t, d, "o-1:pending", StateFailed)
	if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil { // e.g. the desk corrected the order
		t.Fatal(err)
	}
	rec := waitState(t, d, "o-1:pending", StateDelivered)
	if diff := cmp.Diff([]int{422, 200}, statuses(rec)); diff != "" {
		t.Errorf("attempt statuses (-want +got):\n%s", diff)
	}
	if n := len(d.Log("", 0)); n != 1 {
		t.Errorf("log holds %d records, want 1", n)
	}
}
