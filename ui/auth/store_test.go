package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/lanjie/lanjie/intercept"
)

func TestOpenMissingFile(t *testing.T) {
	s, path, _ := newStore(t)
	if len(s.Users()) != 0 || len(s.Keys()) != 0 {
		t.Errorf("new store not empty")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file created it: %v", err)
	}
}

func TestPersistence(t *testing.T) {
	s, path, c := newStore(t)
	if _, err := s.CreateUser("li.wei", testPassword, BankLiaison, "ICBC", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("gone", testPassword, Volunteer, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser("gone"); err != nil {
		t.Fatal(err)
	}
	secret, key, err := s.CreateKey("ICBC transfer feed", BankSystem, "ICBC", "admin")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	revokedSecret, revoked, err := s.CreateKey("old feed", BankSystem, "ICBC", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(revoked.ID, "admin"); err != nil {
		t.Fatal(err)
	}

	s2 := reopen(t, path, c)
	if diff := cmp.Diff(s.Users(), s2.Users()); diff != "" {
		t.Errorf("users after reopen (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(s.Keys(), s2.Keys()); diff != "" {
		t.Errorf("keys after reopen (-before +after):\n%s", diff)
	}
	if _, err := s2.Authenticate("li.wei", testPassword); err != nil {
		t.Errorf("Authenticate after reopen: %v", err)
	}
	if _, err := s2.Authenticate("gone", testPassword); err != ErrBadCredentials {
		t.Errorf("disabled user after reopen: error = %v, want ErrBadCredentials", err)
	}
	p, err := s2.VerifyKey(secret)
	if err != nil || p.KeyID != key.ID || p.Org != "ICBC" {
		t.Errorf("VerifyKey after reopen = %+v, %v", p, err)
	}
	if _, err := s2.VerifyKey(revokedSecret); err != ErrBadCredentials {
		t.Errorf("revoked key after reopen: error = %v, want ErrBadCredentials", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{testPassword, secret, revokedSecret, secret[len(keySecretPrefix):]} {
		if strings.Contains(string(data), leak) {
			t.Errorf("store file contains a secret %q", leak)
		}
	}
	if !strings.Contains(string(data), hashSecret(secret)) {
		t.Errorf("store file lacks the key's hash")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// A file made too open (by hand, or by an older tool) is tightened on the next write.
func TestSaveTightensMode(t *testing.T) {
	s, path, c := newStore(t)
	if _, err := s.CreateUser("li.wei", testPassword, Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, path, c)
	if _, err := s.CreateUser("zhao", testPassword, Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenCorrupt(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	user := func(name, role, org string) string {
		return `{"name":"` + name + `","role":"` + role + `","org":"` + org + `","created":"2026-11-21T10:00:00Z","created_by":"x","disabled":false,"password_bcrypt":"` + string(hash) + `"}`
	}
	key := func(id, role, org, hash string) string {
		return `{"id":"` + id + `","name":"feed","role":"` + role + `","org":"` + org + `","prefix":"lj_abcdefg","created":"2026-11-21T10:00:00Z","created_by":"x","revoked":false,"secret_sha256":"` + hash + `"}`
	}
	h64 := strings.Repeat("a", 64)
	tests := []struct {
		name, data string
	}{
		{"empty", ""},
		{"not json", "users: []"},
		{"truncated", `{"version":1,"users":[`},
		{"wrong version", `{"version":2,"users":[],"keys":[]}`},
		{"unknown field", `{"version":1,"users":[],"keys":[],"extra":1}`},
		{"bad role", `{"version":1,"users":[` + user("li.wei", "root", "") + `],"keys":[]}`},
		{"missing org", `{"version":1,"users":[` + user("li.wei", "bank_liaison", "") + `],"keys":[]}`},
		{"bad name", `{"version":1,"users":[` + user("Li Wei", "hotline", "") + `],"keys":[]}`},
		{"duplicate user", `{"version":1,"users":[` + user("li.wei", "hotline", "") + `,` + user("li.wei", "hotline", "") + `],"keys":[]}`},
		{"bad hash", `{"version":1,"users":[` + strings.Replace(user("li.wei", "hotline", ""), string(hash), "plaintext", 1) + `],"keys":[]}`},
		{"key without hash", `{"version":1,"users":[],"keys":[` + key("key_1", "bank_system", "ICBC", "") + `]}`},
		{"key role", `{"version":1,"users":[],"keys":[` + key("key_1", "volunteer", "", h64) + `]}`},
		{"duplicate key", `{"version":1,"users":[],"keys":[` + key("key_1", "analyst", "", h64) + `,` + key("key_1", "analyst", "", strings.Repeat("b", 64)) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "auth.json")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{BcryptCost: bcrypt.MinCost})
			if err == nil {
				t.Fatalf("Open succeeded with %d users", len(s.Users()))
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("valid control", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "auth.json")
		data := `{"version":1,"users":[` + user("li.wei", "bank_liaison", "ICBC") + `],"keys":[` + key("key_1", "bank_system", "ICBC", h64) + `]}`
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, err := s.Authenticate("li.wei", testPassword); err != nil {
			t.Errorf("Authenticate: %v", err)
		}
	})
}

func TestOpenBadCost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	if _, err := Open(path, Options{BcryptCost: bcrypt.MaxCost + 1}); !errors.Is(err, intercept.ErrInvalid) {
		t.Errorf("error = %v, want ErrInvalid", err)
	}
}

func TestOpenUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory where a file is expected cannot be read as one
	if _, err := Open(dir, Options{BcryptCost: bcrypt.MinCost}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("error = %v, want one naming %s", err, dir)
	}
}

// When the file cannot be written, the change is refused and not kept in memory.
func TestSaveFailureRollsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	s, err := Open(filepath.Join(dir, "auth.json"), Options{BcryptCost: bcrypt.MinCost, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("li.wei", testPassword, Admin, "", "admin"); err != nil {
		t.Fatal(err)
	}
	secret, key, err := s.CreateKey("feed", Analyst, "", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	if _, err := s.CreateUser("zhao", testPassword, Hotline, "", "admin"); !errors.Is(err, intercept.ErrUnavailable) {
		t.Errorf("CreateUser error = %v, want ErrUnavailable", err)
	}
	if _, err := s.User("zhao"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("refused user kept in memory: %v", err)
	}
	if err := s.SetPassword("li.wei", "another-long-password"); !errors.Is(err, intercept.ErrUnavailable) {
		t.Errorf("SetPassword error = %v, want ErrUnavailable", err)
	}
	if _, err := s.Authenticate("li.wei", testPassword); err != nil {
		t.Errorf("old password lost after refused change: %v", err)
	}
	if _, _, err := s.CreateKey("feed2", Analyst, "", "admin"); !errors.Is(err, intercept.ErrUnavailable) {
		t.Errorf("CreateKey error = %v, want ErrUnavailable", err)
	}
	if err := s.RevokeKey(key.ID, "admin"); !errors.Is(err, intercept.ErrUnavailable) {
		t.Errorf("RevokeKey error = %v, want ErrUnavailable", err)
	}
	if _, err := s.VerifyKey(secret); err != nil {
		t.Errorf("key revoked in memory though the revocation was refused: %v", err)
	}
	if got := len(s.Keys()); got != 1 {
		t.Errorf("%d keys, want 1", got)
	}
}
