package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/lanjie/lanjie/intercept"
)

// ErrBadCredentials is returned for a wrong password, an unknown or disabled user,
// and an unknown or revoked API key alike, so a caller learns nothing about which.
var ErrBadCredentials = errors.New("wrong username or password")

// Options tunes a Store.
type Options struct {
	// BcryptCost is the bcrypt cost of new password hashes; 0 means bcrypt.DefaultCost.
	BcryptCost int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store keeps the console's users and API keys in one JSON file (mode 0600),
// rewritten atomically on every change. Password hashes and key hashes live only in
// that file and in memory; no method returns them. A Store is safe for concurrent use.
type Store struct {
	path  string
	cost  int
	now   func() time.Time
	dummy []byte // hash compared against for unknown users, so timing hides names

	mu     sync.RWMutex
	users  map[string]*userRecord
	keys   map[string]*keyRecord // by key ID
	byHash map[string]*keyRecord // active keys by SHA-256 hex of the secret
	hooks  map[string]Webhook    // by org
}

// fileFormat is the JSON document on disk.
type fileFormat struct {
	Version int          `json:"version"`
	Users   []userRecord `json:"users"`
	Keys    []keyRecord  `json:"keys"`
	Hooks   []Webhook    `json:"webhooks,omitempty"`
}

const fileVersion = 1

// userRecord is a User with its password hash, as stored.
type userRecord struct {
	User
	Hash string `json:"password_bcrypt"`
}

// keyRecord is a Key with the hash of its secret, as stored.
type keyRecord struct {
	Key
	Hash string `json:"secret_sha256"`
}

// Open loads the store at path, or starts an empty one when the file does not
// exist yet (it is written on the first change). A file that cannot be read or
// parsed is an error naming the path: the console must not start with its users lost.
func Open(path string, opt Options) (*Store, error) {
	s := &Store{
		path:   path,
		cost:   opt.BcryptCost,
		now:    opt.Now,
		users:  map[string]*userRecord{},
		keys:   map[string]*keyRecord{},
		byHash: map[string]*keyRecord{},
		hooks:  map[string]Webhook{},
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	if s.cost < bcrypt.MinCost || s.cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("open auth store %s: bcrypt cost %d out of range: %w", path, s.cost, intercept.ErrInvalid)
	}
	if s.now == nil {
		s.now = time.Now
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomString(16)), s.cost)
	if err != nil {
		return nil, fmt.Errorf("open auth store %s: %w", path, err)
	}
	s.dummy = dummy

	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open auth store %s: %w", path, err)
	}
	if err := s.load(data); err != nil {
		return nil, fmt.Errorf("open auth store %s: corrupt file: %w", path, err)
	}
	return s, nil
}

// load fills the maps from the file's bytes, checking every record.
func (s *Store) load(data []byte) error {
	var f fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return err
	}
	if f.Version != fileVersion {
		return fmt.Errorf("version %d, want %d", f.Version, fileVersion)
	}
	for i := range f.Users {
		u := f.Users[i]
		if err := checkName(u.Name); err != nil {
			return fmt.Errorf("user %d: %w", i, err)
		}
		if err := checkRoleOrg(u.Role, u.Org); err != nil {
			return fmt.Errorf("user %s: %w", u.Name, err)
		}
		if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil {
			return fmt.Errorf("user %s: password hash: %w", u.Name, err)
		}
		if s.users[u.Name] != nil {
			return fmt.Errorf("user %s: listed twice", u.Name)
		}
		s.users[u.Name] = &u
	}
	for _, h := range f.Hooks {
		if !ValidOrg(h.Org) || len(h.Secret) < 32 {
			return fmt.Errorf("webhook of %q: bad org or secret", h.Org)
		}
		s.hooks[h.Org] = h
	}
	for i := range f.Keys {
		k := f.Keys[i]
		if k.ID == "" || len(k.Hash) != 64 {
			return fmt.Errorf("key %d: missing id or hash", i)
		}
		if err := checkRoleOrg(k.Role, k.Org); err != nil {
			return fmt.Errorf("key %s: %w", k.ID, err)
		}
		if !k.Role.CanHaveKey() {
			return fmt.Errorf("key %s: role %s may not have API keys", k.ID, k.Role)
		}
		if s.keys[k.ID] != nil || s.byHash[k.Hash] != nil && !k.Revoked {
			return fmt.Errorf("key %s: listed twice", k.ID)
		}
		s.keys[k.ID] = &k
		if !k.Revoked {
			s.byHash[k.Hash] = &k
		}
	}
	return nil
}

// save writes the whole store to its file atomically: a temporary file in the same
// directory, fsynced, renamed over the old one, then the directory fsynced so the
// rename itself survives a crash. The caller holds s.mu for writing. A failure wraps
// intercept.ErrUnavailable: the change was not kept and the caller rolls it back.
func (s *Store) save() error {
	f := fileFormat{Version: fileVersion, Users: []userRecord{}, Keys: []keyRecord{}}
	for _, u := range s.users {
		f.Users = append(f.Users, *u)
	}
	for _, k := range s.keys {
		f.Keys = append(f.Keys, *k)
	}
	for _, h := range s.hooks {
		f.Hooks = append(f.Hooks, h)
	}
	slices.SortFunc(f.Hooks, func(a, b Webhook) int { return strings.Compare(a.Org, b.Org) })
	sortUsers(f.Users)
	sortKeys(f.Keys)
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save auth store %s: %w", s.path, err)
	}
	if err := writeFileAtomic(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("save auth store %s: %w: %w", s.path, intercept.ErrUnavailable, err)
	}
	return nil
}

// writeFileAtomic replaces path with data, mode 0600, so that a reader or a crash
// sees either the old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// randomString returns n random bytes from crypto/rand, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return base64.RawURLEncoding.EncodeToString(b)
}
