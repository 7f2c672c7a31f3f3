package ui

import (
	"context"
	"sync"
	"time"
)

// deadlineContext is context.WithDeadline(parent, at) that starts no timer until
// something waits for it (Done): most requests never do (a decision, a list lookup),
// and on /decide the timer and its context were 4% of the console's CPU. Until then
// Err works the deadline out from the clock; the first error it gives is kept, as a
// context's must be. stop is the cancel function.
type deadlineContext struct {
	context.Context // the parent
	at              time.Time

	mu     sync.Mutex
	done   <-chan struct{} // nil until asked for or ended
	err    error           // why it ended, when it ended with no timer
	real   context.Context // the timer's, made by a Done before it ended
	cancel context.CancelFunc
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
	if c.done == nil {
		if err := c.pending(); err != nil {
			c.end(err)
		} else {
			c.real, c.cancel = context.WithDeadline(c.Context, c.at)
			c.done = c.real.Done()
		}
	}
	return c.done
}

func (c *deadlineContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.real != nil:
		return c.real.Err()
	case c.done != nil:
		return c.err
	}
	err := c.pending()
	if err != nil {
		c.end(err)
	}
	return err
}

// stop ends the context, as the cancel function of context.WithDeadline does.
func (c *deadlineContext) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.real != nil:
		c.cancel()
	case c.done == nil:
		err := c.pending()
		if err == nil {
			err = context.Canceled
		}
		c.end(err)
	}
}

// pending is the error the context has now, with no timer and not yet ended: the
// parent's, or the deadline's once it has passed. c.mu is held.
func (c *deadlineContext) pending() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.at) {
		return context.DeadlineExceeded
	}
	return nil
}

// end ends the context with err, with no timer. c.mu is held.
func (c *deadlineContext) end(err error) {
	ch := make(chan struct{})
	close(ch)
	c.done, c.err = ch, err
}
