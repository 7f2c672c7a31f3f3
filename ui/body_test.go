package ui_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lanjie/lanjie/ui"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sendEncoded posts body, sent as wire with Content-Encoding enc, and returns the
// status and the answer, held to the document as if the server had read body.
func sendEncoded(t *testing.T, url, enc string, body, wire []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(wire))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", enc)
	req.Header.Set("Authorization", "Bearer "+feedKey)
	resp, b := roundTrip(t, req)
	seen, err := http.NewRequest("POST", url, bytes.NewReader(body)) // the request as the handler reads it
	if err != nil {
		t.Fatal(err)
	}
	seen.Header = req.Header.Clone()
	seen.Header.Del("Content-Encoding")
	checkOpenAPI(t, seen, body, resp, b)
	return resp.StatusCode, b
}

// A feed may come gzip-compressed; the body limit holds for it unpacked, and a body
// that is not what its Content-Encoding says is refused whole.
func TestCompressedBodies(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	var lines [][]byte
	for i := range 500 {
		lines = append(lines, []byte(call(fmt.Sprintf("gz-c-%d", i), "CMCC")))
	}
	batch := ndjson(lines)
	status, b := sendEncoded(t, base+"/api/v1/events", "gzip", batch, gzipped(t, batch))
	var got batchBody
	if err := json.Unmarshal(b, &got); status != http.StatusOK || err != nil || got.Accepted != 500 || got.Rejected != 0 {
		t.Fatalf("a gzip batch of 500 calls: %d %s", status, clip(b))
	}
	one := []byte(call("gz-d-1", "CMCC"))
	for _, enc := range []string{"gzip", "x-gzip", "GZIP", "identity"} {
		wire := one
		if enc != "identity" {
			wire = gzipped(t, one)
		}
		status, b := sendEncoded(t, base+"/api/v1/decide", enc, one, wire)
		if status != http.StatusOK || !bytes.Contains(b, []byte(`"event_id":"gz-d-1"`)) {
			t.Errorf("decide with Content-Encoding %s: %d %s", enc, status, clip(b))
		}
	}

	// 33 MiB of one line's worth of blanks packs into some 30 KB.
	huge := append(bytes.Repeat([]byte(" "), ui.MaxBody), one...)
	bomb := gzipped(t, huge)
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes packed", len(bomb))
	}
	before := j.len()
	for _, c := range []struct {
		name, enc  string
		wire       []byte
		status     int
		errorNames string
	}{
		{"over the limit unpacked", "gzip", bomb, http.StatusRequestEntityTooLarge, "unpacked"},
		{"not gzip", "gzip", batch, http.StatusBadRequest, "not"},
		{"cut short", "gzip", gzipped(t, batch)[:200], http.StatusBadRequest, "broken gzip"},
		{"brotli", "br", batch, http.StatusUnsupportedMediaType, "gzip"},
		{"two encodings", "gzip, gzip", gzipped(t, gzipped(t, batch)), http.StatusUnsupportedMediaType, "gzip"},
	} {
		status, b := sendEncoded(t, base+"/api/v1/events", c.enc, nil, c.wire)
		var p struct {
			Status int
			Error  string
		}
		if err := json.Unmarshal(b, &p); status != c.status || err != nil || p.Status != c.status || !strings.Contains(p.Error, c.errorNames) {
			t.Errorf("%s: %d %s; want %d naming %q", c.name, status, clip(b), c.status, c.errorNames)
		}
	}
	// Signed out, nothing is unpacked.
	login := []byte(`{"username":"admin","password":"x"}`)
	req, _ := http.NewRequest("POST", base+"/api/v1/login", bytes.NewReader(gzipped(t, login)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, b := roundTrip(t, req)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a gzip sign-in: %s %s, want 415", resp.Status, clip(b))
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/orders", nil) // no body: nothing to undo
	req.Header.Set("Content-Encoding", "br")
	req.Header.Set("Authorization", "Bearer "+feedKey)
	if resp, b := roundTrip(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("a GET saying Content-Encoding br: %s %s, want 200", resp.Status, clip(b))
	}
	req, _ = http.NewRequest("POST", base+"/api/v1/decide", bytes.NewReader(one))
	req.Header.Set("Content-Encoding", "zstd")
	req.Header.Set("Authorization", "Bearer "+feedKey)
	if resp, b := roundTrip(t, req); resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("Accept-Encoding") != "gzip" {
		t.Errorf("a zstd body: %s, Accept-Encoding %q, %s; want 415 saying gzip", resp.Status, resp.Header.Get("Accept-Encoding"), clip(b))
	}
	if n := j.len() - before; n > 6 { // audit entries of the refusals at most
		t.Errorf("refused bodies journaled %d records", n)
	}
}
