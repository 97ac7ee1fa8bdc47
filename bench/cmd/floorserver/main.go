// Command floorserver answers every request with the same small JSON
// body, doing no other work. bench/serve_compare.sh puts it under the same
// wrk load as `steward serve`, in the same run, so that the report shows
// the latency floor of the load generator, the loopback and this machine's
// scheduler: no server can answer faster than this one.
//
//	floorserver -addr 127.0.0.1:18082
//
// It uses fasthttp, the server `steward serve` runs on, with the same
// settings that affect latency, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/valyala/fasthttp"
)

// body is shaped like a one-row prediction response of `steward serve`.
const body = `{"model":{"name":"heart","version":1},"predictions":[{"id":"019ac0de-0000-7000-8000-000000000000","probability":0.2243,"label":0}]}`

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorserver:", err)
		os.Exit(1)
	}
	srv := &fasthttp.Server{
		Handler: func(c *fasthttp.RequestCtx) {
			c.SetContentType("application/json")
			c.SetBodyString(body)
		},
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
	}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown()
	}()
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "floorserver:", err)
		os.Exit(1)
	}
}
