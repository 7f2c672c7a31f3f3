package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lanjie/lanjie/intercept"
)

func TestRetryThenDeliveredAppliedOnce(t *testing.T) {
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		if n == 1 { // stored the order, then failed before answering: Lanjie must retry
			http.Error(w, "database timeout", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}}
	eps := &endpoints{}
	eps.set("ABC", serve(t, rv))
	res := &results{}
	opt := fast(eps)
	opt.OnResult = res.add
	d := New(opt)
	start(t, d)

	if err := d.Enqueue(order("o-1:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	rec := waitState(t, d, "o-1:pending", StateDelivered)

	if diff := cmp.Diff([]int{500, 200}, statuses(rec)); diff != "" {
		t.Errorf("attempt statuses (-want +got):\n%s", diff)
	}
	if rec.Attempts[0].N != 1 || rec.Attempts[1].N != 2 {
		t.Errorf("attempt numbers = %d, %d", rec.Attempts[0].N, rec.Attempts[1].N)
	}
	if !strings.Contains(rec.Attempts[0].Error, "database timeout") || rec.Attempts[1].Error != "" {
		t.Errorf("attempt errors = %q, %q", rec.Attempts[0].Error, rec.Attempts[1].Error)
	}
	reqs := rv.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver saw %d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		if r.verifyErr != nil {
			t.Errorf("request %d: signature: %v", i, r.verifyErr)
		}
		want := seenReq{key: "o-1:pending", event: "order.pending", contentType: "application/json"}
		got := seenReq{key: r.key, event: r.event, contentType: r.contentType}
		if got != want {
			t.Errorf("request %d headers = %+v, want %+v", i, got, want)
		}
		if r.delivery != rec.Attempts[i].ID || r.delivery == "" {
			t.Errorf("request %d delivery id %q, attempt id %q", i, r.delivery, rec.Attempts[i].ID)
		}
	}
	if reqs[0].delivery == reqs[1].delivery {
		t.Errorf("both attempts sent delivery id %q", reqs[0].delivery)
	}
	if n := rv.applications(); n != 1 {
		t.Errorf("receiver applied the order %d times, want 1", n)
	}
	if diff := cmp.Diff([]string{"o-1:pending delivered"}, res.states()); diff != "" {
		t.Errorf("OnResult calls (-want +got):\n%s", diff)
	}
	if !rec.NextAt.IsZero() || d.Pending() != 0 {
		t.Errorf("after delivery NextAt = %v, Pending = %d", rec.NextAt, d.Pending())
	}
}

func TestRefusedOrGivenUp(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		maxAttempts int
		want        []int
	}{
		{"permanent 400", http.StatusBadRequest, 5, []int{400}},
		{"permanent 404", http.StatusNotFound, 5, []int{404}},
		{"redirect not followed", http.StatusFound, 5, []int{302}},
		{"503 until MaxAttempts", http.StatusServiceUnavailable, 3, []int{503, 503, 503}},
		{"408 until MaxAttempts", http.StatusRequestTimeout, 2, []int{408, 408}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := &receiver{respond: func(_ int, w http.ResponseWriter) {
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				http.Error(w, "account unknown", tt.status)
			}}
			eps := &endpoints{}
			eps.set("ABC", serve(t, rv))
			res := &results{}
			opt := fast(eps)
			opt.MaxAttempts = tt.maxAttempts
			opt.OnResult = res.add
			d := New(opt)
			start(t, d)

			if err := d.Enqueue(order("o-2:pending", "ABC")); err != nil {
				t.Fatal(err)
			}
			rec := waitState(t, d, "o-2:pending", StateFailed)
			if diff := cmp.Diff(tt.want, statuses(rec)); diff != "" {
				t.Errorf("attempt statuses (-want +got):\n%s", diff)
			}
			if got := len(rv.requests()); got != len(tt.want) {
				t.Errorf("receiver saw %d requests, want %d", got, len(tt.want))
			}
			if !strings.Contains(rec.Attempts[0].Error, "account unknown") {
				t.Errorf("attempt error %q does not quote the refusal", rec.Attempts[0].Error)
			}
			if diff := cmp.Diff([]string{"o-2:pending failed"}, res.states()); diff != "" {
				t.Errorf("OnResult calls (-want +got):\n%s", diff)
			}
			if d.Pending() != 0 {
				t.Errorf("Pending = %d after failure", d.Pending())
			}
		})
	}
}

func TestMisconfiguredEndpointFailsAtOnce(t *testing.T) {
	tests := []struct {
		name string
		ep   Endpoint
		want string
	}{
		{"no secret", Endpoint{URL: "http://127.0.0.1:1/hook"}, "no secret"},
		{"not http", Endpoint{URL: "ftp://127.0.0.1/hook", Secret: []byte("s")}, "not a valid http(s) URL"},
		{"unparsable URL", Endpoint{URL: "http://[::1/hook?token=abc", Secret: []byte("s")}, "not a valid http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := &endpoints{}
			eps.set("ABC", tt.ep)
			d := New(fast(eps))
			start(t, d)
			if err := d.Enqueue(order("o-3:pending", "ABC")); err != nil {
				t.Fatal(err)
			}
			rec := waitState(t, d, "o-3:pending", StateFailed)
			if len(rec.Attempts) != 1 || rec.Attempts[0].Status != 0 || !strings.Contains(rec.Attempts[0].Error, tt.want) {
				t.Fatalf("attempts = %+v, want one with error %q", rec.Attempts, tt.want)
			}
			if strings.Contains(rec.Attempts[0].Error, "token") {
				t.Errorf("error %q quotes the URL", rec.Attempts[0].Error)
			}
		})
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	rv := &receiver{}
	ep := serve(t, rv)
	eps := &endpoints{}
	eps.set("ABC", Endpoint{URL: "http://127.0.0.1:1/hook", Secret: ep.Secret}) // nothing listens on port 1
	opt := fast(eps)
	opt.MaxAttempts = 3
	d := New(opt)
	start(t, d)

	if err := d.Enqueue(order("o-4:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	rec := waitState(t, d, "o-4:pending", StateFailed)
	if diff := cmp.Diff([]int{0, 0, 0}, statuses(rec)); diff != "" {
		t.Errorf("attempt statuses (-want +got):\n%s", diff)
	}
	if rec.Attempts[0].Error == "" {
		t.Error("network error not recorded")
	}

	// The partner fixes its address: Redeliver sends the failed record again.
	eps.set("ABC", ep)
	if n := d.Redeliver("ABC"); n != 1 {
		t.Fatalf("Redeliver = %d, want 1", n)
	}
	rec = waitState(t, d, "o-4:pending", StateDelivered)
	if diff := cmp.Diff([]int{0, 0, 0, 204}, statuses(rec)); diff != "" {
		t.Errorf("attempt statuses after Redeliver (-want +got):\n%s", diff)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}}
	eps := &endpoints{}
	eps.set("ABC", serve(t, rv))
	opt := fast(eps)
	opt.MaxBackoff = time.Minute // above the Retry-After, which therefore applies in full
	d := New(opt)
	start(t, d)

	if err := d.Enqueue(order("o-5:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	rec := waitState(t, d, "o-5:pending", StateDelivered)
	if diff := cmp.Diff([]int{429, 200}, statuses(rec)); diff != "" {
		t.Fatalf("attempt statuses (-want +got):\n%s", diff)
	}
	const slack = 10 * time.Millisecond
	if gap := rec.Attempts[1].At.Sub(rec.Attempts[0].At); gap < time.Second-slack {
		t.Errorf("second attempt %v after the first, want at least 1s (Retry-After)", gap)
	}
	reqs := rv.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second-slack {
		t.Errorf("receiver saw the retry %v after the 429, want at least 1s", gap)
	}
}

func TestRetryAfterCappedAtMaxBackoff(t *testing.T) {
	rv := &receiver{respond: func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}}
	eps := &endpoints{}
	eps.set("ABC", serve(t, rv))
	d := New(fast(eps)) // MaxBackoff 50ms: an hour's Retry-After would outlast waitFor
	start(t, d)
	if err := d.Enqueue(order("o-6:pending", "ABC")); err != nil {
		t.Fatal(err)
	}
	waitState(t, d, "o-6:pending", StateDelivered)
}

func TestEnqueueInvalid(t *testing.T) {
	d := New(Options{})
	tests := []struct {
		name string
		dl   Delivery
	}{
		{"no key", Delivery{Org: "ABC", Event: "order.pending", Body: []byte(`{}`)}},
		{"no org", Delivery{Key: "k", Event: "order.pending", Body: []byte(`{}`)}},
		{"no event", Delivery{Key: "k", Org: "ABC", Body: []byte(`{}`)}},
		{"key with newline", Delivery{Key: "k\r\nX-Evil: 1", Org: "ABC", Event: "order.pending", Body: []byte(`{}`)}},
		{"event not ASCII", Delivery{Key: "k", Org: "ABC", Event: "订单", Body: []byte(`{}`)}},
		{"key too long", Delivery{Key: strings.Repeat("k", 201), Org: "ABC", Event: "order.pending", Body: []byte(`{}`)}},
		{"body not JSON", Delivery{Key: "k", Org: "ABC", Event: "order.pending", Body: []byte(`{"a":`)}},
		{"empty body", Delivery{Key: "k", Org: "ABC", Event: "order.pending"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Enqueue(tt.dl); !errors.Is(err, intercept.ErrInvalid) {
				t.Fatalf("Enqueue = %v, want ErrInvalid", err)
			}
		})
	}
	if got := d.Log("", 0); len(got) != 0 {
		t.Errorf("invalid deliveries were logged: %+v", got)
	}
}

func TestQueueBound(t *testing.T) {
	eps := &endpoints{}
	eps.set("ABC", Endpoint{URL: "http://127.0.0.1:1/hook", Secret: []byte("s")})
	opt := fast(eps)
	opt.MaxPending = 2
	d := New(opt) // not running: nothing leaves the queue
	for i := range 2 {
		if err := d.Enqueue(order(fmt.Sprintf("o-%d:pending", i), "ABC")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Enqueue(order("o-9:pending", "ABC")); !errors.Is(err, intercept.ErrUnavailable) {
		t.Fatalf("Enqueue beyond MaxPending = %v, want ErrUnavailable", err)
	}
	if err := d.Enqueue(order("o-0:pending", "ABC")); err != nil {
		t.Errorf("Enqueue of a pending key when full = %v, want nil (no-op)", err)
	}
	if err := d.Enqueue(order("o-9:pending", "CMCC")); err != nil { // no endpoint: not queued
		t.Errorf("Enqueue for an org without endpoint when full = %v", err)
	}
	if _, ok := d.Get("o-9:pending"); !ok {
		t.Error("the no_endpoint record is missing")
	}
	if d.Pending() != 2 {
		t.Errorf("Pending = %d, want 2", d.Pending())
	}
}
