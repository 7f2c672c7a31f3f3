package intercept_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// fakeSource is a ProfileSource whose behaviour each test sets.
type fakeSource struct {
	ProfileFunc func(ctx context.Context, x string) (intercept.Profile, error)
}

func (f fakeSource) Profile(ctx context.Context, x string) (intercept.Profile, error) {
	return f.ProfileFunc(ctx, x)
}

func newProfiles(t *testing.T, src intercept.ProfileSource, workers int) *intercept.Profiles {
	t.Helper()
	p, err := intercept.NewProfiles(src, 1024, time.Hour, workers, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls cond until it holds, failing the test after a generous deadline.
// It asserts that something happens, never how fast.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: did not happen", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// receive waits for a value on c, failing the test after a generous deadline.
func receive[T any](t *testing.T, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: did not happen", what)
		panic("unreachable")
	}
}

// A miss answers at once with an unknown profile, even while the source is stuck; the
// fill shows up later, and a key is filled once however often it is asked for.
func TestProfilesMissDoesNotBlock(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	var calls atomic.Int32
	p := newProfiles(t, fakeSource{func(ctx context.Context, x string) (intercept.Profile, error) {
		calls.Add(1)
		started <- x
		<-release
		return intercept.Profile{Reports: 3, Victims: 2, FirstSeen: it.T0}, nil
	}}, 1)
	defer p.Close()

	if got := p.Get(payee); got.Known {
		t.Fatalf("first Get = %+v, want unknown", got)
	}
	if x := receive(t, "fill started", started); x != payee {
		t.Errorf("source asked for %q, want %q", x, payee)
	}
	// The source is blocked now; Get still answers.
	got := make(chan intercept.Profile)
	go func() {
		for range 100 {
			p.Get(payee)
		}
		got <- p.Get(payee)
	}()
	if pr := receive(t, "Get while the source blocks", got); pr.Known {
		t.Errorf("Get while filling = %+v, want unknown", pr)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("source called %d times while a fill was pending, want 1", n)
	}
	close(release)

	want := intercept.Profile{Known: true, Reports: 3, Victims: 2, FirstSeen: it.T0}
	var pr intercept.Profile
	eventually(t, "fill visible", func() bool { pr = p.Get(payee); return pr.Known })
	if diff := cmp.Diff(want, pr); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("source called %d times, want 1", n)
	}
}

// A source error is not cached: the next miss asks again.
func TestProfilesRetryAfterError(t *testing.T) {
	var calls atomic.Int32
	p := newProfiles(t, fakeSource{func(ctx context.Context, x string) (intercept.Profile, error) {
		if calls.Add(1) == 1 {
			return intercept.Profile{}, errors.New("clickhouse down")
		}
		return intercept.Profile{Reports: 1}, nil
	}}, 2)
	defer p.Close()

	if pr := p.Get(payee); pr.Known {
		t.Fatalf("first Get = %+v, want unknown", pr)
	}
	eventually(t, "first fill fails", func() bool { return calls.Load() >= 1 })
	var pr intercept.Profile
	eventually(t, "retried fill visible", func() bool { pr = p.Get(payee); return pr.Known })
	if pr.Reports != 1 {
		t.Errorf("profile %+v, want 1 report", pr)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("source called %d times, want 2", n)
	}
}

// Invalidate drops a cached profile; the next Get misses and fills it afresh.
func TestProfilesInvalidate(t *testing.T) {
	var version atomic.Int32
	p := newProfiles(t, fakeSource{func(ctx context.Context, x string) (intercept.Profile, error) {
		return intercept.Profile{Reports: int(version.Load())}, nil
	}}, 1)
	defer p.Close()

	version.Store(1)
	eventually(t, "first fill", func() bool { return p.Get(payee).Known })
	version.Store(2)
	if pr := p.Get(payee); pr.Reports != 1 {
		t.Fatalf("cached profile %+v, want version 1", pr)
	}
	p.Invalidate(payee)
	if pr := p.Get(payee); pr.Known {
		t.Errorf("Get after Invalidate = %+v, want unknown", pr)
	}
	eventually(t, "refill", func() bool { return p.Get(payee).Reports == 2 })
	// Other keys are separate.
	if pr := p.Get(scammer); pr.Known {
		t.Errorf("Get(other key) = %+v, want unknown", pr)
	}
}

// An Invalidate that arrives while a fill is running wins: the fill read history from
// before the change, so its result must not be cached (else a report against an
// account stays invisible in its profile for a whole TTL).
func TestProfilesInvalidateDuringFill(t *testing.T) {
	var reports atomic.Int32 // the history the source reads
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	var calls atomic.Int32
	p := newProfiles(t, fakeSource{func(ctx context.Context, x string) (intercept.Profile, error) {
		pr := intercept.Profile{Reports: int(reports.Load())} // read before the change
		if calls.Add(1) == 1 {
			started <- struct{}{}
			<-release
		}
		return pr, nil
	}}, 1)
	defer p.Close()

	p.Get(payee)
	receive(t, "fill started", started)
	reports.Store(1) // a report arrives...
	p.Invalidate(payee)
	close(release) // ...while the fill is still running

	var pr intercept.Profile
	eventually(t, "profile known", func() bool { pr = p.Get(payee); return pr.Known })
	if pr.Reports != 1 {
		t.Errorf("profile %+v cached from before Invalidate, want the report counted", pr)
	}
}

// fillWorkers counts goroutines running Profiles workers.
func fillWorkers() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "intercept.(*Profiles).fill(")
}

// Close cancels a fill in progress and returns once every worker is gone.
func TestProfilesClose(t *testing.T) {
	before := fillWorkers()
	started := make(chan struct{}, 1)
	canceled := make(chan error, 1)
	p := newProfiles(t, fakeSource{func(ctx context.Context, x string) (intercept.Profile, error) {
		started <- struct{}{}
		<-ctx.Done()
		canceled <- ctx.Err()
		return intercept.Profile{}, ctx.Err()
	}}, 3)
	eventually(t, "3 workers running", func() bool { return fillWorkers()-before == 3 })
	p.Get(payee)
	receive(t, "fill started", started)

	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	receive(t, "Close returned", closed)
	if err := receive(t, "fill canceled", canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("fill context err = %v, want Canceled", err)
	}
	// A worker may still be returning from its last deferred call when Close returns.
	eventually(t, "workers gone", func() bool { return fillWorkers() == before })
	// Get after Close neither blocks nor fills.
	for range 5000 {
		if pr := p.Get(scammer); pr.Known {
			t.Fatalf("Get after Close = %+v", pr)
		}
	}
}

// Without a source the engine builds profiles from its own memory: a report shows up
// in the profile of its suspect account once the fill has run.
func TestEngineProfilesFromMemory(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), nil)
	st := e.State()
	if pr := st.Profile(payee); pr.Known {
		t.Fatalf("profile before anything = %+v", pr)
	}
	eventually(t, "empty profile filled", func() bool { return st.Profile(payee).Known })
	if pr := st.Profile(payee); pr.Reports != 0 {
		t.Fatalf("profile before any report = %+v", pr)
	}

	decide(t, e, it.Report("r-1", it.T0, "+8613800000001", nil, []string{payee}))
	decide(t, e, it.Report("r-2", it.T0.Add(time.Hour), "+8613800000002", nil, []string{payee}))
	decide(t, e, it.Report("r-3", it.T0.Add(2*time.Hour), "+8613800000001", nil, []string{payee}))
	// Each report invalidated the cached profile, so it is refilled with the reports.
	var pr intercept.Profile
	eventually(t, "profile with reports", func() bool { pr = st.Profile(payee); return pr.Known })
	want := intercept.Profile{Known: true, Reports: 3, Victims: 2, FirstSeen: it.T0}
	if diff := cmp.Diff(want, pr); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
}
