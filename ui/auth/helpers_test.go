package auth

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// clock is a settable test clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testPassword is a synthetic password of valid length.
const testPassword = "correct-horse-battery"

// newStore opens an empty store in a fresh directory with a fast bcrypt cost.
func newStore(t *testing.T) (*Store, string, *clock) {
	t.Helper()
	c := newClock()
	path := filepath.Join(t.TempDir(), "auth.json")
	s, err := Open(path, Options{BcryptCost: bcrypt.MinCost, Now: c.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, path, c
}

// reopen opens the store file at path again, as a restart would.
func reopen(t *testing.T, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(path, Options{BcryptCost: bcrypt.MinCost, Now: c.Now})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	return s
}
