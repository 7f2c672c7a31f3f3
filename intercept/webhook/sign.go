package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Header names of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" (see Sign).
	SignatureHeader = "X-Lanjie-Signature"
	// IdempotencyHeader carries the delivery's key, the same on every retry.
	IdempotencyHeader = "Idempotency-Key"
	// EventHeader carries the event name, such as "order.pending".
	EventHeader = "X-Lanjie-Event"
	// DeliveryHeader carries the id of one attempt, different on every retry.
	DeliveryHeader = "X-Lanjie-Delivery"
)

// DefaultTolerance is the clock difference Verify accepts when given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify; each also matches an intercept error kind.
var (
	// ErrMalformedSignature reports a signature header that cannot be parsed.
	ErrMalformedSignature = fmt.Errorf("webhook signature malformed: %w", intercept.ErrInvalid)
	// ErrStaleSignature reports a valid signature whose timestamp is outside the
	// tolerance: a replay or a badly wrong clock.
	ErrStaleSignature = fmt.Errorf("webhook signature outside time tolerance: %w", intercept.ErrForbidden)
	// ErrBadSignature reports a signature that does not match the body and secret.
	ErrBadSignature = fmt.Errorf("webhook signature mismatch: %w", intercept.ErrForbidden)
)

// Bounds on what Verify parses, so that a hostile header costs little.
const (
	maxHeaderLen  = 1024
	maxSignatures = 4
	maxTimeDigits = 18 // fits an int64 with room to spare
)

// Sign returns the SignatureHeader value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks a SignatureHeader value against body and secret, as a receiver does.
// It returns an error matching ErrMalformedSignature when the header cannot be parsed,
// ErrBadSignature when no v1 matches, and ErrStaleSignature when the signature matches
// but t is more than tolerance away from now (DefaultTolerance when tolerance <= 0).
// Signatures are compared in constant time.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return fmt.Errorf("verify webhook: empty secret: %w", intercept.ErrInvalid)
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		if hmac.Equal(want, s) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil { // unreachable: parseSignature checked the digits
		return fmt.Errorf("%w: t: %v", ErrMalformedSignature, err)
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrStaleSignature, age.Round(time.Second))
	}
	return nil
}

// parseSignature splits "t=...,v1=...[,v1=...]" into the t text, exactly as written
// (it is part of the signed string), and the decoded v1 values. Unknown keys are
// skipped so that a future scheme can be added beside v1.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	if len(header) > maxHeaderLen {
		return "", nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedSignature, maxHeaderLen)
	}
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: part without '='", ErrMalformedSignature)
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: t given twice", ErrMalformedSignature)
			}
			if !isDigits(v) || len(v) > maxTimeDigits {
				return "", nil, fmt.Errorf("%w: t is not unix seconds", ErrMalformedSignature)
			}
			ts = v
		case "v1":
			if len(sigs) == maxSignatures {
				return "", nil, fmt.Errorf("%w: more than %d v1 values", ErrMalformedSignature, maxSignatures)
			}
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex digits", ErrMalformedSignature, 2*sha256.Size)
			}
			sigs = append(sigs, b)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1", ErrMalformedSignature)
	}
	return ts, sigs, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mac returns HMAC-SHA256(secret, ts + "." + body).
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
