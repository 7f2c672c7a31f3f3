package auth

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	alice = Principal{Kind: KindUser, Name: "an.ping", Role: Hotline}
	bob   = Principal{Kind: KindUser, Name: "li.wei", Role: BankLiaison, Org: "ICBC"}
)

func TestSessionStartGet(t *testing.T) {
	c := newClock()
	ss := NewSessions(30*time.Minute, 12*time.Hour, c.Now)
	s := ss.Start(alice)
	if len(s.Token) != 43 || len(s.CSRF) != 43 || s.Token == s.CSRF {
		t.Fatalf("token %q, CSRF %q: want two different 43-character values", s.Token, s.CSRF)
	}
	if other := ss.Start(alice); other.Token == s.Token || other.CSRF == s.CSRF {
		t.Fatalf("two sessions share a token")
	}
	c.Add(10 * time.Minute)
	got, ok := ss.Get(s.Token)
	if !ok {
		t.Fatal("Get: no session")
	}
	want := Session{Token: s.Token, CSRF: s.CSRF, Principal: alice, Started: s.Started, LastSeen: c.Now()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if !got.CheckCSRF(s.CSRF) || got.CheckCSRF(s.Token) || got.CheckCSRF("") {
		t.Errorf("CheckCSRF accepts the wrong token or refuses the right one")
	}
	for _, tok := range []string{"", "nope", s.CSRF, s.Token[:42]} {
		if _, ok := ss.Get(tok); ok {
			t.Errorf("Get(%q) found a session", tok)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // time between successive Gets
		alive []bool          // whether each Get finds the session
	}{
		{"active within idle", []time.Duration{29 * time.Minute, 29 * time.Minute, 29 * time.Minute}, []bool{true, true, true}},
		{"idle timeout", []time.Duration{29 * time.Minute, 30 * time.Minute}, []bool{true, false}},
		{"idle timeout stays ended", []time.Duration{31 * time.Minute, time.Second}, []bool{false, false}},
		{"absolute timeout despite activity", repeat(25*time.Minute, 29), append(repeatBool(true, 28), false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			ss := NewSessions(30*time.Minute, 12*time.Hour, c.Now)
			s := ss.Start(alice)
			for i, d := range tt.steps {
				c.Add(d)
				if _, ok := ss.Get(s.Token); ok != tt.alive[i] {
					t.Fatalf("step %d (+%v, %v since start): alive = %v, want %v", i, d, c.Now().Sub(s.Started), ok, tt.alive[i])
				}
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func repeatBool(b bool, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestSessionDefaults(t *testing.T) {
	c := newClock()
	ss := NewSessions(0, 0, c.Now)
	s := ss.Start(alice)
	c.Add(DefaultIdle - time.Second)
	if _, ok := ss.Get(s.Token); !ok {
		t.Fatal("session ended before the default idle time")
	}
	c.Add(DefaultIdle)
	if _, ok := ss.Get(s.Token); ok {
		t.Fatal("session outlived the default idle time")
	}
}

func TestSessionEnd(t *testing.T) {
	c := newClock()
	ss := NewSessions(0, 0, c.Now)
	a1, a2, b1 := ss.Start(alice), ss.Start(alice), ss.Start(bob)
	key := ss.Start(Principal{Kind: KindKey, Name: alice.Name, Role: Analyst, KeyID: "key_0123456789ab"})

	ss.End(a1.Token)
	ss.End("unknown") // no effect, no panic
	if _, ok := ss.Get(a1.Token); ok {
		t.Error("ended session still found")
	}
	if _, ok := ss.Get(a2.Token); !ok {
		t.Error("End ended another session of the same user")
	}

	a3 := ss.Start(alice)
	if n := ss.EndAll(alice.Name); n != 2 {
		t.Errorf("EndAll ended %d sessions, want 2", n)
	}
	for _, s := range []Session{a2, a3} {
		if _, ok := ss.Get(s.Token); ok {
			t.Error("session survived EndAll")
		}
	}
	if _, ok := ss.Get(b1.Token); !ok {
		t.Error("EndAll ended another user's session")
	}
	if _, ok := ss.Get(key.Token); !ok {
		t.Error("EndAll ended a key principal of the same name")
	}
}

func TestSessionSweep(t *testing.T) {
	c := newClock()
	ss := NewSessions(30*time.Minute, 12*time.Hour, c.Now)
	for range 5 {
		ss.Start(alice)
	}
	c.Add(20 * time.Minute)
	fresh := ss.Start(bob)
	if got := ss.Sweep(); got != 6 {
		t.Fatalf("Sweep before expiry left %d, want 6", got)
	}
	c.Add(15 * time.Minute)
	if got := ss.Sweep(); got != 1 {
		t.Fatalf("Sweep left %d, want 1", got)
	}
	if _, ok := ss.Get(fresh.Token); !ok {
		t.Fatal("Sweep removed a live session")
	}

	// Start sweeps on its own, at most once a minute.
	for range 3 {
		ss.Start(alice)
	}
	c.Add(31 * time.Minute)
	ss.Start(bob)
	if got := ss.Len(); got != 1 {
		t.Errorf("after Start past expiry, %d sessions held, want 1", got)
	}
}
