package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	c := newClock()
	th := NewThrottle(3, 10*time.Minute, c.Now)
	check := func(key string, wantOK bool, wantRetry time.Duration) {
		t.Helper()
		retry, ok := th.Check(key)
		if ok != wantOK || retry != wantRetry {
			t.Fatalf("Check(%s) = %v, %v; want %v, %v", key, retry, ok, wantRetry, wantOK)
		}
	}
	check("user:li.wei", true, 0)
	th.Fail("user:li.wei")
	c.Add(time.Minute)
	th.Fail("user:li.wei")
	check("user:li.wei", true, 0)
	c.Add(time.Minute)
	th.Fail("user:li.wei")
	check("user:li.wei", false, 8*time.Minute)
	check("ip:192.0.2.1", true, 0)

	c.Add(5 * time.Minute)
	th.Fail("user:li.wei") // failures while locked do not extend the lock
	check("user:li.wei", false, 3*time.Minute)
	c.Add(3*time.Minute - time.Second)
	check("user:li.wei", false, time.Second)
	c.Add(time.Second)
	check("user:li.wei", true, 0)

	// A new window starts from the next failure.
	th.Fail("user:li.wei")
	th.Fail("user:li.wei")
	check("user:li.wei", true, 0)
	th.Fail("user:li.wei")
	check("user:li.wei", false, 10*time.Minute)
	th.Reset("user:li.wei")
	check("user:li.wei", true, 0)
	th.Reset("unknown") // no effect, no panic
}

func TestThrottleOldFailuresExpire(t *testing.T) {
	c := newClock()
	th := NewThrottle(3, 10*time.Minute, c.Now)
	th.Fail("k")
	th.Fail("k")
	c.Add(10 * time.Minute)
	th.Fail("k") // the first window has passed: this starts a new count of 1
	th.Fail("k")
	if _, ok := th.Check("k"); !ok {
		t.Fatal("failures from an expired window were counted")
	}
	th.Fail("k")
	if _, ok := th.Check("k"); ok {
		t.Fatal("three failures in the new window not refused")
	}
}

func TestThrottleDefaults(t *testing.T) {
	c := newClock()
	th := NewThrottle(0, 0, c.Now)
	for range DefaultThrottleMax {
		th.Fail("k")
	}
	retry, ok := th.Check("k")
	if ok || retry != DefaultThrottleWindow {
		t.Fatalf("Check = %v, %v; want %v, false", retry, ok, DefaultThrottleWindow)
	}
}

func TestThrottleBounded(t *testing.T) {
	c := newClock()
	th := NewThrottle(1, time.Hour, c.Now)
	th.limit = 100
	th.Fail("first")
	for i := range 150 {
		c.Add(time.Second)
		th.Fail(fmt.Sprintf("ip:%d", i))
	}
	if got := th.Len(); got != 100 {
		t.Fatalf("tracking %d keys, want the cap 100", got)
	}
	if _, ok := th.Check("first"); !ok {
		t.Error("the oldest key was not dropped")
	}
	if _, ok := th.Check("ip:149"); ok {
		t.Error("the newest key was dropped")
	}
	if _, ok := th.Check("ip:50"); ok {
		t.Error("key 50 of 150 (within the newest 100) was dropped")
	}
	if _, ok := th.Check("ip:49"); !ok {
		t.Error("key 49 of 150 (older than the newest 100) was kept")
	}
}
