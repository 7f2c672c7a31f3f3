package ui

import (
	"context"
	"errors"
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestDeadlineContextEndsAtItsDeadline(t *testing.T) {
	later := time.Now().Add(time.Hour)
	ctx := withDeadline(context.Background(), later)
	defer ctx.stop()
	if d, ok := ctx.Deadline(); !ok || !d.Equal(later) {
		t.Fatalf("Deadline %v %v, want %v", d, ok, later)
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("Err an hour before the deadline: %v", err)
	}
	if closed(ctx.Done()) {
		t.Fatal("Done closed an hour before the deadline")
	}
	ctx = withDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
	defer ctx.stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done did not close at the deadline")
	}
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after the deadline: %v", err)
	}
}

// Past its deadline, with no one waiting yet, it says so, and Done agrees.
func TestDeadlineContextPassedUnwatched(t *testing.T) {
	ctx := withDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer ctx.stop()
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err past the deadline: %v", err)
	}
	if !closed(ctx.Done()) {
		t.Fatal("Done open past the deadline")
	}
}

func TestDeadlineContextStop(t *testing.T) {
	for _, watched := range []bool{false, true} {
		ctx := withDeadline(context.Background(), time.Now().Add(time.Hour))
		var child context.Context
		if watched {
			var cancel context.CancelFunc
			child, cancel = context.WithCancel(ctx) // watches Done
			defer cancel()
		}
		ctx.stop()
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("watched %v: Err after stop: %v", watched, err)
		}
		if !closed(ctx.Done()) {
			t.Fatalf("watched %v: Done open after stop", watched)
		}
		if child != nil {
			select {
			case <-child.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("a context made from it was not cancelled by stop")
			}
		}
		ctx.stop() // twice is harmless
	}
}

func TestDeadlineContextFollowsItsParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	soon := time.Now().Add(time.Minute)
	early, cancelEarly := context.WithDeadline(parent, soon)
	defer cancelEarly()
	ctx := withDeadline(early, time.Now().Add(time.Hour))
	defer ctx.stop()
	if d, _ := ctx.Deadline(); !d.Equal(soon) {
		t.Errorf("Deadline %v under a parent ending at %v", d, soon)
	}
	if ctx.Value(ctxKey{}) != "v" {
		t.Error("the parent's values are lost")
	}
	cancel()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err after the parent was cancelled: %v", err)
	}
	if !closed(ctx.Done()) {
		t.Fatal("Done open after the parent was cancelled")
	}
}

// Its error, once it has one, stays: a deadline that passed unwatched stays the
// reason after a stop, or a parent's cancellation; a stop stays the reason after the
// deadline passes.
func TestDeadlineContextKeepsItsFirstError(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx := withDeadline(parent, time.Now().Add(-time.Millisecond))
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err past the deadline: %v", err)
	}
	cancel()
	ctx.stop()
	<-ctx.Done()
	if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after the parent's cancellation and a stop: %v, want the deadline still", err)
	}

	at := time.Now().Add(300 * time.Millisecond) // time enough to stop it first, even on a loaded machine
	ctx = withDeadline(context.Background(), at)
	ctx.stop()
	if time.Now().After(at) {
		t.Fatal("the machine took 300 ms to stop a context")
	}
	time.Sleep(time.Until(at) + 10*time.Millisecond)
	<-ctx.Done()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err of a stopped context past its deadline: %v, want Canceled still", err)
	}
}

type ctxKey struct{}
