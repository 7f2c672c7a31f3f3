package webhook

import (
	"context"
	"crypto/rand"
	"sync"
	"time"
)

// Run sends queued deliveries from Options.Workers workers until ctx ends, then
// returns once every worker has stopped. A request cut short by ctx does not count as
// an attempt; it and every other pending delivery stay queued in memory for the next
// Run. Run must not be called again before it returns (a second call returns at once).
func (d *Deliverer) Run(ctx context.Context) {
	if !d.running.CompareAndSwap(false, true) {
		d.log.ErrorContext(ctx, "webhook_run_twice")
		return
	}
	defer d.running.Store(false)
	work := make(chan *entry)
	var wg sync.WaitGroup
	for range d.opt.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case e := <-work:
					d.attempt(ctx, e)
				}
			}
		})
	}
	d.dispatch(ctx, work)
	wg.Wait()
}

// dispatch hands due entries to the workers and otherwise sleeps until the next one
// is due or a new one is queued, so that a delivery waiting to retry holds no worker.
func (d *Deliverer) dispatch(ctx context.Context, work chan<- *entry) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		e, wait, more := d.next(time.Now())
		if e != nil {
			select {
			case work <- e:
			case <-ctx.Done():
				d.mu.Lock()
				d.schedule(e, time.Now())
				d.mu.Unlock()
				return
			}
			continue
		}
		var due <-chan time.Time
		if more {
			timer.Reset(wait)
			due = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-due:
		}
		timer.Stop()
	}
}

// attempt sends e once and records the outcome: delivered, failed, or scheduled for
// a retry.
func (d *Deliverer) attempt(ctx context.Context, e *entry) {
	d.mu.Lock()
	dl := e.rec.Delivery
	n := len(e.rec.Attempts) + 1
	d.mu.Unlock()

	ep, ok := d.endpoint(dl.Org)
	if !ok { // removed since it was queued
		d.mu.Lock()
		e.rec.State = StateNoEndpoint
		d.pending--
		d.finish(e)
		d.mu.Unlock()
		d.log.InfoContext(ctx, "webhook_no_endpoint", "key", dl.Key, "org", dl.Org)
		return
	}
	a := Attempt{N: n, ID: rand.Text(), At: time.Now()}
	res := d.post(ctx, ep, dl, a.ID, a.At)
	a.Took = time.Since(a.At)
	if res.err != nil && ctx.Err() != nil {
		// Shutting down: not the receiver's fault, so not an attempt.
		d.mu.Lock()
		d.schedule(e, time.Now())
		d.mu.Unlock()
		return
	}
	a.Status = res.status
	a.Error = res.describe()

	d.mu.Lock()
	e.rec.Attempts = append(e.rec.Attempts, a)
	e.tries++
	outcome := res.outcome()
	if outcome == retry && e.tries >= d.opt.MaxAttempts {
		outcome = failed
	}
	var wait time.Duration
	if outcome == retry {
		wait = backoff(d.opt.BaseBackoff, d.opt.MaxBackoff, e.tries, res.retryAfter)
		d.schedule(e, time.Now().Add(wait))
	} else {
		e.rec.State = StateDelivered
		if outcome == failed {
			e.rec.State = StateFailed
		}
		d.pending--
		d.finish(e)
	}
	rec := e.snapshot()
	d.mu.Unlock()

	attrs := []any{"key", dl.Key, "org", dl.Org, "event", dl.Event, "attempt", n,
		"delivery_id", a.ID, "status", a.Status, "took_ms", a.Took.Milliseconds()}
	switch outcome {
	case retry:
		d.log.WarnContext(ctx, "webhook_retry", append(attrs, "error", a.Error, "retry_in", wait.String())...)
		return
	case delivered:
		d.log.InfoContext(ctx, "webhook_delivered", attrs...)
	case failed:
		d.log.WarnContext(ctx, "webhook_failed", append(attrs, "error", a.Error)...)
	}
	if d.opt.OnResult != nil {
		d.opt.OnResult(rec)
	}
}
