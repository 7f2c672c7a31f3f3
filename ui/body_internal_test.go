package ui

import (
	"bytes"
	"compress/gzip"
	"errors"
	"runtime"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// A gzip bomb costs about the limit in memory, not what it would unpack to.
func TestGunzipBoundsItsMemory(t *testing.T) {
	const limit = 1 << 20
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := gunzip(packed.Bytes(), limit)
	runtime.ReadMemStats(&after)
	var fe *fiber.Error
	if !errors.As(err, &fe) || fe.Code != fiber.StatusRequestEntityTooLarge {
		t.Fatalf("64 MiB unpacked against a 1 MiB limit: %v, want 413", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*limit {
		t.Errorf("unpacking allocated %d bytes, want under %d", got, 3*limit)
	}
	for _, n := range []int{0, 1, limit - 1, limit} {
		var p bytes.Buffer
		zw := gzip.NewWriter(&p)
		zw.Write(bytes.Repeat([]byte("x"), n))
		zw.Close()
		if b, err := gunzip(p.Bytes(), limit); err != nil || len(b) != n {
			t.Errorf("%d bytes: got %d, %v", n, len(b), err)
		}
	}
}
