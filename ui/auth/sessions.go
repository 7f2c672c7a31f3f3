package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"
)

// Default session lifetimes.
const (
	DefaultIdle     = 30 * time.Minute
	DefaultAbsolute = 12 * time.Hour
	sweepEvery      = time.Minute
)

// Session is one login. Token goes in the session cookie; CSRF is sent back by the
// page with every state-changing request and checked with CheckCSRF. Both are left
// out of JSON, so a session can be listed or logged without leaking them.
type Session struct {
	Token     string    `json:"-"`
	CSRF      string    `json:"-"`
	Principal Principal `json:"principal"`
	Started   time.Time `json:"started"`
	LastSeen  time.Time `json:"last_seen"`
}

// CheckCSRF reports, in constant time, whether token is the session's CSRF token.
func (s Session) CheckCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

// Sessions holds login sessions in memory only: a restart of the console logs
// everybody out, and sessions are not shared between console instances (behind a
// load balancer, use sticky sessions). A session ends after idle time without a
// request or after an absolute lifetime, whichever comes first. Safe for concurrent use.
type Sessions struct {
	idle, absolute time.Duration
	now            func() time.Time

	mu        sync.Mutex
	byToken   map[[sha256.Size]byte]*Session // keyed by hash: lookups leak no timing about tokens
	lastSweep time.Time
}

// NewSessions returns an empty session table. idle or absolute <= 0 take
// DefaultIdle and DefaultAbsolute; now nil means time.Now.
func NewSessions(idle, absolute time.Duration, now func() time.Time) *Sessions {
	if idle <= 0 {
		idle = DefaultIdle
	}
	if absolute <= 0 {
		absolute = DefaultAbsolute
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{idle: idle, absolute: absolute, now: now, byToken: map[[sha256.Size]byte]*Session{}, lastSweep: now()}
}

// Start opens a session for p with fresh random token and CSRF token. It also sweeps
// expired sessions, at most once a minute.
func (ss *Sessions) Start(p Principal) Session {
	now := ss.now()
	s := &Session{
		Token:     randomString(32),
		CSRF:      randomString(32),
		Principal: p,
		Started:   now,
		LastSeen:  now,
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if now.Sub(ss.lastSweep) >= sweepEvery {
		ss.sweepLocked(now)
	}
	ss.byToken[sha256.Sum256([]byte(s.Token))] = s
	return *s
}

// Get returns the session of token and marks it seen now, or false when there is
// none or it has expired (an expired session is removed).
func (ss *Sessions) Get(token string) (Session, bool) {
	if token == "" {
		return Session{}, false
	}
	h := sha256.Sum256([]byte(token))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byToken[h]
	if s == nil {
		return Session{}, false
	}
	if ss.expired(s, now) {
		delete(ss.byToken, h)
		return Session{}, false
	}
	s.LastSeen = now
	return *s, true
}

// End ends the session of token, if any (logout).
func (ss *Sessions) End(token string) {
	h := sha256.Sum256([]byte(token))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byToken, h)
}

// EndAll ends every session of the user name, as when the user is disabled or
// their password changes. It returns how many it ended.
func (ss *Sessions) EndAll(name string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for h, s := range ss.byToken {
		if s.Principal.Kind == KindUser && s.Principal.Name == name {
			delete(ss.byToken, h)
			n++
		}
	}
	return n
}

// Sweep removes expired sessions and returns how many remain.
func (ss *Sessions) Sweep() int {
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweepLocked(now)
	return len(ss.byToken)
}

// Len returns the number of sessions held, expired ones not yet swept included.
func (ss *Sessions) Len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byToken)
}

// sweepLocked drops expired sessions; the caller holds ss.mu.
func (ss *Sessions) sweepLocked(now time.Time) {
	for h, s := range ss.byToken {
		if ss.expired(s, now) {
			delete(ss.byToken, h)
		}
	}
	ss.lastSweep = now
}

// expired reports whether s has passed its idle or absolute lifetime at now.
func (ss *Sessions) expired(s *Session, now time.Time) bool {
	return now.Sub(s.LastSeen) >= ss.idle || now.Sub(s.Started) >= ss.absolute
}
