// Package webhook delivers orders to banks' and operators' systems by signed HTTP
// webhook, with retries, exponential backoff and an idempotency key, and keeps a
// bounded delivery log for the console.
//
// # Receiving a delivery (what a partner must do)
//
// Every delivery is an HTTP POST of a JSON body (Content-Type: application/json) with
// these headers:
//
//	X-Lanjie-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//	Idempotency-Key:    <key>    the same on every retry of one delivery
//	X-Lanjie-Event:     <event>  e.g. order.pending
//	X-Lanjie-Delivery:  <id>     different on every attempt; quote it when reporting a problem
//
// To verify a delivery:
//
//  1. Split the X-Lanjie-Signature value on "," and each part on its first "=". Take
//     t (decimal Unix seconds) and every v1 (64 hex digits). Ignore other keys: they are
//     reserved for future signature schemes.
//  2. Build the signed string: signed = t + "." + body, that is the t value exactly as
//     it appears in the header, one full stop, and the raw request body bytes exactly as
//     received, before any JSON parsing or re-encoding. For t=1763690400 and the body
//     {"order_id":"o-1"} the signed string is 1763690400.{"order_id":"o-1"}
//  3. Compute HMAC-SHA256(key = the shared secret, message = signed), hex-encode it and
//     compare it with each v1 in constant time (hmac.Equal in Go, hmac.compare_digest in
//     Python, crypto.timingSafeEqual in Node.js, MessageDigest.isEqual in Java). One
//     match is enough: a header may carry several v1 values while a secret is rotated.
//  4. Reject the delivery when t differs from your clock by more than your tolerance
//     (5 minutes recommended): this bounds replays of a captured request.
//  5. Apply each Idempotency-Key at most once: store the keys you have applied with
//     the order, and when a key comes back answer 2xx again without applying it again.
//     A retry follows any attempt whose answer did not reach Lanjie, even when you did
//     apply it.
//
// Answer 2xx once the order is stored on your side. 408, 429 (a Retry-After in seconds
// is honoured), 5xx and no answer in time (10 seconds by default) are retried with
// exponential backoff; any other status is taken as a refusal and not retried.
// Redirects are not followed.
//
// Verify implements steps 1 to 4 for Go receivers.
package webhook
