package ui_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/lanjie/lanjie/intercept"
)

// The feed answers are encoded by hand (and into recycled buffers); these types have
// the answers' fields and tags but no methods, so json.Marshal encodes them by
// reflection: the reference the hand-written bytes must equal.
type (
	plainDecision intercept.Decision
	plainResult   struct {
		Line     int                    `json:"line"`
		Decision *plainDecision         `json:"decision,omitempty"`
		Error    string                 `json:"error,omitempty"`
		Fields   []intercept.FieldError `json:"fields,omitempty"`
	}
	plainBatch struct {
		Accepted int           `json:"accepted"`
		Rejected int           `json:"rejected"`
		Results  []plainResult `json:"results"`
	}
)

// TestFeedAnswersAreJSONMarshal posts the test batch and single events twice over
// (the second time the recycled buffers are reused) and holds every answer's bytes to
// what json.Marshal makes of them.
func TestFeedAnswersAreJSONMarshal(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	lines := batchLines(t)
	same := func(what string, got []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(got, v); err != nil {
			t.Fatalf("%s: %s: %v", what, got, err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	for range 2 {
		status, got := do(t, "POST", base+"/api/v1/events", "application/x-ndjson", ndjson(lines))
		if status != http.StatusOK {
			t.Fatalf("POST /events: %d %s", status, got)
		}
		var batch plainBatch
		same("batch", got, &batch)
		if len(batch.Results) != len(lines) || batch.Accepted != 5 {
			t.Errorf("batch answer: %d results, %d accepted; want %d and 5", len(batch.Results), batch.Accepted, len(lines))
		}
		for _, i := range []int{0, 1, 5} { // decided lines: each is a duplicate by now
			status, got := do(t, "POST", base+"/api/v1/decide", "application/json", lines[i])
			if status != http.StatusOK {
				t.Fatalf("POST /decide line %d: %d %s", i+1, status, got)
			}
			var d plainDecision
			same("decision", got, &d)
			if d.EventID == "" || !d.Duplicate && d.Level.String() == "" {
				t.Errorf("decision of line %d: %s", i+1, got)
			}
		}
	}
}
