package webhook

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base, limit = 100 * time.Millisecond, 1 * time.Second
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{"first", 1, 0, 80 * time.Millisecond, 120 * time.Millisecond},
		{"second doubles", 2, 0, 160 * time.Millisecond, 240 * time.Millisecond},
		{"fourth", 4, 0, 640 * time.Millisecond, limit},
		{"capped", 5, 0, 800 * time.Millisecond, limit},
		{"far past the cap", 1000, 0, 800 * time.Millisecond, limit},
		{"Retry-After longer than backoff", 1, 500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond},
		{"Retry-After shorter than backoff", 3, 10 * time.Millisecond, 320 * time.Millisecond, 480 * time.Millisecond},
		{"Retry-After capped", 1, time.Hour, limit, limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 200 {
				got := backoff(base, limit, tt.n, tt.retryAfter)
				if got < tt.lo || got > tt.hi {
					t.Fatalf("backoff(n=%d, retryAfter=%v) = %v, want in [%v, %v]", tt.n, tt.retryAfter, got, tt.lo, tt.hi)
				}
				seen[got] = true
			}
			if tt.lo != tt.hi && tt.n < 4 && len(seen) < 10 {
				t.Errorf("only %d distinct waits in 200: no jitter", len(seen))
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999999999999", maxRetry * time.Second},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    result
		want outcome
	}{
		{"200", result{status: 200}, delivered},
		{"202", result{status: 202}, delivered},
		{"204", result{status: 204}, delivered},
		{"301", result{status: 301}, failed},
		{"400", result{status: 400}, failed},
		{"401", result{status: 401}, failed},
		{"409", result{status: 409}, failed},
		{"422", result{status: 422}, failed},
		{"408", result{status: 408}, retry},
		{"429", result{status: 429}, retry},
		{"500", result{status: 500}, retry},
		{"503", result{status: 503}, retry},
		{"network error", result{err: errors.New("connection refused")}, retry},
		{"misconfigured", result{err: errors.New("no secret"), permanent: true}, failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.outcome(); got != tt.want {
				t.Errorf("outcome = %v, want %v", got, tt.want)
			}
		})
	}
}
