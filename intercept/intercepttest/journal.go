package intercepttest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// ErrJournalDown is what Journal returns while Fail is set.
var ErrJournalDown = errors.New("journal down (test)")

// Journal is an in-memory intercept.Journal that can be made to fail.
type Journal struct {
	mu      sync.Mutex
	records []intercept.Record
	fail    bool
	Now     func() time.Time // the records' At; nil: time.Now
}

// Append keeps recs, numbered from 1, unless the journal is failing.
func (j *Journal) Append(ctx context.Context, recs ...intercept.Record) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail {
		return 0, ErrJournalDown
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	for _, r := range recs {
		r.Seq, r.At, r.Data = uint64(len(j.records)+1), now(), slices.Clone(r.Data)
		j.records = append(j.records, r)
	}
	return uint64(len(j.records)), nil
}

// Fail makes appends fail (true) or work again (false).
func (j *Journal) Fail(on bool) {
	j.mu.Lock()
	j.fail = on
	j.mu.Unlock()
}

// Records returns what was appended, in order.
func (j *Journal) Records() []intercept.Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]intercept.Record(nil), j.records...)
}
