package auth

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Webhook is where an org's system receives its orders, and the secret deliveries
// are signed with (HMAC-SHA256). The secret is kept in the store's file, which only
// the console's user can read, because signing needs it in the clear.
type Webhook struct {
	Org     string    `json:"org"`
	URL     string    `json:"url"`
	Secret  string    `json:"secret"`
	Updated time.Time `json:"updated"`
	By      string    `json:"by"`
}

// SetWebhook sets org's endpoint and returns a new signing secret, shown once.
// Errors wrap intercept.ErrInvalid or intercept.ErrUnavailable.
func (s *Store) SetWebhook(org, rawURL, by string) (secret string, err error) {
	if !ValidOrg(org) {
		return "", fmt.Errorf("webhook org %q: want 2 to 16 of A-Z, 0-9, _: %w", org, intercept.ErrInvalid)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(rawURL) > 2000 {
		return "", fmt.Errorf("webhook url %q: want an absolute http(s) URL: %w", rawURL, intercept.ErrInvalid)
	}
	secret = "whsec_" + randomString(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.hooks[org]
	s.hooks[org] = Webhook{Org: org, URL: rawURL, Secret: secret, Updated: s.now().UTC(), By: by}
	if err := s.save(); err != nil {
		if had {
			s.hooks[org] = old
		} else {
			delete(s.hooks, org)
		}
		return "", fmt.Errorf("set webhook of %s: %w", org, err)
	}
	return secret, nil
}

// Webhook returns org's endpoint and secret.
func (s *Store) Webhook(org string) (Webhook, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.hooks[org]
	return h, ok
}

// Webhooks returns every org's endpoint without its secret, by org.
func (s *Store) Webhooks() []Webhook {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Webhook, 0, len(s.hooks))
	for _, h := range s.hooks {
		h.Secret = ""
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b Webhook) int { return strings.Compare(a.Org, b.Org) })
	return out
}
