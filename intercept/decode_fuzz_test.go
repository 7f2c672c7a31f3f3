package intercept

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The seed corpora live in testdata/fuzz/<FuzzName>, so that plain go test replays
// them; add what a fuzzer finds there.

func FuzzDecode(f *testing.F) {
	for _, line := range readLines(f, "valid.ndjson") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		ev, err := d.Decode(data)
		if err != nil {
			checkDecodeError(t, data, err)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Decode accepted invalid JSON %q", data)
		}
		enc := ev.AppendJSON(nil)
		if !json.Valid(enc) || !utf8.Valid(enc) {
			t.Fatalf("AppendJSON gave invalid JSON %q", enc)
		}
		// The event must not share memory with the input, which callers reuse.
		// (A copy: the engine's own input must not be changed.)
		data = bytes.Clone(data)
		if ev, _ = d.Decode(data); !bytes.Equal(enc, ev.AppendJSON(nil)) {
			t.Fatalf("decoding a copy differs: %q", data)
		}
		for i := range data {
			data[i] = 'x'
		}
		if after := ev.AppendJSON(nil); !bytes.Equal(enc, after) {
			t.Fatalf("event changed with its input:\n%s\n%s", enc, after)
		}
		again, err := d.Decode(enc)
		if err != nil {
			t.Fatalf("decode of canonical %s: %v", enc, err)
		}
		if diff := cmp.Diff(ev, again); diff != "" {
			t.Fatalf("round trip of %s (-first +again):\n%s", enc, diff)
		}
		if enc2 := again.AppendJSON(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding differs:\n%s\n%s", enc, enc2)
		}
	})
}

// checkDecodeError checks the shape of a Decode error and that the scanner agrees
// with encoding/json about what is JSON.
func checkDecodeError(t *testing.T, data []byte, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) || len(ve.Fields) == 0 {
		t.Fatalf("Decode error %v (%T) is not a *ValidationError wrapping ErrInvalid", err, err)
	}
	if len(ve.Fields) > maxFieldErrors+1 {
		t.Fatalf("%d field errors", len(ve.Fields))
	}
	for _, fe := range ve.Fields {
		if fe.Reason == "" || !utf8.ValidString(fe.Field) || len(fe.Field) > 100 {
			t.Fatalf("bad field error %+q", fe)
		}
	}
	first := ve.Fields[0]
	notJSON := first.Field == "" && (strings.HasPrefix(first.Reason, "invalid JSON") ||
		strings.HasPrefix(first.Reason, "empty input"))
	if notJSON && strings.HasSuffix(first.Reason, "nested too deeply") {
		return // valid or not, too deep for us
	}
	if valid := json.Valid(data); valid == notJSON {
		t.Fatalf("json.Valid = %v, but Decode says %v", valid, err)
	}
}

var e164 = regexp.MustCompile(`^\+[0-9]{3,15}$`)

func FuzzNormalizePhone(f *testing.F) {
	f.Add("+86 138 0000 0001", "86")
	f.Fuzz(func(t *testing.T, s, country string) {
		got, err := NormalizePhone(s, country)
		gotb, errb := normalizePhone([]byte(s), country)
		if got != gotb || !errors.Is(errb, err) {
			t.Fatalf("string and []byte forms differ: %q, %v and %q, %v", got, err, gotb, errb)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) || reasonOf(err) == "" {
				t.Fatalf("NormalizePhone(%q, %q) error %v", s, country, err)
			}
			return
		}
		if !e164.MatchString(got) || got[1] == '0' {
			t.Fatalf("NormalizePhone(%q, %q) = %q, not E.164", s, country, got)
		}
		for _, c := range []string{country, "", "1"} {
			if again, err := NormalizePhone(got, c); again != got || err != nil {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; not idempotent", got, c, again, err)
			}
		}
	})
}

func FuzzNormalizeAccount(f *testing.F) {
	f.Add("6222 0200 0000 0001")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeAccount(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || reasonOf(err) == "" {
				t.Fatalf("NormalizeAccount(%q) error %v", s, err)
			}
			return
		}
		if len(got) < 6 || len(got) > 32 || !allDigits(got) {
			t.Fatalf("NormalizeAccount(%q) = %q", s, got)
		}
		if want := strings.NewReplacer(" ", "", "-", "").Replace(s); got != want {
			t.Fatalf("NormalizeAccount(%q) = %q, want %q", s, got, want)
		}
		if again, err := NormalizeAccount(got); again != got || err != nil {
			t.Fatalf("NormalizeAccount(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}

var yuan = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]{1,2}))?$`)

func FuzzParseYuan(f *testing.F) {
	f.Add("5000.00", int64(500000))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		// Against a reference on big integers.
		got, err := ParseYuan(s)
		want, ok := refParseYuan(s)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("ParseYuan(%q) = %d, %v; reference %d, %v", s, got, err, want, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) || reasonOf(err) == "" {
				t.Fatalf("ParseYuan(%q) error %v", s, err)
			}
		} else if back, err := ParseYuan(got.String()); back != got || err != nil {
			t.Fatalf("ParseYuan(%q) = %d, %v; want %d", got.String(), back, err, got)
		}
		// Fen.String of any amount reads back.
		str := Fen(n).String()
		abs, neg := strings.CutPrefix(str, "-")
		back, err := ParseYuan(abs)
		switch {
		case n == math.MinInt64:
			if str != "-92233720368547758.08" {
				t.Fatalf("Fen(MinInt64).String() = %q", str)
			}
		case neg != (n < 0) || err != nil || (neg && -back != Fen(n)) || (!neg && back != Fen(n)):
			t.Fatalf("Fen(%d).String() = %q, reads back as %d, %v", n, str, back, err)
		}
	})
}

func refParseYuan(s string) (Fen, bool) {
	m := yuan.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, _ := new(big.Int).SetString(m[1], 10)
	frac := (m[2] + "00")[:2]
	f, _ := new(big.Int).SetString(frac, 10)
	v.Mul(v, big.NewInt(100)).Add(v, f)
	if !v.IsInt64() {
		return 0, false
	}
	return Fen(v.Int64()), true
}
