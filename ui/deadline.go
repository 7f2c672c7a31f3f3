package ui

import (
	"context"
	"sync"
	"time"
)

// deadlineContext is context.WithDeadline(parent, at) that starts no timer until
// something waits for it (Done): most requests never do (a decision, a list lookup),
// and on /decide the timer and its context were 4% of the console's CPU. Err tells a
// deadline that passed without one. stop is the cancel function.
type deadlineContext struct {
	context.Context // the parent
	at              time.Time

	mu      sync.Mutex
	real    context.Context // made by the first Done
	cancel  context.CancelFunc
	stopped bool
}

func withDeadline(parent context.Context, at time.Time) *deadlineContext {
	if d, ok := parent.Deadline(); ok && d.Before(at) {
		at = d
	}
	return &deadlineContext{Context: parent, at: at}
}

func (c *deadlineContext) Deadline() (time.Time, bool) { return c.at, true }

func (c *deadlineContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real == nil {
		c.real, c.cancel = context.WithDeadline(c.Context, c.at)
		if c.stopped {
			c.cancel()
		}
	}
	return c.real.Done()
}

func (c *deadlineContext) Err() error {
	c.mu.Lock()
	real, stopped := c.real, c.stopped
	c.mu.Unlock()
	switch {
	case real != nil:
		return real.Err()
	case stopped:
		return context.Canceled
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.at) {
		return context.DeadlineExceeded
	}
	return nil
}

// stop ends the context, as the cancel function of context.WithDeadline does.
func (c *deadlineContext) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped = true
		if c.cancel != nil {
			c.cancel()
		}
	}
}
