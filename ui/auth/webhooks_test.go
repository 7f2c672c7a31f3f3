package auth

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lanjie/lanjie/intercept"
)

func TestWebhooks(t *testing.T) {
	s, path, c := newStore(t)
	for _, tc := range []struct{ org, url string }{
		{"icbc", "https://bank.example/hook"},            // org not upper case
		{"ICBC", "ftp://bank.example/hook"},              // not http(s)
		{"ICBC", "/hook"},                                // not absolute
		{"ICBC", "https://" + strings.Repeat("a", 2000)}, // too long
	} {
		if _, err := s.SetWebhook(tc.org, tc.url, "admin"); !errors.Is(err, intercept.ErrInvalid) {
			t.Errorf("SetWebhook(%q, %q) = %v, want invalid", tc.org, tc.url, err)
		}
	}
	secret, err := s.SetWebhook("ICBC", "https://bank.example/hook", "admin")
	if err != nil || !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
		t.Fatalf("SetWebhook = %q, %v", secret, err)
	}
	again, err := s.SetWebhook("ICBC", "https://bank.example/hook2", "admin")
	if err != nil || again == secret {
		t.Fatalf("a second SetWebhook must rotate the secret: %q, %v", again, err)
	}
	if hs := s.Webhooks(); len(hs) != 1 || hs[0].Secret != "" || hs[0].URL != "https://bank.example/hook2" {
		t.Errorf("Webhooks() = %+v, want ICBC's new URL without its secret", hs)
	}
	h, ok := reopen(t, path, c).Webhook("ICBC")
	if !ok || h.Secret != again || h.URL != "https://bank.example/hook2" || h.By != "admin" {
		t.Errorf("after reopening: %+v %v", h, ok)
	}
	if _, ok := s.Webhook("CCB"); ok {
		t.Error("CCB has no webhook")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, %v: want 0600 (it holds signing secrets)", fi.Mode().Perm(), err)
	}
}
