package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui/auth"
)

// MaxBatch is the most events one POST /api/v1/events may carry.
const MaxBatch = 10000

func (s *Server) eventRoutes() {
	s.handle(fiber.MethodPost, "/events", feeds, s.postEvents)
	s.handle(fiber.MethodPost, "/decide", feeds, s.postDecide)
}

// feedAudit is the audit entry of a feed post, journaled with its events.
func feedAudit(c *fiber.Ctx) *intercept.AuditEntry {
	return &intercept.AuditEntry{At: time.Now(), Who: who(c), Role: string(principal(c).Role), Action: c.Method() + " " + c.Route().Path,
		Target: strings.TrimPrefix(c.Path(), "/api/v1"), Remote: c.IP()}
}

// scopeCheck confines a partner system's key to its own feed: a bank posts only
// transfers it carried, an operator only calls and texts on its network. A partner's
// event ids are its own namespace, kept as "<org>/<id>": an id another sender used is
// neither refused as a duplicate nor answered with the other's decision.
func scopeCheck(p auth.Principal) func(*intercept.Event) error {
	switch p.Role {
	case auth.BankSystem:
		return func(ev *intercept.Event) error {
			if ev.Kind != intercept.KindTransfer || ev.Bank != p.Org {
				return fmt.Errorf("a key of %s posts only transfers with \"bank\":%q: %w", p.Org, p.Org, intercept.ErrForbidden)
			}
			ev.ID = p.Org + "/" + ev.ID
			return nil
		}
	case auth.OperatorSystem:
		return func(ev *intercept.Event) error {
			if (ev.Kind != intercept.KindCall && ev.Kind != intercept.KindSMS) || ev.Operator != p.Org {
				return fmt.Errorf("a key of %s posts only calls and texts with \"operator\":%q: %w", p.Org, p.Org, intercept.ErrForbidden)
			}
			ev.ID = p.Org + "/" + ev.ID
			return nil
		}
	}
	return nil
}

// splitBatch returns the events of a body, a JSON array or NDJSON, with the number
// each is known by in results: its place in the array, or its line in the body
// (blank lines count, so the numbers match an editor's).
func splitBatch(body []byte) (lines [][]byte, nums []int, err error) {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, nil, fmt.Errorf("body: not a JSON array of events: %v: %w", err, intercept.ErrInvalid)
		}
		for i, r := range raw {
			lines, nums = append(lines, r), append(nums, i+1)
		}
		return lines, nums, nil
	}
	objects := 0
	for n, rest := 1, body; len(rest) > 0; n++ {
		line, after, _ := bytes.Cut(rest, []byte{'\n'})
		if l := bytes.TrimSpace(line); len(l) > 0 {
			lines, nums = append(lines, l), append(nums, n)
			if l[0] == '{' && l[len(l)-1] == '}' {
				objects++
			}
		}
		rest = after
	}
	if len(lines) > 0 && objects == 0 {
		return nil, nil, fmt.Errorf("body: neither a JSON array nor NDJSON (one JSON object per line): %w", intercept.ErrInvalid)
	}
	return lines, nums, nil
}

// batchResponse answers a batch: a result per line, decisions or errors.
type batchResponse struct {
	Accepted int                `json:"accepted"`
	Rejected int                `json:"rejected"`
	Results  []intercept.Result `json:"results"`
}

func (s *Server) postEvents(c *fiber.Ctx) error {
	lines, nums, err := splitBatch(c.Request().Body()) // not copied: nothing keeps a line past the request
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("body: no events: %w", intercept.ErrInvalid)
	}
	if len(lines) > MaxBatch {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("%d events in one request, the limit is %d", len(lines), MaxBatch))
	}
	res, err := s.desk.IngestChecked(c.UserContext(), lines, scopeCheck(principal(c)), feedAudit(c))
	if err != nil {
		return err
	}
	out := batchResponse{Results: res}
	for i := range res {
		res[i].Line = nums[i]
	}
	for _, r := range res {
		if r.Err() != nil {
			out.Rejected++
		} else {
			out.Accepted++
			s.stats.decided(r.Decision)
		}
	}
	return sendJSON(c, 64+len(res)*resultSize, out.appendJSON)
}

// resultSize is about the encoded size of one result: most are green decisions of
// about 200 bytes; the buffer grows for the rest.
const resultSize = 256

// appendJSON appends r as json.Marshal encodes it. A batch of ten thousand decisions
// is encoded by hand: by reflection it took a noticeable share of the server's CPU.
func (r *batchResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"accepted":`...)
	b = strconv.AppendInt(b, int64(r.Accepted), 10)
	b = append(b, `,"rejected":`...)
	b = strconv.AppendInt(b, int64(r.Rejected), 10)
	b = append(b, `,"results":`...)
	if r.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Results {
			if i > 0 {
				b = append(b, ',')
			}
			b = r.Results[i].AppendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// bodies recycles the buffers answers are encoded into: sendJSON copies the answer
// into the response, whose own buffer fasthttp recycles.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 16 << 20

// sendJSON answers with the JSON encode appends (about size bytes), as c.JSON would.
func sendJSON(c *fiber.Ctx, size int, encode func([]byte) []byte) error {
	bp := bodies.Get().(*[]byte)
	b := encode(slices.Grow((*bp)[:0], size))
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Response().SetBody(b) // copies: b is reused
	if cap(b) <= maxPooledBody {
		*bp = b[:0]
		bodies.Put(bp)
	}
	return nil
}

func (s *Server) postDecide(c *fiber.Ctx) error {
	res, err := s.desk.IngestChecked(c.UserContext(), [][]byte{c.Request().Body()}, scopeCheck(principal(c)), feedAudit(c))
	if err != nil {
		return err
	}
	if err := res[0].Err(); err != nil {
		return err
	}
	s.stats.decided(res[0].Decision)
	return sendJSON(c, 512, res[0].Decision.AppendJSON)
}
