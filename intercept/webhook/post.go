package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	userAgent   = "lanjie-webhook/1"
	detailBytes = 256      // of a refusal's body, kept in Attempt.Error
	drainBytes  = 64 << 10 // read past a response so that the connection is reused
	maxRetry    = 1 << 30  // seconds: bounds a Retry-After before it is capped
)

// result is what one POST came to.
type result struct {
	status     int
	err        error
	permanent  bool          // err cannot be cured by retrying: the endpoint is misconfigured
	retryAfter time.Duration // from the Retry-After header, 0 when absent
	detail     string        // start of a non-2xx body
}

type outcome int

const (
	delivered outcome = iota
	retry
	failed
)

// post sends dl to ep once, signed at now, with id as the DeliveryHeader.
func (d *Deliverer) post(ctx context.Context, ep Endpoint, dl Delivery, id string, now time.Time) result {
	if len(ep.Secret) == 0 {
		return result{err: errors.New("endpoint has no secret"), permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(dl.Body))
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		// Not err itself: it would quote the URL, which may carry a token.
		return result{err: errors.New("endpoint URL is not a valid http(s) URL"), permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(SignatureHeader, Sign(ep.Secret, now, dl.Body))
	req.Header.Set(IdempotencyHeader, dl.Key)
	req.Header.Set(EventHeader, dl.Event)
	req.Header.Set(DeliveryHeader, id)
	resp, err := d.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return result{err: err}
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, detailBytes))
		res.detail = strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
		res.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	return res
}

// outcome sorts a result: 2xx is delivered; no answer, 408, 429 and 5xx are worth a
// retry; anything else is the receiver's (or the configuration's) refusal.
func (r result) outcome() outcome {
	switch {
	case r.err != nil && r.permanent:
		return failed
	case r.err != nil:
		return retry
	case r.status >= 200 && r.status <= 299:
		return delivered
	case r.status == http.StatusRequestTimeout, r.status == http.StatusTooManyRequests, r.status >= 500:
		return retry
	}
	return failed
}

// describe is the Attempt.Error text: "" for 2xx.
func (r result) describe() string {
	switch {
	case r.err != nil:
		return r.err.Error()
	case r.status >= 200 && r.status <= 299:
		return ""
	case r.detail != "":
		return fmt.Sprintf("HTTP %d: %s", r.status, r.detail)
	}
	return fmt.Sprintf("HTTP %d", r.status)
}

// backoff is the wait after the n-th failed attempt: base·2^(n-1) with ±20% jitter,
// or retryAfter when that is longer, capped at limit.
func backoff(base, limit time.Duration, n int, retryAfter time.Duration) time.Duration {
	w := base
	for i := 1; i < n && w < limit; i++ {
		w *= 2
	}
	w = time.Duration(float64(w) * (0.8 + 0.4*rand.Float64()))
	w = max(w, retryAfter)
	return min(w, limit)
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date; 0 when
// absent, malformed or past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > maxRetry {
			s = maxRetry
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
