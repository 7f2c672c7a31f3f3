package webhook

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerify checks that no header crashes the parser, that every refusal is one of
// the documented errors, that an accepted header is bound to its body, and that Sign
// and Verify agree on any body. The seed corpus is in testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret")
	now := time.Unix(1763690400, 0)
	f.Add(Sign(secret, now, []byte(`{"order_id":"o-1"}`)), []byte(`{"order_id":"o-1"}`))
	f.Add("t=1763690400,v1=00", []byte(`{}`))
	f.Add(",,,=,t=,v1=", []byte{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify(secret, header, body, now, time.Minute)
		switch {
		case err == nil:
			if err := Verify(secret, header, append(body, 'x'), now, time.Minute); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("header %q accepted for body and body+x (%v)", header, err)
			}
		case errors.Is(err, ErrMalformedSignature), errors.Is(err, ErrBadSignature), errors.Is(err, ErrStaleSignature):
		default:
			t.Fatalf("Verify(%q) = %v: not a documented error", header, err)
		}
		if err := Verify(secret, Sign(secret, now, body), body, now, time.Minute); err != nil {
			t.Fatalf("Verify(Sign(body)) = %v", err)
		}
	})
}
