package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
)

func TestCreateUserValidation(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		password string
		role     Role
		org      string
		want     error
		mention  string // a word the error must contain, to say what is wrong
	}{
		{"ok", "li.wei", testPassword, Hotline, "", nil, ""},
		{"ok liaison", "bank_1-a", testPassword, BankLiaison, "ICBC", nil, ""},
		{"password of 12 chars", "ab", "123456789012", Volunteer, "", nil, ""},
		{"password of 72 bytes", "max.pw", strings.Repeat("p", 72), Analyst, "", nil, ""},
		{"password of 12 runes", "zh.pw", "反诈中心反诈中心反诈中心", Analyst, "", nil, ""},
		{"name too short", "a", testPassword, Hotline, "", intercept.ErrInvalid, "name"},
		{"name too long", strings.Repeat("a", 33), testPassword, Hotline, "", intercept.ErrInvalid, "name"},
		{"name upper case", "Li.Wei", testPassword, Hotline, "", intercept.ErrInvalid, "name"},
		{"name with space", "li wei", testPassword, Hotline, "", intercept.ErrInvalid, "name"},
		{"name with slash", "li/wei", testPassword, Hotline, "", intercept.ErrInvalid, "name"},
		{"empty password", "li.wei2", "", Hotline, "", intercept.ErrInvalid, "at least 12"},
		{"password of 11", "li.wei2", "12345678901", Hotline, "", intercept.ErrInvalid, "at least 12"},
		{"password of 73 bytes", "li.wei2", strings.Repeat("p", 73), Hotline, "", intercept.ErrInvalid, "at most 72"},
		{"password invalid utf8", "li.wei2", "\xff\xfe" + testPassword, Hotline, "", intercept.ErrInvalid, "UTF-8"},
		{"unknown role", "li.wei2", testPassword, Role("root"), "", intercept.ErrInvalid, "role"},
		{"liaison without org", "li.wei2", testPassword, BankLiaison, "", intercept.ErrInvalid, "org"},
		{"liaison bad org", "li.wei2", testPassword, OperatorLiaison, "cmcc", intercept.ErrInvalid, "org"},
		{"hotline with org", "li.wei2", testPassword, Hotline, "ICBC", intercept.ErrInvalid, "org"},
		{"system role for a person", "li.wei2", testPassword, BankSystem, "ICBC", intercept.ErrInvalid, "API keys"},
		{"duplicate", "li.wei", testPassword, Analyst, "", intercept.ErrConflict, "taken"},
	}
	s, _, _ := newStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.CreateUser(tt.user, tt.password, tt.role, tt.org, "admin")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CreateUser: %v", err)
				}
				if u.Name != tt.user || u.Role != tt.role || u.Org != tt.org || u.CreatedBy != "admin" {
					t.Errorf("CreateUser returned %+v", u)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CreateUser error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
	if _, err := s.User("li.wei2"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("a refused user was stored: User error = %v", err)
	}
}

func TestUsersListAndGet(t *testing.T) {
	s, _, c := newStore(t)
	for _, n := range []string{"zhao", "an.ping", "li.wei"} {
		if _, err := s.CreateUser(n, testPassword, Volunteer, "", "admin"); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, u := range s.Users() {
		names = append(names, u.Name)
	}
	if diff := cmp.Diff([]string{"an.ping", "li.wei", "zhao"}, names); diff != "" {
		t.Errorf("Users() names (-want +got):\n%s", diff)
	}
	got, err := s.User("li.wei")
	if err != nil {
		t.Fatal(err)
	}
	want := User{Name: "li.wei", Role: Volunteer, Created: c.Now(), CreatedBy: "admin"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("User (-want +got):\n%s", diff)
	}
	if _, err := s.User("nobody"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("User(nobody) error = %v, want ErrNotFound", err)
	}
}

func TestAuthenticate(t *testing.T) {
	s, _, _ := newStore(t)
	if _, err := s.CreateUser("li.wei", testPassword, BankLiaison, "ICBC", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("gone", testPassword, Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser("gone"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate("li.wei", testPassword)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := Principal{Kind: KindUser, Name: "li.wei", Role: BankLiaison, Org: "ICBC"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	bad := []struct{ name, user, password string }{
		{"wrong password", "li.wei", testPassword + "x"},
		{"empty password", "li.wei", ""},
		{"unknown user", "nobody", testPassword},
		{"disabled user", "gone", testPassword},
		{"password past 72 bytes", "li.wei", testPassword + strings.Repeat("x", 72)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Authenticate(tt.user, tt.password)
			if err != ErrBadCredentials {
				t.Errorf("error = %v, want exactly ErrBadCredentials", err)
			}
			if p != (Principal{}) {
				t.Errorf("principal = %+v, want zero", p)
			}
		})
	}
}

// A 72-byte password must not match the same password with more bytes appended,
// though bcrypt itself only reads 72 bytes.
func TestAuthenticateNoTruncation(t *testing.T) {
	s, _, _ := newStore(t)
	pw := strings.Repeat("k", 72)
	if _, err := s.CreateUser("long.pw", pw, Analyst, "", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate("long.pw", pw); err != nil {
		t.Fatalf("exact password: %v", err)
	}
	if _, err := s.Authenticate("long.pw", pw+"extra"); err != ErrBadCredentials {
		t.Errorf("longer password: error = %v, want ErrBadCredentials", err)
	}
}

func TestSetPassword(t *testing.T) {
	s, _, _ := newStore(t)
	if _, err := s.CreateUser("li.wei", testPassword, Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	const next = "another-long-password"
	if err := s.SetPassword("li.wei", "short"); !errors.Is(err, intercept.ErrInvalid) {
		t.Errorf("short password: error = %v, want ErrInvalid", err)
	}
	if err := s.SetPassword("nobody", next); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("unknown user: error = %v, want ErrNotFound", err)
	}
	if _, err := s.Authenticate("li.wei", testPassword); err != nil {
		t.Fatalf("old password before change: %v", err)
	}
	if err := s.SetPassword("li.wei", next); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if _, err := s.Authenticate("li.wei", testPassword); err != ErrBadCredentials {
		t.Errorf("old password after change: error = %v, want ErrBadCredentials", err)
	}
	if _, err := s.Authenticate("li.wei", next); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestDisableUser(t *testing.T) {
	s, _, _ := newStore(t)
	for _, n := range []string{"root", "root2"} {
		if _, err := s.CreateUser(n, testPassword, Admin, "", "bootstrap"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DisableUser("nobody"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("unknown user: error = %v, want ErrNotFound", err)
	}
	if err := s.DisableUser("root2"); err != nil {
		t.Fatalf("DisableUser(root2): %v", err)
	}
	if err := s.DisableUser("root2"); err != nil {
		t.Errorf("second DisableUser(root2): %v, want nil", err)
	}
	if u, _ := s.User("root2"); !u.Disabled {
		t.Errorf("root2 not disabled: %+v", u)
	}
	if err := s.DisableUser("root"); !errors.Is(err, intercept.ErrConflict) {
		t.Errorf("last admin: error = %v, want ErrConflict", err)
	}
	if _, err := s.Authenticate("root", testPassword); err != nil {
		t.Errorf("last admin can no longer log in: %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	t.Run("given password", func(t *testing.T) {
		s, _, c := newStore(t)
		gen, created, err := s.Bootstrap(testPassword)
		if err != nil || !created || gen != "" {
			t.Fatalf("Bootstrap = %q, %v, %v; want \"\", true, nil", gen, created, err)
		}
		p, err := s.Authenticate("admin", testPassword)
		if err != nil || p.Role != Admin {
			t.Fatalf("Authenticate(admin) = %+v, %v", p, err)
		}
		c.Add(time.Hour)
		gen, created, err = s.Bootstrap("some-other-password")
		if err != nil || created || gen != "" {
			t.Errorf("second Bootstrap = %q, %v, %v; want no-op", gen, created, err)
		}
		if _, err := s.Authenticate("admin", testPassword); err != nil {
			t.Errorf("second Bootstrap changed the password: %v", err)
		}
	})
	t.Run("generated password", func(t *testing.T) {
		s, _, _ := newStore(t)
		gen, created, err := s.Bootstrap("")
		if err != nil || !created {
			t.Fatalf("Bootstrap: created %v, err %v", created, err)
		}
		if len(gen) < 20 || strings.Trim(gen, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("generated password %q: want at least 20 URL-safe characters", gen)
		}
		if _, err := s.Authenticate("admin", gen); err != nil {
			t.Errorf("Authenticate with generated password: %v", err)
		}
		s2, _, _ := newStore(t)
		gen2, _, _ := s2.Bootstrap("")
		if gen2 == gen {
			t.Errorf("two stores generated the same password %q", gen)
		}
		if gen, created, err := s.Bootstrap(""); err != nil || created || gen != "" {
			t.Errorf("second Bootstrap = %q, %v, %v; want no-op", gen, created, err)
		}
	})
	t.Run("weak given password", func(t *testing.T) {
		s, _, _ := newStore(t)
		if _, _, err := s.Bootstrap("admin"); !errors.Is(err, intercept.ErrInvalid) {
			t.Errorf("error = %v, want ErrInvalid", err)
		}
		if len(s.Users()) != 0 {
			t.Errorf("users after refused bootstrap: %+v", s.Users())
		}
	})
	t.Run("non-admin users only", func(t *testing.T) {
		s, _, _ := newStore(t)
		if _, err := s.CreateUser("li.wei", testPassword, Hotline, "", "import"); err != nil {
			t.Fatal(err)
		}
		if _, created, err := s.Bootstrap(testPassword); err != nil || !created {
			t.Errorf("Bootstrap = %v, %v; want an admin created", created, err)
		}
	})
	t.Run("name admin taken", func(t *testing.T) {
		s, _, _ := newStore(t)
		if _, err := s.CreateUser("admin", testPassword, Volunteer, "", "import"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Bootstrap(testPassword); !errors.Is(err, intercept.ErrConflict) {
			t.Errorf("error = %v, want ErrConflict", err)
		}
		if u, _ := s.User("admin"); u.Role != Volunteer {
			t.Errorf("user admin was changed: %+v", u)
		}
	})
}
