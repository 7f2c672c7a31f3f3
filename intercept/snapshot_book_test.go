package intercept

import (
	"bytes"
	"encoding/gob"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// A snapshot without the book (written by a build that kept no orders in snapshots)
// is refused, not loaded as a console without orders.
func TestSnapshotWithoutBookRefused(t *testing.T) {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for _, v := range []any{SnapshotHeader{Version: snapshotVersion, Seq: 7}, snapChunk{Kind: "refs"}, snapChunk{Kind: "end"}} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(DefaultSettings(), NewLists(), nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.ReadSnapshot(&buf)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no orders") {
		t.Fatalf("snapshot without a book: %v, want it refused as invalid", err)
	}
}
