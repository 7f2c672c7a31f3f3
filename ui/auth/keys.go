package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lanjie/lanjie/intercept"
)

// API key shape: "lj_" then 43 base64url characters (32 random bytes).
const (
	keySecretPrefix = "lj_"
	keySecretLen    = len(keySecretPrefix) + 43
	keyPrefixLen    = 10
	maxKeyNameChars = 64
)

// Key is an API key as listed to admins. The secret is shown once, at creation, and
// stored only as its SHA-256 hash, which Key does not carry.
type Key struct {
	// ID names the key in lists, audit records and revocation, e.g. "key_0123456789ab".
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	Org  string `json:"org,omitempty"`
	// Prefix is the first characters of the secret, to recognise a key in a list.
	Prefix    string    `json:"prefix"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// checkKeyName checks a key's label: 1 to 64 printable characters, not blank.
func checkKeyName(name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > maxKeyNameChars || !utf8.ValidString(name) {
		return fmt.Errorf("key name: want 1 to %d characters: %w", maxKeyNameChars, intercept.ErrInvalid)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("key name: unprintable character %U: %w", r, intercept.ErrInvalid)
		}
	}
	return nil
}

// hashSecret returns the hex SHA-256 of an API key secret. A fast hash is enough:
// the secret has 256 random bits, so there is nothing to guess offline.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateKey issues an API key and returns its secret, which is not kept and cannot
// be shown again. Only the roles bank_system, operator_system, hotline and analyst
// may have keys. Errors wrap intercept.ErrInvalid or intercept.ErrUnavailable.
func (s *Store) CreateKey(name string, role Role, org string, by string) (secret string, k Key, err error) {
	if err := checkKeyName(name); err != nil {
		return "", Key{}, fmt.Errorf("create key: %w", err)
	}
	if err := checkRoleOrg(role, org); err != nil {
		return "", Key{}, fmt.Errorf("create key %q: %w", name, err)
	}
	if !role.CanHaveKey() {
		return "", Key{}, fmt.Errorf("create key %q: role %s may not have API keys: %w", name, role, intercept.ErrInvalid)
	}
	secret = keySecretPrefix + randomString(32)
	hash := hashSecret(secret)

	s.mu.Lock()
	defer s.mu.Unlock()
	id := newKeyID()
	for s.keys[id] != nil {
		id = newKeyID()
	}
	rec := &keyRecord{
		Key: Key{
			ID: id, Name: name, Role: role, Org: org, Prefix: secret[:keyPrefixLen],
			Created: s.now().UTC(), CreatedBy: by,
		},
		Hash: hash,
	}
	s.keys[id] = rec
	s.byHash[hash] = rec
	if err := s.save(); err != nil {
		delete(s.keys, id)
		delete(s.byHash, hash)
		return "", Key{}, fmt.Errorf("create key %q: %w", name, err)
	}
	return secret, rec.Key, nil
}

// newKeyID returns "key_" and 12 random hex digits.
func newKeyID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "key_" + hex.EncodeToString(b)
}

// Keys returns every key, revoked ones included, oldest first.
func (s *Store) Keys() []Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Key, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k.Key)
	}
	slices.SortFunc(out, compareKeys)
	return out
}

// compareKeys orders keys by creation time, then ID.
func compareKeys(a, b Key) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// sortKeys orders stored keys as Keys does.
func sortKeys(ks []keyRecord) {
	slices.SortFunc(ks, func(a, b keyRecord) int { return compareKeys(a.Key, b.Key) })
}

// RevokeKey revokes the key with the given ID at once: VerifyKey refuses it from
// now on. Revoking a revoked key does nothing. Errors wrap intercept.ErrNotFound or
// intercept.ErrUnavailable.
func (s *Store) RevokeKey(id, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	if k == nil {
		return fmt.Errorf("revoke key %s: %w", id, intercept.ErrNotFound)
	}
	if k.Revoked {
		return nil
	}
	k.Revoked, k.RevokedAt, k.RevokedBy = true, s.now().UTC(), by
	delete(s.byHash, k.Hash)
	if err := s.save(); err != nil {
		k.Revoked, k.RevokedAt, k.RevokedBy = false, time.Time{}, ""
		s.byHash[k.Hash] = k
		return fmt.Errorf("revoke key %s: %w", id, err)
	}
	return nil
}

// VerifyKey returns the principal of an API key secret, or ErrBadCredentials when
// the secret is malformed, unknown or revoked. It is one hash and one map lookup,
// with no bcrypt and no file access, so it can run on every feed request.
func (s *Store) VerifyKey(secret string) (Principal, error) {
	if len(secret) != keySecretLen || !strings.HasPrefix(secret, keySecretPrefix) {
		return Principal{}, ErrBadCredentials
	}
	// hashSecret's hex, on the stack: string(hash[:]) as a map key does not allocate,
	// and every feed request comes here.
	sum := sha256.Sum256([]byte(secret))
	var hash [2 * sha256.Size]byte
	hex.Encode(hash[:], sum[:])
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := s.byHash[string(hash[:])]
	if k == nil || k.Revoked {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Kind: KindKey, Name: k.Name, Role: k.Role, Org: k.Org, KeyID: k.ID}, nil
}
