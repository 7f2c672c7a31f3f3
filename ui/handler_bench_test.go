package ui_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/lanjie/lanjie/intercept"
)

// BenchmarkDecideHandler is one POST /api/v1/decide through the console's whole
// handler chain (audit, key check, rate limit, route guard, decoding, the engine, the
// answer) without the sockets: the CPU the console spends on a request besides its
// system calls, and the part of it this package decides.
//
//	GOGC=400 go test -run '^$' -bench DecideHandler -benchmem -cpu 1 -count 6 ./ui
func BenchmarkDecideHandler(b *testing.B) {
	j := &journal{}
	srv, _ := startWith(b, intercept.DefaultSettings(), j, nil) // the console's tables, not a test's
	h := srv.App().Handler()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	var req fasthttp.Request
	var ctx fasthttp.RequestCtx
	one := call("hb-%d", "CMCC") // the id a format, filled in below
	var body []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req.Reset()
		req.Header.SetMethod("POST")
		req.SetRequestURI("/api/v1/decide")
		req.Header.SetContentType("application/json")
		req.Header.Set("Authorization", "Bearer "+feedKey)
		body = fmt.Appendf(body[:0], one, i)
		req.SetBody(body)
		ctx.ResetUserValues() // as the server does between requests
		ctx.Response.Reset()
		ctx.Init(&req, addr, nil)
		h(&ctx)
		if code := ctx.Response.StatusCode(); code != 200 {
			b.Fatalf("request %d: %d %s", i, code, ctx.Response.Body())
		}
		if i%4096 == 0 {
			j.mu.Lock()
			j.recs = j.recs[:0] // the fake journal keeps what it is given
			j.mu.Unlock()
		}
	}
}
