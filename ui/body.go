package ui

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/ui/auth"
)

// decodeBody undoes a request's Content-Encoding before the handler reads its body.
// gzip is taken (a partner's batch of 10,000 events shrinks about tenfold) and
// unpacked up to MaxBody, past which the request is a 413 as an uncompressed one
// would be, for callers signed in or with a key; identity is no encoding; any other
// is a 415. With no body there is nothing to undo. fiber's own Body would unpack
// without a bound (a few kilobytes of gzip can hold gigabytes) and passes a broken
// body's error text on as if it were the body.
func decodeBody(c *fiber.Ctx) error {
	h := &c.Request().Header
	enc := h.Peek(fiber.HeaderContentEncoding)
	if len(enc) == 0 {
		return nil
	}
	if raw := c.Request().Body(); len(raw) > 0 {
		switch strings.ToLower(strings.TrimSpace(string(enc))) {
		case "identity":
		case "gzip", "x-gzip":
			if _, ok := c.Locals("principal").(auth.Principal); !ok {
				// Unpacking costs the console memory: only for callers it knows.
				return fiber.NewError(fiber.StatusUnsupportedMediaType, "Content-Encoding gzip is taken from signed-in callers and API keys; send this body as it is")
			}
			body, err := gunzip(raw, MaxBody)
			if err != nil {
				return err
			}
			c.Request().SetBodyRaw(body)
		default:
			c.Set(fiber.HeaderAcceptEncoding, "gzip") // what is taken (RFC 9110, 15.5.16)
			return fiber.NewError(fiber.StatusUnsupportedMediaType,
				fmt.Sprintf("Content-Encoding %q: send the body as it is, or gzip-compressed (Content-Encoding: gzip)", enc))
		}
	}
	h.Del(fiber.HeaderContentEncoding)
	return nil
}

// gunzip unpacks a gzip body of at most limit bytes. The buffer grows from a guess
// (ten times the packed size) by doubling, never past limit+1: a bomb costs at most
// what a body at the limit sent as it is would.
func gunzip(b []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, "body: Content-Encoding is gzip, but the body is not: "+err.Error())
	}
	out := make([]byte, 0, min(max(10*len(b), 4<<10), limit+1))
	for {
		if len(out) == cap(out) { // then len(out) <= limit: more would have ended it
			out = slices.Grow(out, min(cap(out), limit+1-len(out)))
		}
		n, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		switch {
		case len(out) > limit:
			return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("body: more than %d bytes once unpacked", limit))
		case err == io.EOF:
			return out, nil
		case err != nil:
			return nil, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("body: broken gzip after %d bytes: %v", len(out), err))
		}
	}
}
