package intercept

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Profile is the risk history of one account or number, built from history: reports
// against it, distinct victims, first seen, last order. It is expensive to compute, so
// it is cached; it is never the source of truth.
type Profile struct {
	Known     bool // false: not cached yet (a fill has been queued)
	Reports   int
	Victims   int
	FirstSeen time.Time
	LastOrder time.Time
}

// ProfileSource computes profiles from history (ClickHouse in production). It may be
// slow; it is only ever called off the decision path. It returns an error when the
// history cannot be read; the profile is then retried on a later miss.
type ProfileSource interface {
	Profile(ctx context.Context, x string) (Profile, error)
}

// Profiles caches profiles in ristretto with a TTL. Get never blocks: a miss returns
// an unknown profile and queues a fill for the background workers. ristretto may drop
// sets and evict entries by design; that only means another fill later.
type Profiles struct {
	cache *ristretto.Cache[uint64, Profile]
	src   ProfileSource
	ttl   time.Duration
	queue chan fillJob
	// pending marks the keys whose fill is queued or running, one slot per key hash:
	// a miss whose slot is taken, by its own key or another, queues nothing, and a
	// later miss queues it once the slot is free. Lossy like ristretto itself, and it
	// allocates nothing on the decision path (a sync.Map took two nodes per miss).
	pending [pendingSlots]atomic.Uint64
	// gens counts invalidations per key bucket: a fill that started before an
	// invalidation must not store its stale profile for a whole TTL.
	gens   [4096]atomic.Uint64
	log    *slog.Logger
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// NewProfiles returns a cache of up to size profiles filled from src by workers
// goroutines, which run until Close.
func NewProfiles(src ProfileSource, size int, ttl time.Duration, workers int, log *slog.Logger) (*Profiles, error) {
	if size < 1 {
		size = 1
	}
	c, err := ristretto.NewCache(&ristretto.Config[uint64, Profile]{
		NumCounters: int64(size) * 10, MaxCost: int64(size), BufferItems: 64, IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, fmt.Errorf("profile cache: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Profiles{cache: c, src: src, ttl: ttl, queue: make(chan fillJob, 4096), log: log, cancel: cancel}
	for range max(workers, 1) {
		p.wg.Add(1)
		go p.fill(ctx)
	}
	return p, nil
}

// Get returns the cached profile of x, or an unknown profile after queueing a fill.
func (p *Profiles) Get(x string) Profile {
	k := entityKey(x)
	if pr, ok := p.cache.Get(k); ok {
		return pr
	}
	slot, v := p.pendingSlot(k)
	if slot.CompareAndSwap(0, v) {
		select {
		case p.queue <- fillJob{x: strings.Clone(x), gen: p.gen(k).Load()}:
		default: // workers are behind: drop, a later miss queues it again
			slot.CompareAndSwap(v, 0)
		}
	}
	return Profile{}
}

const pendingSlots = 4096

// pendingSlot returns k's slot in pending and the value marking k there (never 0,
// which marks a free slot).
func (p *Profiles) pendingSlot(k uint64) (*atomic.Uint64, uint64) {
	return &p.pending[mix(k)%pendingSlots], max(k, 1)
}

type fillJob struct {
	x   string
	gen uint64
}

func (p *Profiles) gen(k uint64) *atomic.Uint64 { return &p.gens[mix(k)%uint64(len(p.gens))] }

// Invalidate drops the cached profile of x, after something changed it; a fill
// already running for it is discarded.
func (p *Profiles) Invalidate(x string) {
	k := entityKey(x)
	p.gen(k).Add(1)
	p.cache.Del(k)
}

// fillBatch is the most fills a worker takes from the queue at once: it then waits
// for ristretto to apply their sets once, not once per fill (a wait is a round trip
// through ristretto's own goroutine).
const fillBatch = 256

func (p *Profiles) fill(ctx context.Context) {
	defer p.wg.Done()
	jobs := make([]fillJob, 0, fillBatch)
	stored := make([]fillJob, 0, fillBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-p.queue:
			jobs = append(jobs[:0], job)
		}
	more:
		for len(jobs) < fillBatch {
			select {
			case job := <-p.queue:
				jobs = append(jobs, job)
			default:
				break more
			}
		}
		stored = stored[:0]
		// One deadline for the batch, not one per fill: a timer per fill cost more
		// than computing a profile from memory, and a history that hangs fails the
		// batch in 5 s rather than each of its fills in turn.
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for _, job := range jobs {
			k := entityKey(job.x)
			pr, err := p.src.Profile(fctx, job.x)
			switch {
			case err != nil:
				p.log.WarnContext(ctx, "profile_fill_failed", "err", err)
			case p.gen(k).Load() != job.gen:
				// Invalidated while we read history: the next miss fills it afresh.
			default:
				pr.Known = true
				p.cache.SetWithTTL(k, pr, 1, p.ttl)
				stored = append(stored, job)
			}
		}
		cancel()
		if len(stored) > 0 {
			p.cache.Wait() // make the fills visible before their keys can be queued again
		}
		for _, job := range stored {
			if k := entityKey(job.x); p.gen(k).Load() != job.gen {
				p.cache.Del(k) // invalidated while we stored it
			}
		}
		for _, job := range jobs {
			slot, v := p.pendingSlot(entityKey(job.x))
			slot.CompareAndSwap(v, 0)
		}
	}
}

// Close stops the workers and the cache.
func (p *Profiles) Close() {
	p.cancel()
	p.wg.Wait()
	p.cache.Close()
}

// memoryProfiles builds profiles from what the engine holds in memory: the reports
// window and the orders in force. It stands in for ClickHouse history until that is
// wired in, and is what tests and the demo use.
type memoryProfiles struct{ st *State }

func (m memoryProfiles) Profile(_ context.Context, x string) (Profile, error) {
	b := m.st.getBuf()
	defer m.st.putBuf(b)
	*b = m.st.victims.all(entityKey(x), *b)
	pr := Profile{Reports: len(*b), Victims: countDistinct(*b)}
	for _, mk := range *b {
		if t := time.UnixMilli(mk.at); pr.FirstSeen.IsZero() || t.Before(pr.FirstSeen) {
			pr.FirstSeen = t
		}
	}
	return pr, nil
}
