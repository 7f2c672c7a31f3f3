package auth

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUse runs logins, key creation and verification, sessions and the
// throttle from several goroutines at once; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s, path, c := newStore(t)
	if _, err := s.CreateUser("li.wei", testPassword, Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.CreateKey("feed", BankSystem, "ICBC", "admin")
	if err != nil {
		t.Fatal(err)
	}
	ss := NewSessions(0, 0, c.Now)
	th := NewThrottle(5, 0, c.Now)

	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				p, err := s.Authenticate("li.wei", testPassword)
				if err != nil {
					errs <- fmt.Errorf("Authenticate: %w", err)
					continue
				}
				sess := ss.Start(p)
				if _, ok := ss.Get(sess.Token); !ok {
					errs <- fmt.Errorf("Get of a new session failed")
				}
				th.Fail(fmt.Sprintf("ip:%d", w))
				th.Check("user:li.wei")
				sec, k, err := s.CreateKey(fmt.Sprintf("feed %d-%d", w, i), Analyst, "", "admin")
				if err != nil {
					errs <- fmt.Errorf("CreateKey: %w", err)
					continue
				}
				if p, err := s.VerifyKey(sec); err != nil || p.KeyID != k.ID {
					errs <- fmt.Errorf("VerifyKey of a new key = %+v, %v", p, err)
				}
				if _, err := s.VerifyKey(secret); err != nil {
					errs <- fmt.Errorf("VerifyKey of the shared key: %w", err)
				}
				if i%3 == 0 {
					if err := s.RevokeKey(k.ID, "admin"); err != nil {
						errs <- fmt.Errorf("RevokeKey: %w", err)
					}
				}
				_ = s.Keys()
				_ = s.Users()
				ss.Sweep()
			}
		})
	}
	wg.Go(func() {
		for i := range rounds {
			name := fmt.Sprintf("user%d", i)
			if _, err := s.CreateUser(name, testPassword, Volunteer, "", "admin"); err != nil {
				errs <- fmt.Errorf("CreateUser: %w", err)
			}
			ss.EndAll(name)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if got, want := len(s.Keys()), 1+workers*rounds; got != want {
		t.Errorf("%d keys, want %d", got, want)
	}
	s2 := reopen(t, path, c)
	if got, want := len(s2.Keys()), 1+workers*rounds; got != want {
		t.Errorf("after reopen: %d keys, want %d", got, want)
	}
	if got, want := len(s2.Users()), 1+rounds; got != want {
		t.Errorf("after reopen: %d users, want %d", got, want)
	}
}
