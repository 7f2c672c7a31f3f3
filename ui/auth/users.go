package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/lanjie/lanjie/intercept"
)

// Password limits. bcrypt reads at most 72 bytes, so a longer password would be
// silently cut; it is refused instead.
const (
	MinPasswordChars = 12
	MaxPasswordBytes = 72
)

// User is a person who logs in to the console. It never carries the password hash,
// so it is safe to return from the API as it is.
type User struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Org       string    `json:"org,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Disabled  bool      `json:"disabled"`
}

// checkName checks a user name: 2 to 32 of a-z, 0-9, '.', '_' and '-'.
func checkName(name string) error {
	if len(name) < 2 || len(name) > 32 {
		return fmt.Errorf("name %q: want 2 to 32 characters: %w", name, intercept.ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("name %q: only a-z, 0-9, '.', '_' and '-' allowed: %w", name, intercept.ErrInvalid)
		}
	}
	return nil
}

// CheckPassword checks a new password's length; it never puts the password in the error.
func CheckPassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("password: not valid UTF-8: %w", intercept.ErrInvalid)
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return fmt.Errorf("password: want at least %d characters: %w", MinPasswordChars, intercept.ErrInvalid)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("password: want at most %d bytes: %w", MaxPasswordBytes, intercept.ErrInvalid)
	}
	return nil
}

// CreateUser adds a user. Errors wrap intercept.ErrInvalid (bad name, password, role
// or org), intercept.ErrConflict (name taken) or intercept.ErrUnavailable (the file
// could not be written; nothing was kept).
func (s *Store) CreateUser(name, password string, role Role, org string, by string) (User, error) {
	if err := checkName(name); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := CheckPassword(password); err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	if err := checkRoleOrg(role, org); err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	if role.System() {
		return User{}, fmt.Errorf("create user %s: role %s is for API keys, not people: %w", name, role, intercept.ErrInvalid)
	}
	// Hash before taking the lock: bcrypt is slow on purpose.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[name] != nil {
		return User{}, fmt.Errorf("create user %s: name taken: %w", name, intercept.ErrConflict)
	}
	u := &userRecord{
		User: User{Name: name, Role: role, Org: org, Created: s.now().UTC(), CreatedBy: by},
		Hash: string(hash),
	}
	s.users[name] = u
	if err := s.save(); err != nil {
		delete(s.users, name)
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	return u.User, nil
}

// SetPassword replaces a user's password. The caller should end the user's sessions
// (Sessions.EndAll). Errors wrap intercept.ErrInvalid, ErrNotFound or ErrUnavailable.
func (s *Store) SetPassword(name, password string) error {
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil {
		return fmt.Errorf("set password of %s: no such user: %w", name, intercept.ErrNotFound)
	}
	old := u.Hash
	u.Hash = string(hash)
	if err := s.save(); err != nil {
		u.Hash = old
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

// DisableUser stops a user from logging in; disabling a disabled user does nothing.
// The caller should end the user's sessions (Sessions.EndAll). Disabling the last
// enabled admin is refused (intercept.ErrConflict) so the console never locks itself
// out. Other errors wrap intercept.ErrNotFound or ErrUnavailable.
func (s *Store) DisableUser(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil {
		return fmt.Errorf("disable user %s: no such user: %w", name, intercept.ErrNotFound)
	}
	if u.Disabled {
		return nil
	}
	if u.Role == Admin && s.enabledAdmins() == 1 {
		return fmt.Errorf("disable user %s: the last enabled admin: %w", name, intercept.ErrConflict)
	}
	u.Disabled = true
	if err := s.save(); err != nil {
		u.Disabled = false
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	return nil
}

// enabledAdmins counts enabled admins; the caller holds s.mu.
func (s *Store) enabledAdmins() int {
	n := 0
	for _, u := range s.users {
		if u.Role == Admin && !u.Disabled {
			n++
		}
	}
	return n
}

// Users returns every user, sorted by name.
func (s *Store) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u.User)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// sortUsers orders stored users by name, so the file diffs cleanly.
func sortUsers(us []userRecord) {
	slices.SortFunc(us, func(a, b userRecord) int { return strings.Compare(a.Name, b.Name) })
}

// User returns the named user, or an error wrapping intercept.ErrNotFound.
func (s *Store) User(name string) (User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.users[name]
	if u == nil {
		return User{}, fmt.Errorf("user %s: %w", name, intercept.ErrNotFound)
	}
	return u.User, nil
}

// Authenticate checks a user's password and returns who they are. A wrong password,
// an unknown user and a disabled user all return ErrBadCredentials, after the same
// bcrypt work, so neither the answer nor its timing tells which names exist.
func (s *Store) Authenticate(name, password string) (Principal, error) {
	if len(password) > MaxPasswordBytes {
		// No stored password is longer; bcrypt would compare only the first 72 bytes.
		return Principal{}, ErrBadCredentials
	}
	s.mu.RLock()
	rec := s.users[name]
	var u userRecord
	if rec != nil {
		u = *rec
	}
	s.mu.RUnlock()

	hash := s.dummy
	if rec != nil {
		hash = []byte(u.Hash)
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if rec == nil || u.Disabled || err != nil {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Kind: KindUser, Name: u.Name, Role: u.Role, Org: u.Org}, nil
}

// Bootstrap makes sure the console has an enabled admin. When it has none, it
// creates the user "admin" with password, or, when password is "", with a random
// password that it returns as generated so the caller can show it once. When an
// enabled admin exists it does nothing and returns created false. There is no
// default password. If a user named "admin" exists but is not an enabled admin
// (a hand-edited file), it refuses with intercept.ErrConflict rather than promote it.
func (s *Store) Bootstrap(password string) (generated string, created bool, err error) {
	s.mu.RLock()
	n, taken := s.enabledAdmins(), s.users["admin"] != nil
	s.mu.RUnlock()
	if n > 0 {
		return "", false, nil
	}
	if taken {
		return "", false, fmt.Errorf("bootstrap: no enabled admin, and the name admin is taken by a disabled or non-admin user: %w", intercept.ErrConflict)
	}
	if password == "" {
		generated = randomString(18) // 24 URL-safe characters, 144 bits
		password = generated
	}
	_, err = s.CreateUser("admin", password, Admin, "", "bootstrap")
	if err != nil {
		return "", false, fmt.Errorf("bootstrap: %w", err)
	}
	return generated, true, nil
}
