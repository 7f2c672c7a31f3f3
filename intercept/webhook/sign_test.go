package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// The documented signed string, checked against a value computed outside Go:
// python3 -c 'import hmac,hashlib; print(hmac.new(b"test-secret-1",
// b"1763690400.{\"order_id\":\"o-1\"}", hashlib.sha256).hexdigest())'
func TestSignKnownVector(t *testing.T) {
	got := Sign([]byte("test-secret-1"), time.Unix(1763690400, 0), []byte(`{"order_id":"o-1"}`))
	want := "t=1763690400,v1=df31cf2eb9e0c3432b2c4dfe683fb575c30da73d95f29a6acad9c393e1cdd37c"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("test-secret-1")
	body := []byte(`{"order_id":"o-1","type":"stop_payment"}`)
	signedAt := time.Unix(1763690400, 0)
	good := Sign(secret, signedAt, body)
	v1 := good[strings.Index(good, "v1="):]
	other := Sign([]byte("test-secret-2"), signedAt, body)
	otherV1 := other[strings.Index(other, "v1="):]

	tests := []struct {
		name    string
		secret  []byte
		header  string
		body    []byte
		now     time.Time
		wantErr error // nil: accepted
	}{
		{"valid", secret, good, body, signedAt, nil},
		{"valid within tolerance", secret, good, body, signedAt.Add(4 * time.Minute), nil},
		{"valid, receiver clock behind", secret, good, body, signedAt.Add(-4 * time.Minute), nil},
		{"spaces around parts", secret, " t=1763690400 , " + v1 + " ", body, signedAt, nil},
		{"unknown scheme ignored", secret, "t=1763690400,v0=abc," + v1, body, signedAt, nil},
		{"second v1 matches (rotation)", secret, "t=1763690400," + otherV1 + "," + v1, body, signedAt, nil},
		{"tampered body", secret, good, []byte(`{"order_id":"o-2","type":"stop_payment"}`), signedAt, ErrBadSignature},
		{"body with extra whitespace", secret, good, append(body, '\n'), signedAt, ErrBadSignature},
		{"wrong secret", []byte("test-secret-2"), good, body, signedAt, ErrBadSignature},
		{"timestamp changed", secret, "t=1763690401," + v1, body, signedAt, ErrBadSignature},
		{"stale", secret, good, body, signedAt.Add(6 * time.Minute), ErrStaleSignature},
		{"from the future", secret, good, body, signedAt.Add(-6 * time.Minute), ErrStaleSignature},
		{"empty", secret, "", body, signedAt, ErrMalformedSignature},
		{"no t", secret, v1, body, signedAt, ErrMalformedSignature},
		{"no v1", secret, "t=1763690400", body, signedAt, ErrMalformedSignature},
		{"t twice", secret, "t=1763690400,t=1763690400," + v1, body, signedAt, ErrMalformedSignature},
		{"t negative", secret, "t=-1763690400," + v1, body, signedAt, ErrMalformedSignature},
		{"t not a number", secret, "t=yesterday," + v1, body, signedAt, ErrMalformedSignature},
		{"t too long", secret, "t=1234567890123456789," + v1, body, signedAt, ErrMalformedSignature},
		{"v1 not hex", secret, "t=1763690400,v1=" + strings.Repeat("zz", 32), body, signedAt, ErrMalformedSignature},
		{"v1 short", secret, "t=1763690400,v1=abcd", body, signedAt, ErrMalformedSignature},
		{"part without equals", secret, "t=1763690400," + v1 + ",junk", body, signedAt, ErrMalformedSignature},
		{"trailing comma", secret, good + ",", body, signedAt, ErrMalformedSignature},
		{"too many v1", secret, "t=1763690400" + strings.Repeat(","+otherV1, 4) + "," + v1, body, signedAt, ErrMalformedSignature},
		{"too long", secret, good + ",x=" + strings.Repeat("a", 2000), body, signedAt, ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyErrorKinds(t *testing.T) {
	for _, tt := range []struct {
		err  error
		kind error
	}{
		{ErrMalformedSignature, intercept.ErrInvalid},
		{ErrStaleSignature, intercept.ErrForbidden},
		{ErrBadSignature, intercept.ErrForbidden},
	} {
		if !errors.Is(tt.err, tt.kind) {
			t.Errorf("%v does not match %v", tt.err, tt.kind)
		}
	}
}

func TestVerifyEmptySecret(t *testing.T) {
	body := []byte(`{}`)
	now := time.Unix(1763690400, 0)
	// A header signed with an empty key must not pass a receiver that forgot its secret.
	err := Verify(nil, Sign(nil, now, body), body, now, time.Minute)
	if !errors.Is(err, intercept.ErrInvalid) {
		t.Fatalf("Verify with empty secret = %v, want ErrInvalid", err)
	}
}

func TestVerifyDefaultTolerance(t *testing.T) {
	secret, body := []byte("test-secret-1"), []byte(`{}`)
	at := time.Unix(1763690400, 0)
	h := Sign(secret, at, body)
	if err := Verify(secret, h, body, at.Add(DefaultTolerance-time.Second), 0); err != nil {
		t.Errorf("inside default tolerance: %v", err)
	}
	if err := Verify(secret, h, body, at.Add(DefaultTolerance+time.Second), 0); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("outside default tolerance: %v, want ErrStaleSignature", err)
	}
}
